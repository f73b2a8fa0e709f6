// A node:test reporter that collects the reason of every skipped test and writes them as JSON
// lines to its destination; scripts/run-tests.mjs prints them in the suite's final summary so a
// skipped test is never silent.
export default async function* skipReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const skip = event.data.skip;
    if (skip === undefined || skip === false) continue;
    const reason = typeof skip === 'string' && skip ? skip : 'skipped without a reason';
    yield `${JSON.stringify({ name: event.data.name, file: event.data.file ?? '', reason })}\n`;
  }
}

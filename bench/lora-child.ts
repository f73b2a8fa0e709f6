/**
 * Runs one LoRA operation in its own process so the benchmark can read its peak RSS (worker
 * threads included: they are threads of this process). It runs the compiled library in dist/
 * (bench/lora.ts builds it first), so worker threads start the way they do for users, without
 * compiling TypeScript on the fly.
 *   node --import tsx bench/lora-child.ts resize <in> <out> <rank> [threads]
 *   node --import tsx bench/lora-child.ts merge <a> <b> <out> [rank|-] [threads]
 */
type Lora = typeof import('../src/lora/index.js');
const lora = (await import(new URL('../dist/lora/index.js', import.meta.url).href)) as Lora;

const [op, ...args] = process.argv.slice(2);
const threadsArg = (value: string | undefined) => (value === undefined || value === '-' ? {} : { threads: Number(value) });
const started = performance.now();
const cpu = process.cpuUsage();
if (op === 'resize') {
  const st = await lora.openSafetensors(args[0] as string);
  await lora.resizeLora(st, args[1] as string, { rank: Number(args[2]), ...threadsArg(args[3]) });
  await st.close();
} else if (op === 'merge') {
  const a = await lora.openSafetensors(args[0] as string);
  const b = await lora.openSafetensors(args[1] as string);
  const rank = args[3] === undefined || args[3] === '-' ? {} : { rank: Number(args[3]) };
  await lora.mergeLoras([{ file: a, weight: 0.7 }, { file: b, weight: 0.4 }], args[2] as string, { ...rank, ...threadsArg(args[4]) });
  await a.close();
  await b.close();
} else {
  throw new Error(`unknown operation ${op}`);
}
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000, maxRssKb: process.resourceUsage().maxRSS }));

/**
 * runProgram (the engine's generation script in a sweep) on small Node programs: output by line
 * from both streams with the last lines kept, exit codes, a program that cannot start, and Ctrl-C:
 * SIGINT to the whole process group, SIGKILL after the grace period for a program that ignores it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createLineReader, isProcessAlive, runProgram } from './index.js';

const node = process.execPath;

/** Alive and not a zombie (dead, waiting to be reaped by init). */
function running(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

test('output arrives line by line from both streams (\\n, \\r\\n and \\r), the last lines are kept, the exit code is returned', async () => {
  const seen: string[] = [];
  const script = "process.stdout.write('one\\ntwo\\r\\n'); process.stderr.write('bar 1\\rbar 2\\n'); process.stdout.write('h\\u00e9llo\\nlast without newline'); process.exitCode = 3;";
  const outcome = await runProgram(node, ['-e', script], { onLine: (line) => seen.push(line), keepLines: 3 });
  assert.equal(outcome.kind, 'exited');
  assert.equal(outcome.kind === 'exited' && outcome.code, 3);
  assert.deepEqual([...seen].sort(), ['bar 1', 'bar 2', 'héllo', 'last without newline', 'one', 'two']);
  assert.equal(outcome.kind === 'exited' && outcome.lastLines.length, 3);
  // The two streams are separate pipes: their relative order is not fixed, the last line of each is kept.
  assert.ok(outcome.kind === 'exited' && outcome.lastLines.includes('last without newline'));
});

test('a program that does not exist is "not-started" with the reason', async () => {
  const outcome = await runProgram('/nonexistent/tack-no-such-program', []);
  assert.equal(outcome.kind, 'not-started');
  assert.match(outcome.kind === 'not-started' ? outcome.message : '', /ENOENT/);
});

test('cancelling sends SIGINT to the whole group: the program and its own child stop, the outcome is "cancelled"', async () => {
  const controller = new AbortController();
  let grandchild = 0;
  const script = [
    "const { spawn } = require('node:child_process');",
    "const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });",
    "console.log('child ' + c.pid);",
    "setInterval(() => {}, 1000);",
  ].join('\n');
  const outcome = await runProgram(node, ['-e', script], {
    signal: controller.signal,
    onLine: (line) => {
      if (line.startsWith('child ')) {
        grandchild = Number(line.slice(6));
        controller.abort();
      }
    },
  });
  assert.equal(outcome.kind, 'cancelled');
  assert.ok(grandchild > 0);
  assert.equal(running(grandchild), false, 'the program\'s own child was stopped with it');
});

test('a program that ignores SIGINT is killed after the grace period', async () => {
  const controller = new AbortController();
  const started = Date.now();
  const outcome = await runProgram(node, ['-e', "process.on('SIGINT', () => console.log('ignored')); console.log('ready'); setInterval(() => {}, 1000);"], {
    signal: controller.signal,
    graceMs: 300,
    onLine: (line) => {
      if (line === 'ready') controller.abort();
    },
  });
  assert.equal(outcome.kind, 'cancelled');
  assert.ok(outcome.kind === 'cancelled' && outcome.lastLines.includes('ignored'), 'the program saw SIGINT first');
  assert.ok(Date.now() - started >= 300);
});

test('remote messages and rsync\'s file list are read whole line by line, even when a chunk ends inside a line or a character', () => {
  const lines: string[] = [];
  const reader = createLineReader((line) => lines.push(line));
  const text = Buffer.from('{"k":"files","p":"output/caf\u00e9.png"}\n1024 dataset/a.jpg\r\nlast');
  const cut = text.indexOf(0xc3) + 1; // inside the two bytes of "\u00e9"
  reader.push(text.subarray(0, 5));
  reader.push(text.subarray(5, cut));
  assert.deepEqual(lines, [], 'nothing before a line is whole');
  reader.push(text.subarray(cut));
  assert.deepEqual(lines, ['{"k":"files","p":"output/caf\u00e9.png"}', '1024 dataset/a.jpg']);
  reader.end();
  assert.deepEqual(lines.at(-1), 'last', 'the last line without a line break comes at the end');
});

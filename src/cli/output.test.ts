import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryOutput, progressBar } from './output.js';

test('the ETA waits for a second of measured work instead of extrapolating the first tick', () => {
  const out = memoryOutput(false);
  let now = 0;
  const bar = progressBar(out, 'Scanning', { intervalMs: 0, now: () => now });
  now = 700; // opening the file and reading its header took a while
  bar({ done: 2, total: 45_000_000, unit: 'bytes' }); // the first tensor: a 2-byte alpha
  now = 900;
  bar({ done: 4_000_000, total: 45_000_000, unit: 'bytes' });
  now = 2700;
  bar({ done: 22_500_000, total: 45_000_000, unit: 'bytes' });
  const lines = out.text().trim().split('\n');
  assert.match(lines[0] ?? '', /ETA --:--$/, 'no ETA from one tick');
  assert.match(lines[1] ?? '', /ETA --:--$/, 'nor from 200 ms');
  assert.match(lines[2] ?? '', /21\.5\/42\.9 MB 50% ETA 00:02$/, 'half done after 2 s of measuring: 2 s left');
});

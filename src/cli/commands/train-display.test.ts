import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryOutput } from '../output.js';
import { TrainDisplay } from './train-display.js';

const progress = (step: number, loss: number | null = 0.0912) => ({
  kind: 'progress' as const,
  progress: { step, totalSteps: 2760, epoch: 2, totalEpochs: 6, loss, itPerSec: 0.83, phase: 'training' },
  etaSec: 1200,
});

test('on a terminal one line is redrawn with epoch, bar, steps, loss, speed and ETA, at most every 100 ms', () => {
  const out = memoryOutput(true);
  let now = 0;
  const view = new TrainDisplay(out, { now: () => now });
  view.handle({ kind: 'epoch', epoch: 2, totalEpochs: 6 });
  view.handle(progress(460));
  now = 50;
  view.handle(progress(461));
  now = 150;
  view.handle(progress(462));
  assert.equal(view.draws, 2, 'the update 50 ms after a draw is skipped');
  const last = out.text().split('\r\x1b[2K').at(-1) ?? '';
  assert.match(last, /^epoch 2\/6 █+░+ 462\/2760 16%  loss 0\.0912  1\.20 s\/it  ETA 20:00$/);
});

test('checkpoints get their own line (the bar is cleared first); samples are summed per epoch', () => {
  const out = memoryOutput(true);
  const view = new TrainDisplay(out, { now: () => 0 });
  view.handle(progress(460));
  view.handle({ kind: 'sample', epoch: 1, promptIndex: 0, file: 'output/sample/a_e000001_00_20260101000000_1.png' });
  view.handle({ kind: 'sample', epoch: 1, promptIndex: 1, file: 'output/sample/a_e000001_01_20260101000000_1.png' });
  view.handle({ kind: 'checkpoint', epoch: 2, file: 'output/a-000002.safetensors', final: false, sizeBytes: 228_400_000 });
  view.finish();
  const text = out.text();
  assert.match(text, /\r\x1b\[2K  samples epoch 1: 2 image\(s\) in output\/sample\n/);
  assert.match(text, /  checkpoint epoch 2: output\/a-000002\.safetensors \(218 MB\)\n/);
});

test('in a log file (not a terminal) progress is a plain line every 30 s and at the end', () => {
  const out = memoryOutput(false);
  let now = 0;
  const view = new TrainDisplay(out, { now: () => now });
  view.handle({ kind: 'epoch', epoch: 1, totalEpochs: 6 });
  for (let step = 1; step <= 100; step++) {
    now = step * 1000;
    view.handle(progress(step));
  }
  const lines = out.text().trim().split('\n');
  assert.equal(lines[0], 'epoch 1/6');
  assert.equal(lines.filter((l) => l.includes('step ')).length, 4, 'steps 1, 31, 61, 91');
  assert.ok(!out.text().includes('\r'), 'no carriage returns in a log file');
});

const slow = (step: number, totalSteps = 4) => ({ kind: 'progress' as const, progress: { step, totalSteps, epoch: 1, totalEpochs: 2, loss: 0.1, itPerSec: 0.05, phase: 'training' }, etaSec: 40 });

test('in a log file, slow steps (a CPU run) are each printed, and the step before an epoch line is never lost', () => {
  const out = memoryOutput(false);
  let now = 0;
  const view = new TrainDisplay(out, { now: () => now });
  view.handle(slow(0));
  view.handle({ kind: 'epoch', epoch: 1, totalEpochs: 2 });
  now = 20_000;
  view.handle(slow(1));
  now = 22_000;
  view.handle(slow(1));
  now = 40_000;
  view.handle(slow(2));
  view.handle({ kind: 'checkpoint', epoch: 1, file: 'output/a-000001.safetensors', final: false, sizeBytes: 1000 });
  view.handle({ kind: 'epoch', epoch: 2, totalEpochs: 2 });
  now = 41_000;
  view.handle(slow(3));
  now = 41_500;
  view.handle({ kind: 'stopping', reason: 'cancelled' });
  view.finish();
  const lines = out.text().trim().split('\n');
  assert.deepEqual(
    lines.map((l) => l.replace(/ \(\d+%\).*$/, '')),
    ['step 0/4', 'epoch 1/2', 'epoch 1/2 step 1/4', 'epoch 1/2 step 2/4', '  checkpoint epoch 1: output/a-000001.safetensors (1000 B)', 'epoch 2/2', 'epoch 2/2 step 3/4', 'Stopping the trainer (SIGINT); it is killed if it does not stop within the grace period...'],
  );
});

test('in a log file, a fast step before the end is printed by finish()', () => {
  const out = memoryOutput(false);
  let now = 0;
  const view = new TrainDisplay(out, { now: () => now });
  view.handle(slow(0, 100));
  now = 500;
  view.handle(slow(1, 100));
  assert.doesNotMatch(out.text(), /step 1\//, 'not yet: fast steps are printed every 30 s');
  view.finish();
  assert.match(out.text(), /step 1\/100/);
});

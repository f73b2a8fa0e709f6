/**
 * Which run evaluation reads and what it sees of it: the run module's record (run.json,
 * checkpoints, samples) plus one sample per epoch and prompt after a resume rendered an epoch
 * again, the loss from metrics.jsonl or else from the engine's progress bars in log.txt (the
 * genuine log in the shared fixtures), and a dry run's "prepared" status.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { tempDir } from '../../test/helpers/cli.js';
import { TackError } from '../core/index.js';
import { initProject, projectPaths, type Project, type ProjectPaths } from '../project/index.js';
import { evaluateRun, readEvalRun } from './index.js';

const ENGINE_LOG = path.resolve(import.meta.dirname, '..', '..', 'test', 'fixtures', 'sd-scripts', 'run.log');
const TRAINED = '20260301-120000';
const DRY_RUN = '20260302-090000';

let project: Project;
let paths: ProjectPaths;
let cleanup: () => Promise<void>;

async function writeRun(id: string, status: string, files: readonly string[], extra: Record<string, unknown> = {}): Promise<string> {
  const dir = path.join(paths.runsDir, id);
  await mkdir(path.join(dir, 'output', 'sample'), { recursive: true });
  await mkdir(path.join(dir, 'config'), { recursive: true });
  const meta = { version: 1, id, project: 'my-lora', createdAt: '2026-03-01T12:00:00.000Z', status, outputName: 'my-lora', preset: { name: 'pony-realism' }, plan: { epochs: 2, totalSteps: 12 }, baseModel: 'models/pony.safetensors', attempts: [], ...extra };
  await writeFile(path.join(dir, 'run.json'), JSON.stringify(meta));
  await writeFile(path.join(dir, 'config', 'sample_prompts.txt'), 'xanrms man, portrait --w 512 --h 768 --d 1 --l 6 --s 30\nxanrms man, office --w 512 --h 768 --d 2 --l 6 --s 30\n');
  for (const file of files) await writeFile(path.join(dir, 'output', file), 'x');
  return dir;
}

before(async () => {
  let root: string;
  ({ dir: root, cleanup } = await tempDir('tack-run-reader-'));
  ({ project } = await initProject(root, { token: 'xanrms', className: 'man', name: 'my-lora' }));
  paths = project.paths;
  const trained = await writeRun(TRAINED, 'succeeded', [
    'my-lora-000001.safetensors',
    'my-lora.safetensors',
    'my-lora-step00000005.safetensors',
    'sample/my-lora_e000001_00_20260301120500_1.png',
    // Rendered again after a resume: the newer image stands for epoch 1, prompt 0.
    'sample/my-lora_e000001_00_20260301131000_1.png',
    'sample/my-lora_e000001_01_20260301120500_2.png',
    'sample/my-lora_e000002_00_20260301132000_1.png',
    'sample/other_e000002_00_20260301132000_1.png',
  ]);
  await writeFile(path.join(trained, 'log.txt'), await readFile(ENGINE_LOG, 'utf8'));
  await writeRun(DRY_RUN, 'prepared', []);
});

after(async () => {
  await cleanup?.();
});

test('without --run: the newest run with samples, passing over a newer dry run', async () => {
  const run = await readEvalRun(paths);
  assert.equal(run.id, TRAINED);
  assert.equal(run.status, 'succeeded');
  assert.deepEqual(
    run.samples.map((s) => [s.epoch, s.promptIndex, path.basename(s.file)]),
    [
      [1, 0, 'my-lora_e000001_00_20260301131000_1.png'],
      [1, 1, 'my-lora_e000001_01_20260301120500_2.png'],
      [2, 0, 'my-lora_e000002_00_20260301132000_1.png'],
    ],
  );
  assert.deepEqual(run.checkpoints.map((c) => [c.epoch, c.final, path.basename(c.file)]), [
    [1, false, 'my-lora-000001.safetensors'],
    [2, true, 'my-lora.safetensors'],
  ]);
  assert.deepEqual([run.preset, run.baseModel, run.totalSteps, run.prompts.length], ['pony-realism', 'models/pony.safetensors', 12, 2]);
  assert.equal(run.evaluationDir, path.join(paths.runsDir, TRAINED, 'evaluation'));
});

test('without metrics.jsonl the loss comes from the engine\'s progress bars in log.txt', async () => {
  const run = await readEvalRun(paths, TRAINED);
  assert.deepEqual(run.loss.map((p) => p.step), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual([run.loss[0]?.loss, run.loss[1]?.loss, run.loss.at(-1)?.loss], [1.13, 1.1, 1.06]);
});

test('metrics.jsonl wins over log.txt: one point per step (the last written), events and a torn line skipped', async () => {
  const dir = await writeRun('20260301-100000', 'succeeded', ['sample/my-lora_e000001_00_20260301100500_1.png']);
  await writeFile(path.join(dir, 'log.txt'), await readFile(ENGINE_LOG, 'utf8'));
  const lines = [
    { time: 't', step: 1, totalSteps: 3, epoch: 1, loss: 0.2, itPerSec: 1 },
    { time: 't', step: 2, totalSteps: 3, epoch: 1, loss: null, itPerSec: 1 },
    { time: 't', kind: 'epoch', epoch: 1 },
    { time: 't', step: 1, totalSteps: 3, epoch: 1, loss: 0.19, itPerSec: 1 },
    { time: 't', step: 3, totalSteps: 3, epoch: 2, loss: 0.1, itPerSec: 1 },
  ];
  await writeFile(path.join(dir, 'metrics.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{"time":"t","step":4,`);
  const run = await readEvalRun(paths, '20260301-100000');
  assert.deepEqual(run.loss, [
    { step: 1, loss: 0.19, epoch: 1 },
    { step: 3, loss: 0.1, epoch: 2 },
  ]);
});

test('a dry run is read as "prepared", and evaluating it says it was never trained', async () => {
  const run = await readEvalRun(paths, DRY_RUN);
  assert.deepEqual([run.status, run.samples.length, run.checkpoints.length, run.loss.length], ['prepared', 0, 0, 0]);
  await assert.rejects(evaluateRun(project, { runId: DRY_RUN }), (e: unknown) => e instanceof TackError && e.code === 'EVAL_NO_SAMPLES' && /tack train --dry-run/.test(e.message) && /tack train /.test(e.hint));
});

test('a run whose supervisor stopped answering is "interrupted", as tack runs shows it', async () => {
  await writeRun('20260301-110000', 'running', [], { supervisor: { pid: process.pid, hostname: 'elsewhere', startedAt: '2026-03-01T11:00:00.000Z', heartbeatAt: '2026-03-01T11:00:10.000Z' } });
  assert.equal((await readEvalRun(paths, '20260301-110000')).status, 'interrupted');
});

test('an unknown run id and a project without runs get evaluation\'s coded errors', async () => {
  await assert.rejects(readEvalRun(paths, '20990101-000000'), (e: unknown) => e instanceof TackError && e.code === 'EVAL_RUN_NOT_FOUND' && e.hint.includes(TRAINED));
  const { dir, cleanup: cleanEmpty } = await tempDir('tack-run-reader-empty-');
  try {
    await assert.rejects(readEvalRun(projectPaths(dir)), (e: unknown) => e instanceof TackError && e.code === 'EVAL_NO_RUNS');
  } finally {
    await cleanEmpty();
  }
});

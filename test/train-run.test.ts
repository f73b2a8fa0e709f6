/**
 * `tack train` against the fake sd-scripts: a full run to a succeeded outcome, then the run
 * folder as the evaluation area reads it, and `tack runs` / `tack runs show`.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { projectPaths } from '../src/project/index.js';
import { listRuns, readRun, readRunMetrics } from '../src/run/index.js';
import { runTack, tempDir } from './helpers/cli.js';
import { fakeEngineEnv, makeTrainingProject } from './helpers/fake-engine.js';

let root: { dir: string; cleanup: () => Promise<void> };
let project: string;
let env: NodeJS.ProcessEnv;
let trained: { code: number | null; stdout: string; stderr: string };
let doc: { run: { id: string; dir: string }; plan: { totalSteps: number; epochs: number; batchSize: number }; outcome: { kind: string; checkpoints: Array<{ epoch: number; final: boolean }> }; command: { argv: string[] } };

before(async () => {
  root = await tempDir('tack-train-');
  env = fakeEngineEnv(root.dir);
  project = await makeTrainingProject(root.dir, 'ana', { env });
  trained = await runTack(['train', project, '--json'], { env });
  doc = JSON.parse(trained.stdout || '{}');
});

after(async () => {
  await root.cleanup();
});

test('tack train runs the fake engine to a succeeded outcome with a checkpoint per epoch and samples', async () => {
  assert.equal(trained.code, 0, trained.stderr);
  assert.equal(doc.outcome.kind, 'succeeded');
  const epochs = doc.plan.epochs;
  assert.ok(epochs >= 2, `the plan has ${epochs} epochs`);
  assert.deepEqual(
    doc.outcome.checkpoints.map((c) => [c.epoch, c.final]),
    [...Array.from({ length: epochs - 1 }, (_, i) => [i + 1, false]), [epochs, true]],
    'one numbered file per epoch, the last epoch only under the final name (sd-scripts.md 6.3)',
  );
  assert.equal(doc.command.argv[1], '-m');
  assert.equal(doc.command.argv[2], 'accelerate.commands.launch', 'launched through accelerate, as an argument array');
});

test('the engine counted exactly the steps tack planned (independent bucketing in the fake)', async () => {
  const log = await readFile(path.join(doc.run.dir, 'log.txt'), 'utf8');
  const engineTotal = Number(/total optimization steps \/ 学習ステップ数: (\d+)/.exec(log)?.[1]);
  assert.equal(engineTotal, doc.plan.totalSteps);
  assert.match(log, new RegExp(`override steps\\. steps for ${doc.plan.epochs} epochs`), 'max_train_epochs reached the engine (P7)');
  assert.doesNotMatch(log, /No caption file found/, 'the .txt captions were read (P3)');
  assert.doesNotMatch(log, /clip_skip will be unexpected/, 'no clip_skip was passed (P5)');
});

test('readRun gives the evaluation area every checkpoint by epoch and every sample by epoch and prompt', async () => {
  const paths = projectPaths(project);
  const run = await readRun(paths, doc.run.id);
  assert.equal(run.status, 'succeeded');
  assert.equal(run.checkpoints.length, doc.plan.epochs);
  assert.deepEqual(run.checkpoints.map((c) => c.epoch), Array.from({ length: doc.plan.epochs }, (_, i) => i + 1));
  assert.ok(run.checkpoints.every((c) => c.sizeBytes > 1000 && path.isAbsolute(c.file)));
  const prompts = (await readFile(run.paths.samplePrompts, 'utf8')).split('\n').filter((l) => l && !l.startsWith('#')).length;
  assert.equal(run.samples.length, doc.plan.epochs * prompts);
  for (let e = 1; e <= doc.plan.epochs; e++) {
    assert.deepEqual(run.samples.filter((s) => s.epoch === e).map((s) => s.promptIndex), Array.from({ length: prompts }, (_, i) => i));
  }
  assert.equal(run.samples[0]?.seed, 7, 'the seed from the sample prompt file is in the name');
  assert.match(path.basename(run.samples[0]?.file ?? ''), /^ana_e000001_00_\d{14}_7\.png$/);
  const runs = await listRuns(paths);
  assert.deepEqual(runs.map((r) => r.id), [doc.run.id]);
});

test('metrics.jsonl has progress lines in the documented shape and the events with a kind', async () => {
  const metrics = await readRunMetrics(projectPaths(project), doc.run.id);
  const progress = metrics.filter((m) => m.kind === undefined);
  assert.ok(progress.length >= doc.plan.totalSteps);
  const last = progress.at(-1);
  assert.deepEqual(Object.keys(last ?? {}).sort(), ['epoch', 'itPerSec', 'loss', 'step', 'time', 'totalSteps']);
  assert.equal(last?.step, doc.plan.totalSteps);
  assert.equal(last?.totalSteps, doc.plan.totalSteps);
  assert.equal(typeof last?.loss, 'number');
  const kinds = new Set(metrics.map((m) => m.kind).filter(Boolean));
  for (const kind of ['epoch', 'checkpoint', 'sample', 'end']) assert.ok(kinds.has(kind), `an event of kind ${kind}`);
  const run = JSON.parse(await readFile(path.join(doc.run.dir, 'run.json'), 'utf8'));
  assert.equal(run.status, 'succeeded');
  assert.equal(run.supervisor.pid > 0, true);
  assert.equal(run.plan.totalSteps, doc.plan.totalSteps);
  const command = JSON.parse(await readFile(path.join(doc.run.dir, 'command.json'), 'utf8'));
  assert.deepEqual(command.argv, doc.command.argv);
  assert.equal(command.env.PYTHONUNBUFFERED, '1', 'unbuffered output for the live log');
});

test('tack runs lists the run and tack runs <project> show <id> shows it per epoch', async () => {
  const list = await runTack(['runs', project], { env });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`${doc.run.id}\\s+succeeded\\s+${doc.plan.totalSteps}/${doc.plan.totalSteps}`));
  const show = await runTack(['runs', project, 'show', doc.run.id], { env });
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /outcome\s+succeeded/);
  assert.match(show.stdout, /ana-000001\.safetensors/);
  assert.match(show.stdout, /ana\.safetensors/);
  const json = JSON.parse((await runTack(['runs', project, '--json'], { env })).stdout);
  assert.equal(json.kind, 'runs');
  assert.equal(json.runs[0].checkpoints.length, doc.plan.epochs);
  const missing = await runTack(['runs', project, 'show', '20000101-000000'], { env });
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /RUN_NOT_FOUND/);
});

test('the human output shows the plan, the settings with reasons, the prevented pitfalls and the checkpoints', async () => {
  const again = await runTack(['train', project], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /the engine will train \d+ steps/);
  assert.match(again.stdout, /network_dim\s+1\s+\(tack\.toml \[train\]\)/);
  assert.match(again.stdout, /P5\s+clip_skip is not passed/);
  assert.match(again.stdout, /P21\s+num_repeats = \d+ is written into the dataset TOML/);
  assert.match(again.stdout, /Succeeded: Trained \d+ steps/);
  assert.match(again.stderr, /checkpoint epoch 1: output\/ana-000001\.safetensors/);
  assert.match(again.stderr, /samples epoch 1: \d+ image\(s\)/);
});

test('two GPUs: data-parallel launch, and the engine divides the steps exactly as planned', async () => {
  const twoGpus = { ...env, FAKE_GPUS: 'NVIDIA RTX A5000:24564,NVIDIA RTX A5000:24564' };
  const result = await runTack(['train', project, '--json'], { env: twoGpus });
  assert.equal(result.code, 0, result.stderr);
  const two = JSON.parse(result.stdout);
  assert.equal(two.plan.numProcesses, 2);
  assert.ok(two.command.argv.includes('--multi_gpu'));
  assert.equal(two.plan.totalSteps, Math.ceil(doc.plan.totalSteps / 2 / doc.plan.epochs) * doc.plan.epochs);
  const log = await readFile(path.join(two.run.dir, 'log.txt'), 'utf8');
  assert.equal(Number(/total optimization steps \/ 学習ステップ数: (\d+)/.exec(log)?.[1]), two.plan.totalSteps);
});

test('a second run of the same project is refused while one is running', async () => {
  const { startTack, waitFor } = await import('./helpers/fake-engine.js');
  const slow = { ...env, FAKE_SD_SCRIPTS_STEP_SECONDS: '0.3' };
  const live = startTack(['train', project], { env: slow });
  try {
    await waitFor(() => live.output().includes('Trainer started'), 60_000, 'the first run to start');
    const second = await runTack(['train', project], { env: slow });
    assert.equal(second.code, 3);
    assert.match(second.stderr, /RUN_ALREADY_RUNNING/);
  } finally {
    live.child.kill('SIGINT');
    await live.done;
  }
});

/**
 * `tack train` against the real kohya sd-scripts on the CPU (random-weight SDXL, 2 photos at
 * 256 px, 2 epochs of 2 steps), stopped with Ctrl-C after the first checkpoint and continued
 * with --resume (one scenario: each launch loads the whole SDXL, minutes on a CPU): a typed
 * outcome for each launch, nothing lost, both checkpoints as the engine wrote them and as `tack
 * lora inspect` / `verify` read them, samples, metrics and run.json; the log-file progress shows
 * the steps inside the first epoch, and after the resume starts at the resumed step. Then `tack
 * sweep --backend sd-scripts` renders both epochs with the engine's own sdxl_gen_img.py, with the
 * run's precision (bf16, and sdpa only where torch has it: fp16 or --sdpa would fail on this CPU
 * torch), and scores them.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runTack, tempDir } from '../helpers/cli.js';
import { processesMentioning, waitFor } from '../helpers/fake-engine.js';
import { killEverythingUnder, logTail, makeEngineProject, realEngine, realEngineEnv, runRealTack, startRealTack, waitForMemory } from './engine-helpers.js';

const engine = realEngine();
let root: { dir: string; cleanup: () => Promise<void> };
let project: string;
let env: NodeJS.ProcessEnv;

interface RunDoc {
  dir: string;
  device: string;
  plan: { totalSteps: number; epochs: number; batchesPerEpoch: number };
  settings: { optimizer: string; mixed_precision: string; attention: string };
  argv: string[];
  outcome: { kind: string; message: string; samples: number; steps: { done: number; total: number }; checkpoints: Array<{ epoch: number; file: string; final: boolean }> };
}
/** The run folder; each launch's output as a log file gets it (stdout/stderr to a pipe). */
let runDir = '';
let stopped: { code: number | null; stdout: string; stderr: string; timedOut: boolean } | undefined;
let first: { size: number; mtimeMs: number } | undefined;
let doc: RunDoc | undefined;

/** What the run folder says about the run: run.json, command.json, outcome.json. */
async function readRunFolder(dir: string): Promise<RunDoc> {
  const run = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as { device: string; plan: RunDoc['plan']; preset: { settings: RunDoc['settings'] } };
  const command = JSON.parse(await readFile(path.join(dir, 'command.json'), 'utf8')) as { argv: string[] };
  const outcome = JSON.parse(await readFile(path.join(dir, 'outcome.json'), 'utf8')) as RunDoc['outcome'];
  return { dir, device: run.device, plan: run.plan, settings: run.preset.settings, argv: command.argv, outcome };
}

before(async () => {
  root = await tempDir('tack-engine-train-');
  env = realEngineEnv(root.dir);
  project = await makeEngineProject(root.dir, 'ana');
});

after(async () => {
  await killEverythingUnder(root.dir);
  await root?.cleanup();
});

/** Epoch 1 is done: its checkpoint, its complete optimizer state (random_states_0.pkl is written last) and its sample. */
async function epochOneSaved(): Promise<boolean> {
  const runs = await readdir(path.join(project, 'runs')).catch(() => [] as string[]);
  for (const id of runs) {
    const out = path.join(project, 'runs', id, 'output');
    const state = await readdir(path.join(out, 'ana-000001-state')).catch(() => [] as string[]);
    const samples = await readdir(path.join(out, 'sample')).catch(() => [] as string[]);
    if (state.includes('random_states_0.pkl') && samples.some((s) => s.startsWith('ana_e000001_00_'))) {
      runDir = path.join(project, 'runs', id);
      return true;
    }
  }
  return false;
}

test('tack train --device cpu, Ctrl-C after the first checkpoint: cancelled, the checkpoint and its state kept, no process left', { timeout: 30 * 60_000 }, async () => {
  await waitForMemory();
  const live = startRealTack(['train', project, '--device', 'cpu'], { env, root: root.dir, timeoutMs: 25 * 60_000 });
  let ended = false;
  void live.done.then(() => (ended = true));
  await waitFor(async () => ended || (await epochOneSaved()), 26 * 60_000, 'epoch 1 saved (checkpoint, state, sample)');
  live.interrupt();
  stopped = await live.done;
  assert.equal(stopped.timedOut, false);
  assert.equal(stopped.code, 130, `${stopped.stdout.slice(-1500)}\n${stopped.stderr.slice(-1500)}\n${await logTail(runDir)}`);
  assert.match(stopped.stdout, /preset pony-realism, GPU profile 24gb, device cpu/);
  assert.match(stopped.stdout, /optimizer\s+AdamW\s+\(AdamW8bit is a bitsandbytes optimizer, which needs a CUDA GPU/, 'the replacement is explained like any other decision');
  assert.match(stopped.stdout, /Training on the CPU is hundreds of times slower/);
  assert.match(stopped.stdout, /Cancelled: Stopped by the user at step [23]\/4; 1 checkpoint\(s\) kept/);
  assert.match(stopped.stdout, /tack train .*ana --resume/);
  const run = JSON.parse(await readFile(path.join(runDir, 'run.json'), 'utf8')) as { status: string };
  assert.equal(run.status, 'cancelled');
  assert.deepEqual(await processesMentioning(runDir), [], 'the trainer and its launcher are gone');
  const s = await stat(path.join(runDir, 'output', 'ana-000001.safetensors'));
  first = { size: s.size, mtimeMs: s.mtimeMs };
});

test('in a log file (not a terminal) the progress shows the steps inside the first epoch, each as it happens', async (t) => {
  if (!stopped) return t.skip('the first launch did not run');
  const lines = stopped.stderr.split('\n');
  for (const step of [1, 2]) assert.ok(lines.some((l) => new RegExp(`step ${step}/4 `).test(l)), `step ${step}/4 in:\n${lines.filter((l) => l.includes('step')).join('\n')}`);
  assert.ok(lines.findIndex((l) => /step 1\/4/.test(l)) < lines.findIndex((l) => /checkpoint epoch 1:/.test(l)), 'step 1 is shown before the epoch ends');
  assert.match(stopped.stderr, /checkpoint epoch 1: output\/ana-000001\.safetensors/);
});

test('--resume continues from the saved state to succeeded: two checkpoints, samples, metrics, run.json; progress from the resumed step; nothing lost', { timeout: 30 * 60_000 }, async (t) => {
  if (!first) return t.skip('the first launch kept no checkpoint');
  await waitForMemory();
  const resumed = await runRealTack(['train', project, '--resume'], { env, root: root.dir, timeoutMs: 25 * 60_000 });
  assert.equal(resumed.timedOut, false);
  assert.equal(resumed.code, 0, `${resumed.stdout.slice(-1500)}\n${resumed.stderr.slice(-1500)}\n${await logTail(runDir)}`);
  assert.match(resumed.stdout, /Resuming run \S+ \(cancelled\) from output\/ana-000001-state \(step 2\)/);
  assert.match(resumed.stdout, /Succeeded: Trained 4 steps in 2 epoch\(s\): 2 checkpoint\(s\)/);
  const progress = resumed.stderr.split('\n').filter((l) => /step \d+\/4 /.test(l));
  assert.ok(progress.length > 0, resumed.stderr);
  assert.ok(progress.every((l) => !/step [01]\/4/.test(l)), `the display starts at the resumed step:\n${progress.join('\n')}`);
  assert.ok(progress.some((l) => /step 4\/4/.test(l)));

  doc = await readRunFolder(runDir);
  assert.equal(doc.outcome.kind, 'succeeded', doc.outcome.message);
  assert.equal(doc.device, 'cpu');
  assert.ok(doc.argv.includes('--cpu'), 'accelerate is told to use the CPU');
  assert.deepEqual(doc.argv.slice(-2), ['--resume', path.join(runDir, 'output', 'ana-000001-state')]);
  assert.equal(doc.settings.optimizer, 'AdamW');
  assert.equal(doc.settings.mixed_precision, 'bf16');
  assert.deepEqual([doc.plan.totalSteps, doc.plan.epochs, doc.plan.batchesPerEpoch], [4, 2, 2]);
  assert.deepEqual(doc.outcome.steps, { done: 4, total: 4 });
  assert.deepEqual(
    doc.outcome.checkpoints.map((c) => [c.epoch, c.final, c.file]),
    [
      [1, false, 'output/ana-000001.safetensors'],
      [2, true, 'output/ana.safetensors'],
    ],
  );
  const s = await stat(path.join(runDir, 'output', 'ana-000001.safetensors'));
  assert.deepEqual({ size: s.size, mtimeMs: s.mtimeMs }, first, 'the epoch-1 checkpoint was not retrained or rewritten');
  const samples = await readdir(path.join(runDir, 'output', 'sample'));
  for (const e of [1, 2]) assert.ok(samples.some((f) => new RegExp(`^ana_e00000${e}_00_\\d{14}_7\\.png$`).test(f)), `epoch ${e}'s sample in ${samples.join(', ')}`);
  const run = JSON.parse(await readFile(path.join(runDir, 'run.json'), 'utf8')) as { status: string; device: string; attempts: Array<{ outcome: string; resumedFrom?: string }> };
  assert.equal(run.status, 'succeeded');
  assert.deepEqual(run.attempts.map((a) => a.outcome), ['cancelled', 'succeeded']);
  assert.equal(run.attempts[1]?.resumedFrom, 'output/ana-000001-state');
  assert.deepEqual(await processesMentioning(runDir), [], 'no trainer is left running');
});

test('the engine counted what tack planned, and metrics.jsonl tells the run step by step across the resume', async (t) => {
  if (!doc) return t.skip('the run did not finish');
  const log = await readFile(path.join(doc.dir, 'log.txt'), 'utf8');
  assert.equal(Number(/total optimization steps \/ 学習ステップ数: (\d+)/.exec(log)?.[1]), doc.plan.totalSteps);
  assert.match(log, /num batches per epoch \/ 1epochのバッチ数: 2/);
  assert.match(log, /==== tack: resumed .* from output\/ana-000001-state ====/);
  const metrics = (await readFile(path.join(doc.dir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const steps = [...new Set(metrics.filter((m) => m.kind === undefined).map((m) => m.step as number))].sort();
  assert.deepEqual(steps, [0, 1, 2, 3, 4], 'every step, counted from the start of the run');
  assert.deepEqual(metrics.filter((m) => m.kind === 'checkpoint').map((m) => m.epoch), [1, 2]);
  assert.equal(metrics.at(-1)?.outcome, 'succeeded');
});

test('tack lora inspect and verify read both checkpoints as the engine wrote them', async (t) => {
  if (!doc) return t.skip('the run did not finish');
  for (const [file, epoch] of [
    ['ana-000001.safetensors', 1],
    ['ana.safetensors', 2],
  ] as const) {
    const lora = path.join((doc as RunDoc).dir, 'output', file);
    const inspected = await runTack(['lora', 'inspect', lora, '--json'], { env });
    assert.equal(inspected.code, 0, inspected.stderr);
    const info = JSON.parse(inspected.stdout) as { architecture: { id: string }; network: { rank: { min: number; max: number } }; training: { epoch?: number; steps?: number; optimizer?: string; mixedPrecision?: string }; health: { nonFinite: unknown[] } };
    assert.equal(info.architecture.id, 'sdxl');
    assert.deepEqual(info.network.rank, { min: 1, max: 1 });
    assert.equal(info.training.epoch, epoch);
    // sd-scripts records its own step counter, which restarts at 0 after a resume: the final
    // file, saved by the resumed launch, says 2 (the steps since the resume).
    assert.equal(info.training.steps, 2);
    assert.match(info.training.optimizer ?? '', /AdamW/);
    assert.equal(info.training.mixedPrecision, 'bf16');
    assert.deepEqual(info.health.nonFinite, []);
    const verified = await runTack(['lora', 'verify', lora, '--base', engine.baseModel, '--json'], { env, timeoutMs: 300_000 });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.equal((JSON.parse(verified.stdout) as { ok: boolean }).ok, true);
  }
});

test('tack sweep --backend sd-scripts renders each epoch with the real sdxl_gen_img.py, settings in the PNG, then scores them', { timeout: 30 * 60_000 }, async (t) => {
  if (doc?.outcome?.kind !== 'succeeded') return t.skip('the training test did not succeed');
  await waitForMemory();
  const sweepEnv = realEngineEnv(root.dir, { TACK_SD_SCRIPTS: engine.sdScripts, TACK_PYTHON: engine.python });
  const swept = await runRealTack(['sweep', project, '--backend', 'sd-scripts', '--strengths', '1', '--json'], { env: sweepEnv, root: root.dir, timeoutMs: 25 * 60_000 });
  assert.equal(swept.timedOut, false, 'the sweep timed out');
  assert.equal(swept.code, 0, swept.stderr.slice(-3000));
  const result = JSON.parse(swept.stdout) as { rendered: number; total: number; dir: string; cells?: Array<{ epoch: number; strength: number; source: string; samples: number }>; recommendation?: { kind: string; summary: string } };
  assert.deepEqual([result.rendered, result.total], [2, 2]);
  const images = (await readdir(result.dir)).filter((f) => f.endsWith('.png')).sort();
  assert.deepEqual(images, ['e000001_s1.00_p00_7.png', 'e000002_s1.00_p00_7.png']);
  const info = await runTack(['infotext', path.join(result.dir, 'e000002_s1.00_p00_7.png'), '--json'], { env });
  assert.equal(info.code, 0, info.stderr);
  const settings = (JSON.parse(info.stdout) as { settings: { seed: number; width: number; height: number; steps: number; loras: Array<{ name: string; weight: number }> } }).settings;
  assert.deepEqual([settings.seed, settings.width, settings.height, settings.steps], [7, 64, 64, 1]);
  assert.deepEqual(settings.loras.map((l) => [l.name, l.weight]), [['ana', 1]]);
  const sweepCells = (result.cells ?? []).filter((c) => c.source === 'sd-scripts');
  assert.deepEqual(sweepCells.map((c) => [c.epoch, c.strength, c.samples]).sort(), [
    [1, 1, 1],
    [2, 1, 1],
  ]);
  assert.ok(result.recommendation?.summary, 'the scores end in a recommendation (the random model draws no face)');
});

/**
 * Each way a run goes wrong ends in the right typed outcome, message and exit code, with the
 * fake sd-scripts playing the engine's real failure output.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runTack, tempDir } from './helpers/cli.js';
import { editConfig, fakeEngineEnv, makeTrainingProject } from './helpers/fake-engine.js';

let root: { dir: string; cleanup: () => Promise<void> };
let project: string;

before(async () => {
  root = await tempDir('tack-fail-');
  project = await makeTrainingProject(root.dir, 'fail', { env: fakeEngineEnv(root.dir) });
});

after(async () => {
  await root.cleanup();
});

interface TrainDoc {
  run: { id: string; dir: string };
  outcome: { kind: string; reason?: string; message: string; hint: string; exitCode: number | null; checkpoints: unknown[]; lastLines?: string[] };
}

async function train(extraEnv: Record<string, string>): Promise<{ code: number | null; doc: TrainDoc; stderr: string }> {
  const result = await runTack(['train', project, '--json'], { env: fakeEngineEnv(root.dir, extraEnv) });
  return { code: result.code, doc: JSON.parse(result.stdout || '{}') as TrainDoc, stderr: result.stderr };
}

test('CUDA out of memory: failed (out-of-memory) with the memory hint, exit code 5', async () => {
  const { code, doc } = await train({ FAKE_SD_SCRIPTS_MODE: 'oom', FAKE_SD_SCRIPTS_FAIL_AT_STEP: '2' });
  assert.equal(code, 5);
  assert.equal(doc.outcome.kind, 'failed');
  assert.equal(doc.outcome.reason, 'out-of-memory');
  assert.match(doc.outcome.message, /CUDA out of memory/);
  assert.match(doc.outcome.hint, /gpu_profile = "12gb"/);
  assert.ok(doc.outcome.lastLines?.some((l) => l.includes('OutOfMemoryError')));
  const run = JSON.parse(await readFile(path.join(doc.run.dir, 'run.json'), 'utf8'));
  assert.equal(run.status, 'failed');
});

test('NaN loss: tack stops the trainer itself (the engine would go on) and says why', async () => {
  const { code, doc } = await train({ FAKE_SD_SCRIPTS_MODE: 'nan', FAKE_SD_SCRIPTS_FAIL_AT_STEP: '3', FAKE_SD_SCRIPTS_STEP_SECONDS: '0.2' });
  assert.equal(code, 5);
  assert.equal(doc.outcome.reason, 'nan-loss');
  assert.match(doc.outcome.hint, /bf16/);
  const metrics = await readFile(path.join(doc.run.dir, 'metrics.jsonl'), 'utf8');
  assert.match(metrics, /"kind":"stop","reason":"nan-loss"/);
  assert.match(metrics, /"lossNaN":true/);
});

test('"No data found" exits 0 but ends as failed (no-data)', async () => {
  const { code, doc } = await train({ FAKE_SD_SCRIPTS_MODE: 'no-data' });
  assert.equal(code, 5);
  assert.equal(doc.outcome.exitCode, 0, 'the engine itself exited with 0');
  assert.equal(doc.outcome.reason, 'no-data');
  assert.match(doc.outcome.message, /No data found/);
  assert.match(doc.outcome.hint, /tack prepare/);
});

test('an engine that lacks an argument tack passes: unrecognized arguments (version mismatch)', async () => {
  const { code, doc } = await train({ FAKE_SD_SCRIPTS_REMOVE_ARGS: 'dataset_config' });
  assert.equal(code, 5);
  assert.equal(doc.outcome.reason, 'bad-arguments');
  assert.match(doc.outcome.message, /unrecognized arguments: --dataset_config/);
  assert.match(doc.outcome.hint, /tack engine doctor shows the commit/);
});

test('an assertion in the engine ends as failed (assertion) with its message', async () => {
  const { doc } = await train({ FAKE_SD_SCRIPTS_MODE: 'assert', FAKE_SD_SCRIPTS_FAIL_AT_STEP: '1' });
  assert.equal(doc.outcome.reason, 'assertion');
  assert.match(doc.outcome.message, /cannot be trained with caching Text Encoder outputs/);
});

test('a crash with a traceback ends as failed (crashed) with the exception and exit code', async () => {
  const { doc } = await train({ FAKE_SD_SCRIPTS_MODE: 'crash', FAKE_SD_SCRIPTS_FAIL_AT_STEP: '2' });
  assert.equal(doc.outcome.reason, 'crashed');
  assert.notEqual(doc.outcome.exitCode, 0);
  assert.match(doc.outcome.message, /RuntimeError: Expected all tensors to be on the same device/);
});

test('a trainer that hangs silently is stopped after [train] stall_timeout_minutes', async () => {
  await editConfig(project, (c) => {
    (c.train as Record<string, unknown>).stall_timeout_minutes = 0.05;
  });
  try {
    const started = Date.now();
    const { code, doc } = await train({ FAKE_SD_SCRIPTS_MODE: 'hang' });
    assert.equal(code, 5);
    assert.equal(doc.outcome.reason, 'stalled');
    assert.match(doc.outcome.message, /printed nothing for 0\.05 minutes/);
    assert.ok(Date.now() - started < 30_000);
  } finally {
    await editConfig(project, (c) => {
      (c.train as Record<string, unknown>).stall_timeout_minutes = 30;
    });
  }
});

test('no GPU: the launch is refused before anything starts, with the way out', async () => {
  const result = await runTack(['train', project], { env: fakeEngineEnv(root.dir, { FAKE_GPUS: '' }) });
  assert.equal(result.code, 4);
  assert.match(result.stderr, /ENGINE_NO_GPU/);
  assert.match(result.stderr, /--dry-run or tack export --bundle/);
});

test('no engine: ENGINE_NOT_FOUND names the install command', async () => {
  const result = await runTack(['train', project], { env: fakeEngineEnv(root.dir, { TACK_SD_SCRIPTS: path.join(root.dir, 'nowhere') }) });
  assert.equal(result.code, 4);
  assert.match(result.stderr, /ENGINE_NOT_FOUND/);
  assert.match(result.stderr, /tack engine install/);
});

test('a base model that is not SDXL is refused before launch', async () => {
  const { writeFakeSdxlModel } = await import('./helpers/fake-engine.js');
  const sd15 = path.join(root.dir, 'v1-5.safetensors');
  await writeFakeSdxlModel(sd15, 'sd1');
  await editConfig(project, (c) => {
    c.base_model = sd15;
  });
  try {
    const result = await runTack(['train', project], { env: fakeEngineEnv(root.dir) });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /ENGINE_BAD_MODEL/);
    assert.match(result.stderr, /Stable Diffusion 1\.x/);
  } finally {
    await editConfig(project, (c) => {
      c.base_model = path.join(root.dir, 'sdxl-base.safetensors');
    });
  }
});

test('[train] settings the engine would refuse stop the launch with every problem named', async () => {
  await editConfig(project, (c) => {
    (c.train as Record<string, unknown>).extra_args = ['text_encoder_lr1=1e-5', 'clip_skip=2'];
  });
  try {
    const result = await runTack(['train', project], { env: fakeEngineEnv(root.dir) });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /RUN_CONFIG_REFUSED/);
    assert.match(result.stderr, /text_encoder_lr1 is not an argument/);
    assert.match(result.stderr, /clip_skip is written by tack/);
  } finally {
    await editConfig(project, (c) => {
      delete (c.train as Record<string, unknown>).extra_args;
    });
  }
});

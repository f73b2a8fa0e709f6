/**
 * Training devices against the fake sd-scripts (its torch reports CUDA GPUs from FAKE_GPUS,
 * an Apple GPU with FAKE_MPS=1, torch 1.x without sdpa from FAKE_TORCH_VERSION, and its trainer
 * fails like the real one where a device cannot run a setting): cpu and mps train with the
 * preset's impossible values replaced and explained, auto still refuses without CUDA, engine
 * doctor says which device it would use, runtime refusals name the engine's own error, and a
 * CPU bundle trains with its train.sh.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runTack, tempDir } from './helpers/cli.js';
import { editConfig, FAKE_SD_SCRIPTS, fakeEngineEnv, makeTrainingProject } from './helpers/fake-engine.js';

let root: { dir: string; cleanup: () => Promise<void> };
let project: string;
/** A machine without a GPU, with torch 1.13 (no scaled_dot_product_attention). */
let cpuEnv: NodeJS.ProcessEnv;

before(async () => {
  root = await tempDir('tack-device-');
  cpuEnv = fakeEngineEnv(root.dir, { FAKE_GPUS: '', FAKE_TORCH_VERSION: '1.13.0' });
  project = await makeTrainingProject(root.dir, 'dev', { env: cpuEnv });
});

after(async () => {
  await root.cleanup();
});

interface Decision {
  key: string;
  value: unknown;
  layer: string;
  reason?: { why: string };
}
interface TrainDoc {
  run: { dir: string };
  device: string;
  settings: Record<string, unknown>;
  decisions: Decision[];
  findings: Array<{ code: string; message: string }>;
  command: { argv: string[] };
  outcome: { kind: string; reason?: string; message: string; hint: string; engineError?: string };
}

async function train(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; doc: TrainDoc; stderr: string }> {
  const result = await runTack(['train', project, '--json', ...args], { env });
  return { code: result.code, doc: JSON.parse(result.stdout || '{}') as TrainDoc, stderr: result.stderr };
}

test('--device cpu trains without a GPU; 8-bit optimizer and sdpa are replaced and explained like any decision', async () => {
  const { code, doc, stderr } = await train(['--device', 'cpu'], cpuEnv);
  assert.equal(code, 0, stderr);
  assert.equal(doc.outcome.kind, 'succeeded');
  assert.equal(doc.device, 'cpu');
  const decision = (key: string) => doc.decisions.find((d) => d.key === key) as Decision;
  assert.equal(decision('optimizer').value, 'AdamW');
  assert.equal(decision('optimizer').layer, 'device cpu');
  assert.match(decision('optimizer').reason?.why ?? '', /AdamW8bit is a bitsandbytes optimizer, which needs a CUDA GPU/);
  assert.equal(decision('attention').value, 'none');
  assert.match(decision('attention').reason?.why ?? '', /sdpa needs torch 2/);
  assert.equal(doc.settings.mixed_precision, 'bf16');
  assert.ok(doc.findings.some((f) => f.code === 'RUN_DEVICE_SLOW' && /hundreds of times slower/.test(f.message)));
  assert.ok(doc.command.argv.includes('--cpu'), 'accelerate is forced onto the CPU');
  assert.ok(!doc.command.argv.includes('--num_cpu_threads_per_process'), 'accelerate picks a thread per physical core');
  const log = await readFile(path.join(doc.run.dir, 'log.txt'), 'utf8');
  assert.match(log, /accelerator device: cpu/);
  const args = await readFile(path.join(doc.run.dir, 'config', 'args.toml'), 'utf8');
  assert.match(args, /optimizer_type = "AdamW"/);
  assert.doesNotMatch(args, /^sdpa = true/m);
  const run = JSON.parse(await readFile(path.join(doc.run.dir, 'run.json'), 'utf8')) as { device: string };
  assert.equal(run.device, 'cpu');
});

test('[train] device = "cpu" with fp16 and sdpa set by hand: both replaced (they cannot work there) with a warning each', async () => {
  await editConfig(project, (c) => {
    Object.assign(c.train as Record<string, unknown>, { device: 'cpu', mixed_precision: 'fp16', attention: 'sdpa' });
  });
  try {
    const { code, doc, stderr } = await train([], cpuEnv);
    assert.equal(code, 0, stderr);
    assert.equal(doc.settings.mixed_precision, 'bf16');
    assert.equal(doc.settings.attention, 'none');
    const replaced = doc.findings.filter((f) => f.code === 'RUN_DEVICE_SETTING_REPLACED').map((f) => f.message);
    assert.equal(replaced.length, 2, replaced.join('\n'));
    assert.match(replaced.join('\n'), /\[train\] mixed_precision = "fp16" cannot work on cpu: "bf16" is used instead/);
  } finally {
    await editConfig(project, (c) => {
      const t = c.train as Record<string, unknown>;
      delete t.device;
      delete t.mixed_precision;
      delete t.attention;
    });
  }
});

test('--device mps: fp32 by default; bf16 set by hand is kept with a warning and the engine\'s refusal is named', async () => {
  const mpsEnv = fakeEngineEnv(root.dir, { FAKE_GPUS: '', FAKE_MPS: '1' });
  const ok = await train(['--device', 'mps'], mpsEnv);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.doc.settings.mixed_precision, 'no');
  assert.equal(ok.doc.settings.optimizer, 'AdamW');
  assert.ok(!ok.doc.command.argv.includes('--cpu'));
  assert.match(await readFile(path.join(ok.doc.run.dir, 'log.txt'), 'utf8'), /accelerator device: mps/);

  await editConfig(project, (c) => {
    (c.train as Record<string, unknown>).mixed_precision = 'bf16';
  });
  try {
    const refused = await train(['--device', 'mps'], mpsEnv);
    assert.equal(refused.code, 5);
    assert.ok(refused.doc.findings.some((f) => f.code === 'RUN_DEVICE_SETTING_KEPT'));
    assert.equal(refused.doc.outcome.reason, 'device-unsupported');
    assert.equal(refused.doc.outcome.engineError, 'ValueError: bf16 mixed precision requires PyTorch >= 1.10 and a supported device.');
    assert.match(refused.doc.outcome.message, /The engine said: ValueError: bf16 mixed precision requires/);
    assert.match(refused.doc.outcome.hint, /mixed_precision = "no"/);
  } finally {
    await editConfig(project, (c) => {
      delete (c.train as Record<string, unknown>).mixed_precision;
    });
  }
  const none = await runTack(['train', project, '--device', 'mps'], { env: cpuEnv });
  assert.equal(none.code, 4);
  assert.match(none.stderr, /ENGINE_NO_GPU.*torch 1\.13\.0 has no usable MPS \(Apple GPU\) device here/);
});

test('auto without a CUDA GPU refuses as before, and the hint names --device cpu', async () => {
  const result = await runTack(['train', project], { env: cpuEnv });
  assert.equal(result.code, 4);
  assert.match(result.stderr, /ENGINE_NO_GPU.*torch 1\.13\.0 sees no CUDA GPU, so SDXL training cannot start here\./);
  assert.match(result.stderr, /--device cpu/);
});

test("an optimizer the engine cannot import fails at run time with the engine's own ImportError and the package to install", async () => {
  await editConfig(project, (c) => {
    (c.train as Record<string, unknown>).optimizer = 'Prodigy';
  });
  try {
    const { code, doc } = await train([], fakeEngineEnv(root.dir));
    assert.equal(code, 5);
    assert.equal(doc.outcome.reason, 'missing-module');
    assert.equal(doc.outcome.engineError, 'ImportError: No Prodigy / Prodigy がインストールされていないようです', "the engine's exception, not the ModuleNotFoundError it chained or accelerate's CalledProcessError");
    assert.match(doc.outcome.hint, /pip install prodigyopt, or set \[train\] optimizer = "AdamW"/);
  } finally {
    await editConfig(project, (c) => {
      delete (c.train as Record<string, unknown>).optimizer;
    });
  }
  const noBnb = await train([], fakeEngineEnv(root.dir, { FAKE_NO_BITSANDBYTES: '1' }));
  assert.equal(noBnb.doc.outcome.reason, 'missing-module');
  assert.match(noBnb.doc.outcome.engineError ?? '', /ImportError: No bitsandbytes/);
  assert.match(noBnb.doc.outcome.hint, /pip install bitsandbytes \(and a CUDA GPU\)/);
});

test('engine doctor says which device tack train would use', async () => {
  const doctor = async (args: string[], env: NodeJS.ProcessEnv) => {
    const result = await runTack(['engine', 'doctor', '--json', ...args], { env });
    const doc = JSON.parse(result.stdout) as { ready: boolean; device: string | null; checks: Array<{ id: string; status: string; detail: string; fix?: string }> };
    return { code: result.code, doc, check: (id: string) => doc.checks.find((c) => c.id === id) };
  };
  const gpu = await doctor([], fakeEngineEnv(root.dir));
  assert.equal(gpu.doc.device, 'cuda');
  assert.equal(gpu.check('device')?.status, 'ok');
  const auto = await doctor([], cpuEnv);
  assert.equal(auto.code, 4);
  assert.equal(auto.doc.device, null);
  assert.equal(auto.check('device')?.status, 'error');
  assert.match(auto.check('device')?.fix ?? '', /device = "cpu"/);
  const cpu = await doctor(['--device', 'cpu'], cpuEnv);
  assert.equal(cpu.code, 0, JSON.stringify(cpu.doc.checks));
  assert.equal(cpu.doc.ready, true);
  assert.equal(cpu.doc.device, 'cpu');
  assert.equal(cpu.check('cuda')?.status, 'skipped');
  assert.equal(cpu.check('device')?.status, 'warning');
  assert.match(cpu.check('device')?.detail ?? '', /cpu \(device = "cpu"\), plain attention \(this torch has no sdpa\)/);
  assert.equal(cpu.check('bitsandbytes')?.status ?? 'ok', 'ok', 'the 8-bit optimizer is replaced on the CPU, so bitsandbytes is not needed');
  const text = await runTack(['engine', 'doctor', '--device', 'mps'], { env: fakeEngineEnv(root.dir, { FAKE_GPUS: '', FAKE_MPS: '1' }) });
  assert.equal(text.code, 0, text.stdout);
  assert.match(text.stdout, /\[warn\] device\s+mps \(device = "mps"\)/);
  assert.match(text.stdout, /Ready to train on mps\./);
});

test('a bundle for device cpu: CPU settings, accelerate --cpu, and its train.sh trains on a machine without a GPU', async () => {
  const zip = path.join(root.dir, 'dev-cpu.zip');
  const result = await runTack(['export', project, '--bundle', zip, '--device', 'cpu', '--json'], { env: fakeEngineEnv(root.dir, { TACK_SD_SCRIPTS: '' }) });
  assert.equal(result.code, 0, result.stderr);
  const doc = JSON.parse(result.stdout) as { root: string; device: string };
  assert.equal(doc.device, 'cpu');
  assert.equal(spawnSync('unzip', ['-q', zip, '-d', path.join(root.dir, 'cpu-box')]).status, 0);
  const bundle = path.join(root.dir, 'cpu-box', doc.root);
  const args = await readFile(path.join(bundle, 'config', 'args.toml'), 'utf8');
  assert.match(args, /optimizer_type = "AdamW"/);
  assert.doesNotMatch(args, /^sdpa = true/m, 'the torch of that machine is not known: plain attention');
  const script = await readFile(path.join(bundle, 'train.sh'), 'utf8');
  assert.match(script, /on any machine, on the CPU/);
  assert.match(script, /accelerate\.commands\.launch --cpu --num_processes 1/);
  assert.doesNotMatch(script, /NUM_GPUS/);
  assert.match(await readFile(path.join(bundle, 'README.txt'), 'utf8'), /whl\/cpu/);
  const run = spawnSync(path.join(bundle, 'train.sh'), [path.join(root.dir, 'sdxl-base.safetensors')], {
    cwd: root.dir,
    env: { ...process.env, SD_SCRIPTS: FAKE_SD_SCRIPTS, PYTHON: path.join(FAKE_SD_SCRIPTS, 'venv', 'bin', 'python'), FAKE_GPUS: '', FAKE_SD_SCRIPTS_STEP_SECONDS: '0.002' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(await readFile(path.join(bundle, 'log.txt'), 'utf8'), /accelerator device: cpu/);
  assert.ok((await readdir(path.join(bundle, 'output'))).includes('dev.safetensors'));
});

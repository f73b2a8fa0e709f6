/**
 * tack sweep --backend sd-scripts with the fake sdxl_gen_img.py (it fails like the real script
 * where the device or torch cannot run a flag): the generation script gets the precision and
 * attention of the run and of the torch that renders, and when it fails, the error names the
 * script's own exception, not only its exit code.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT, runTack, tempDir } from './helpers/cli.js';
import { makeEvalProject, RUN_ID, sampleImage } from './helpers/eval-project.js';
import { FAKE_SD_SCRIPTS } from './helpers/fake-engine.js';

const FAKE_GEN = path.join(REPO_ROOT, 'test', 'fixtures', 'fake-gen-img');
let root: { dir: string; cleanup: () => Promise<void> };
let project: string;
let runJson: string;
let env: NodeJS.ProcessEnv;
let argvLog: string;

before(async () => {
  root = await tempDir('tack-sweep-precision-');
  project = path.join(root.dir, 'p');
  await makeEvalProject(project, { epochs: [['no-face', 'no-face'], ['no-face', 'no-face']] });
  await mkdir(path.join(project, 'models'), { recursive: true });
  await writeFile(path.join(project, 'models', 'ponyRealism.safetensors'), 'base model');
  const image = path.join(root.dir, 'any.png');
  await writeFile(image, await sampleImage('no-face', 64, 64));
  runJson = path.join(project, 'runs', RUN_ID, 'run.json');
  argvLog = path.join(root.dir, 'gen-argv.jsonl');
  env = { TACK_PYTHON: 'python3', TACK_SD_SCRIPTS: FAKE_GEN, FAKE_GEN_MAP: JSON.stringify({ '*': image }), FAKE_GEN_LOG: argvLog };
});

after(async () => {
  await root.cleanup();
});

/** Sets how the run trained, as tack train records it in run.json. */
async function trainedWith(settings: Record<string, unknown> | undefined, device?: string): Promise<void> {
  const run = JSON.parse(await readFile(runJson, 'utf8')) as Record<string, unknown> & { preset: Record<string, unknown> };
  if (settings) run.preset = { ...run.preset, settings };
  else delete run.preset.settings;
  if (device) run.device = device;
  else delete run.device;
  await writeFile(runJson, JSON.stringify(run));
}

async function lastArgv(): Promise<string[]> {
  return JSON.parse((await readFile(argvLog, 'utf8')).trim().split('\n').at(-1) as string) as string[];
}

function sweep(extra: Record<string, string> = {}, ...args: string[]) {
  return runTack(['sweep', project, '--backend', 'sd-scripts', '--strengths', '1', '--no-evaluate', '--json', ...args], { env: { ...env, ...extra } });
}

test("a bf16 run trained on the CPU is rendered with --bf16 and the run's plain attention", async () => {
  await trainedWith({ mixed_precision: 'bf16', attention: 'none', no_half_vae: true }, 'cpu');
  const result = await sweep({ FAKE_GEN_DEVICE: 'cpu', FAKE_GEN_NO_SDPA: '1' });
  assert.equal(result.code, 0, result.stderr);
  const argv = await lastArgv();
  assert.ok(argv.includes('--bf16'));
  for (const flag of ['--fp16', '--sdpa', '--xformers']) assert.ok(!argv.includes(flag), `${flag} in ${argv.join(' ')}`);
  assert.ok(argv.includes('--no_half_vae'));
});

test('the torch that renders decides too: no CUDA means no fp16, torch 1.x means no --sdpa', async () => {
  await trainedWith({ mixed_precision: 'fp16', attention: 'sdpa', no_half_vae: true });
  // The fake engine's Python: its torch reports no GPU and version 1.13 (no scaled_dot_product_attention).
  const fakePython = path.join(FAKE_SD_SCRIPTS, 'venv', 'bin', 'python');
  const result = await sweep({ TACK_PYTHON: fakePython, FAKE_GPUS: '', FAKE_TORCH_VERSION: '1.13.0', FAKE_GEN_DEVICE: 'cpu', FAKE_GEN_NO_SDPA: '1' }, '--epochs', '2');
  assert.equal(result.code, 0, result.stderr);
  const argv = await lastArgv();
  assert.ok(argv.includes('--bf16') && !argv.includes('--fp16'), argv.join(' '));
  assert.ok(!argv.includes('--sdpa'));
});

test("a failing generation script: the error names its exception (not only the exit code) and keeps it for the studio", async () => {
  // A run from before tack recorded settings: the GPU defaults (--fp16 --sdpa), which fail on a CPU torch.
  await trainedWith(undefined);
  const result = await runTack(['sweep', project, '--backend', 'sd-scripts', '--strengths', '0.5', '--no-evaluate'], { env: { ...env, FAKE_GEN_DEVICE: 'cpu' } });
  assert.equal(result.code, 4, result.stdout + result.stderr);
  const first = result.stderr.split('\n').find((l) => l.startsWith('error[')) ?? '';
  assert.match(first, /^error\[EVAL_BACKEND_FAILED\]: sdxl_gen_img\.py exited with code 1 after 0 of 4 images: RuntimeError: "LayerNormKernelImpl" not implemented for 'Half'$/);
  const json = await runTack(['sweep', project, '--backend', 'sd-scripts', '--strengths', '0.5', '--no-evaluate', '--json'], { env: { ...env, FAKE_GEN_DEVICE: 'cpu' } });
  assert.equal(json.code, 4);
  const error = (JSON.parse(json.stdout) as { error: { code: string; details: { engineError?: string; precisionFlags?: string[] } } }).error;
  assert.equal(error.code, 'EVAL_BACKEND_FAILED');
  assert.equal(error.details.engineError, `RuntimeError: "LayerNormKernelImpl" not implemented for 'Half'`);
  assert.deepEqual(error.details.precisionFlags, ['--fp16', '--sdpa', '--no_half_vae']);
});

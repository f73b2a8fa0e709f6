/**
 * Every built-in preset with every GPU profile, and a kohya_ss GUI preset import, make configs
 * that the real engine's own code accepts: check_config.py (the engine folder's check-only
 * driver) runs sd-scripts' parser, config reader, dataset schema and bucketing on tack's two
 * TOMLs, then the checks a run reaches after loading the model (network module, optimizer,
 * scheduler, sample prompts). The engine's step arithmetic must equal tack's plan. No model is
 * loaded: seconds per config.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runTack, tempDir } from '../helpers/cli.js';
import { makeEngineProject, realEngine, realEngineEnv } from './engine-helpers.js';

const engine = realEngine();
const skip = engine.engineDir ? false : 'TACK_ENGINE_DIR (the engine folder with check_config.py, exported by its env.sh) is not set';
let root: { dir: string; cleanup: () => Promise<void> };
let project: string;
let hasBitsandbytes: boolean;

before(async () => {
  root = await tempDir('tack-engine-check-');
  project = await makeEngineProject(root.dir, 'matrix');
  hasBitsandbytes = spawnSync(engine.python, ['-c', 'import bitsandbytes'], { encoding: 'utf8' }).status === 0;
});

after(async () => {
  await root?.cleanup();
});

interface Checked {
  verdict: string;
  batchesPerEpoch: number;
  totalSteps: number;
  output: string;
  plan: { totalSteps: number; batchesPerEpoch: number };
  settings: { optimizer: string; mixed_precision: string; attention: string };
}

/** A dry run with these options (no engine probe: fast), then the engine's check-only mode on its two TOMLs. */
async function check(options: string[]): Promise<Checked> {
  const env = realEngineEnv(root.dir, { TACK_SD_SCRIPTS: '' });
  const dry = await runTack(['train', project, '--dry-run', '--json', ...options], { env });
  assert.equal(dry.code, 0, dry.stderr);
  const doc = JSON.parse(dry.stdout) as { run: { dir: string }; plan: Checked['plan']; settings: Checked['settings'] };
  const args = ['--config_file', 'config/args.toml', '--dataset_config', 'config/dataset.toml', ...(engine.tokenizerCache ? ['--tokenizer_cache_dir', engine.tokenizerCache] : [])];
  const result = spawnSync(engine.python, [path.join(engine.engineDir as string, 'check_config.py'), '--', ...args], { cwd: doc.run.dir, encoding: 'utf8', timeout: 180_000 });
  const output = `${result.stdout}\n${result.stderr}`;
  const number = (label: string) => Number(new RegExp(`^${label}: (\\d+)`, 'm').exec(result.stdout)?.[1]);
  return {
    verdict: /^VERDICT .*$/m.exec(result.stdout)?.[0] ?? `no verdict (exit ${result.status}): ${output.slice(-800)}`,
    batchesPerEpoch: number('num batches per epoch'),
    totalSteps: number('total optimization steps'),
    output,
    plan: doc.plan,
    settings: doc.settings,
  };
}

/** CONFIG_OK, or (only for an 8-bit optimizer on an engine without bitsandbytes) the engine's own ImportError for it. */
function assertAccepted(c: Checked, what: string): void {
  const eightBitWithoutPackage = /8bit/i.test(c.settings.optimizer) && !hasBitsandbytes;
  if (eightBitWithoutPackage && c.verdict.startsWith('VERDICT SETUP_FAILED')) {
    assert.match(c.verdict, /\[late check get_optimizer\] ImportError: No bitsandbytes/, `${what}: only the optimizer's package (CUDA-only, absent here) may be missing`);
  } else {
    assert.equal(c.verdict, 'VERDICT CONFIG_OK', `${what}:\n${c.output.slice(-1500)}`);
  }
  assert.equal(c.batchesPerEpoch, c.plan.batchesPerEpoch, `${what}: the engine's batches per epoch`);
  assert.equal(c.totalSteps, c.plan.totalSteps, `${what}: the engine's step count is tack's`);
}

for (const preset of ['pony-realism', 'sdxl']) {
  for (const profile of ['8gb', '12gb', '16gb', '24gb']) {
    test(`preset ${preset}, GPU profile ${profile}, device cuda: the engine's check-only mode accepts the configs`, { skip }, async () => {
      assertAccepted(await check(['--preset', preset, '--gpu-profile', profile, '--device', 'cuda']), `${preset}/${profile}`);
    });
  }
  test(`preset ${preset} on device cpu: accepted up to the optimizer and scheduler, with nothing CUDA-only left`, { skip }, async () => {
    const c = await check(['--preset', preset, '--device', 'cpu']);
    assert.equal(c.verdict, 'VERDICT CONFIG_OK', c.output.slice(-1500));
    assert.equal(c.settings.optimizer, 'AdamW');
    assert.equal(c.settings.mixed_precision, 'bf16');
    assert.equal(c.totalSteps, c.plan.totalSteps);
  });
}

test('a kohya_ss GUI preset, imported, makes configs the engine accepts (GPU and CPU)', { skip }, async () => {
  // Saved from the GUI's LoRA tab with the Pony Realism recipe's numbers (the GUI's own keys).
  const file = path.join(root.dir, 'PonyRealism LoRA.json');
  await writeFile(
    file,
    JSON.stringify({
      LoRA_type: 'Standard', sdxl: true, network_dim: 32, network_alpha: 0, clip_skip: 2, seed: 0, epoch: 6, max_train_epochs: 0, max_train_steps: 1600, train_batch_size: 2,
      learning_rate: 0.0001, unet_lr: 0.0001, text_encoder_lr: 0.00005, optimizer: 'AdamW8bit', lr_scheduler: 'cosine', lr_warmup: 10, mixed_precision: 'bf16', save_precision: 'fp16',
      max_resolution: '1024,1024', enable_bucket: true, caption_extension: '.txt', sdxl_cache_text_encoder_outputs: false, sdxl_no_half_vae: true, gradient_checkpointing: true,
      xformers: 'xformers', noise_offset: 0.0357, min_snr_gamma: 5, additional_parameters: '--max_token_length 225', pretrained_model_name_or_path: 'C:/models/ponyRealism_V22.safetensors',
    }),
  );
  const imported = await runTack(['preset', 'import', file, '--json'], { env: realEngineEnv(root.dir, { TACK_SD_SCRIPTS: '' }) });
  assert.equal(imported.code, 0, imported.stderr);
  const name = (JSON.parse(imported.stdout) as { name: string }).name;
  assertAccepted(await check(['--preset', name, '--device', 'cuda', '--gpu-profile', '24gb']), `imported ${name} on cuda`);
  const cpu = await check(['--preset', name, '--device', 'cpu']);
  assert.equal(cpu.verdict, 'VERDICT CONFIG_OK', cpu.output.slice(-1500));
  assert.equal(cpu.settings.attention, 'none', 'xformers is CUDA-only');
});

test('tack engine doctor asks the real torch which device it would train on', async () => {
  const env = realEngineEnv(root.dir);
  const cpu = await runTack(['engine', 'doctor', project, '--device', 'cpu', '--json'], { env, timeoutMs: 300_000 });
  const doc = JSON.parse(cpu.stdout) as { ready: boolean; device: string | null; checks: Array<{ id: string; status: string; detail: string }> };
  const check = (id: string) => doc.checks.find((c) => c.id === id);
  assert.equal(doc.device, 'cpu', cpu.stdout);
  assert.equal(check('device')?.status, 'warning');
  assert.equal(check('base-model')?.status, 'ok', 'the test SDXL is an SDXL checkpoint');
  assert.equal(doc.ready, true, JSON.stringify(doc.checks.filter((c) => c.status === 'error')));
  const auto = await runTack(['engine', 'doctor', '--json'], { env, timeoutMs: 300_000 });
  const autoDoc = JSON.parse(auto.stdout) as { device: string | null; checks: Array<{ id: string; status: string }> };
  const hasCuda = autoDoc.checks.find((c) => c.id === 'cuda')?.status === 'ok';
  assert.equal(autoDoc.device, hasCuda ? 'cuda' : null, 'auto is CUDA or nothing');
});

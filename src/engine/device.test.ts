import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adaptSettingsToDevice, buildGenImgPrecisionArgs, chooseDevice } from './device.js';
import { BUILTIN_PRESETS, gpuProfileByName, resolveTrainSettings, type Preset } from './presets.js';
import { buildLaunchArgv } from './sd-scripts/engine.js';

const lookup = (n: string) => BUILTIN_PRESETS.find((p) => p.name === n);
const resolved = (overrides: Record<string, unknown> = {}, profile = '24gb') => resolveTrainSettings(lookup('pony-realism') as Preset, lookup, gpuProfileByName(profile), overrides);

test('auto trains only on CUDA; mps and cpu when asked for and present; no probe means the GPU the bundle is for', () => {
  const gpu = { torch: '2.6.0', cudaAvailable: true, gpus: [{}], mps: false };
  const none = { torch: '1.13.0', cudaAvailable: false, gpus: [], mps: false };
  assert.deepEqual(chooseDevice('auto', gpu), { device: 'cuda' });
  assert.deepEqual(chooseDevice('auto', none), { problem: 'torch 1.13.0 sees no CUDA GPU, so SDXL training cannot start here.' });
  assert.deepEqual(chooseDevice('cpu', none), { device: 'cpu' });
  assert.match(chooseDevice('mps', none).problem ?? '', /no usable MPS/);
  assert.deepEqual(chooseDevice('mps', { ...none, mps: true }), { device: 'mps' });
  assert.deepEqual(chooseDevice('auto', undefined), { device: 'cuda' });
  assert.deepEqual(chooseDevice('cpu', undefined), { device: 'cpu' });
});

test('on cuda nothing changes; on the CPU 8-bit, xformers and fp8 go, fp16 becomes bf16, each a decision with its reason', () => {
  const r = resolved({ mixed_precision: 'fp16', attention: 'xformers' }, '8gb');
  const same = adaptSettingsToDevice(r.settings, r.decisions, 'cuda', { sdpa: true });
  assert.deepEqual(same.settings, r.settings);
  assert.deepEqual(same.findings, []);
  const cpu = adaptSettingsToDevice(r.settings, r.decisions, 'cpu', { sdpa: true });
  assert.equal(cpu.settings.optimizer, 'AdamW');
  assert.equal(cpu.settings.mixed_precision, 'bf16');
  assert.equal(cpu.settings.attention, 'none');
  assert.equal(cpu.settings.fp8_base, false, 'the 8gb profile\'s fp8 base');
  const layer = (key: string) => cpu.decisions.find((d) => d.key === key)?.layer;
  assert.deepEqual(['optimizer', 'mixed_precision', 'attention', 'fp8_base'].map(layer), ['device cpu', 'device cpu', 'device cpu', 'device cpu']);
  assert.deepEqual(cpu.findings.map((f) => f.code), ['RUN_DEVICE_SETTING_REPLACED', 'RUN_DEVICE_SETTING_REPLACED'], 'the two values set by hand');
});

test('sdpa stays where torch has it and goes where it does not (or where that torch is unknown, off CUDA)', () => {
  const r = resolved();
  assert.equal(adaptSettingsToDevice(r.settings, r.decisions, 'cpu', { sdpa: true }).settings.attention, 'sdpa');
  assert.equal(adaptSettingsToDevice(r.settings, r.decisions, 'cpu', { sdpa: false }).settings.attention, 'none');
  assert.equal(adaptSettingsToDevice(r.settings, r.decisions, 'cpu').settings.attention, 'none');
  assert.equal(adaptSettingsToDevice(r.settings, r.decisions, 'cuda').settings.attention, 'sdpa', 'a GPU bundle keeps sdpa (sd-scripts needs torch 2 there)');
  assert.equal(adaptSettingsToDevice(r.settings, r.decisions, 'cuda', { sdpa: false }).settings.attention, 'none');
});

test('on MPS mixed precision becomes fp32 unless set by hand, which is kept with a warning', () => {
  const r = resolved();
  assert.equal(adaptSettingsToDevice(r.settings, r.decisions, 'mps', { sdpa: true }).settings.mixed_precision, 'no');
  const byHand = resolved({ mixed_precision: 'bf16' });
  const kept = adaptSettingsToDevice(byHand.settings, byHand.decisions, 'mps', { sdpa: true });
  assert.equal(kept.settings.mixed_precision, 'bf16');
  assert.deepEqual(kept.findings.map((f) => f.code), ['RUN_DEVICE_SETTING_KEPT']);
});

test('the CPU launch forces accelerate onto the CPU with one process and its own thread count', () => {
  const r = resolved();
  const config = {
    outputName: 'a', baseModel: '/m', imageDir: '/d', outputDir: '/o', samplePromptsFile: '/p', classTokens: 'x woman', repeats: 1,
    buckets: { resolution: [256, 256] as const, enableBucket: true, noUpscale: false, minReso: 256, maxReso: 2048, resoSteps: 64 }, batchSize: 1, gradientAccumulationSteps: 1, epochs: 2, totalSteps: 4,
    numProcesses: 1, sampleSampler: 'euler_a', settings: r.settings,
  };
  const argv = buildLaunchArgv({ config, sdScriptsDir: '/s', python: 'python3', cwd: '/r', argsFile: '/r/a.toml', datasetFile: '/r/d.toml', numProcesses: 2, device: 'cpu' });
  assert.deepEqual(argv.slice(0, 6), ['python3', '-m', 'accelerate.commands.launch', '--cpu', '--num_processes', '1']);
  assert.ok(!argv.includes('--multi_gpu') && !argv.includes('--num_cpu_threads_per_process'));
});

test("sweep flags follow the run and the torch that renders", () => {
  assert.deepEqual(buildGenImgPrecisionArgs({}), ['--fp16', '--sdpa', '--no_half_vae'], 'runs that recorded nothing: the GPU defaults');
  assert.deepEqual(buildGenImgPrecisionArgs({ mixedPrecision: 'bf16', attention: 'none', noHalfVae: true, device: 'cpu' }), ['--bf16', '--no_half_vae']);
  assert.deepEqual(buildGenImgPrecisionArgs({ mixedPrecision: 'fp16', attention: 'sdpa', noHalfVae: false }, { cuda: false, sdpa: false }), ['--bf16']);
  assert.deepEqual(buildGenImgPrecisionArgs({ mixedPrecision: 'fp16', attention: 'xformers' }, { cuda: true, sdpa: true }), ['--fp16', '--xformers', '--no_half_vae']);
  assert.deepEqual(buildGenImgPrecisionArgs({ mixedPrecision: 'no', attention: 'sdpa', device: 'mps' }, { cuda: false, sdpa: true }), ['--sdpa', '--no_half_vae']);
});

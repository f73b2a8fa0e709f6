import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BUILTIN_PRESETS, GPU_PROFILES, resolveTrainSettings, type Preset } from '../presets.js';
import type { TrainSettings } from '../settings.js';
import { flattenArgsToml } from './args-schema.js';
import { buildEngineConfig, type EngineConfigInput } from './build-config.js';
import { checkEngineConfig } from './config-check.js';
import { checkDatasetToml } from './dataset-schema.js';
import { parseEngineToml, type EngineTomlTable } from './toml.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/sd-scripts');
const lookup = (n: string) => BUILTIN_PRESETS.find((p) => p.name === n);

function settingsFor(presetName = 'pony-realism', profile = '24gb', overrides: Record<string, unknown> = {}): TrainSettings {
  return resolveTrainSettings(lookup(presetName) as Preset, lookup, GPU_PROFILES.find((p) => p.name === profile), overrides).settings;
}

function input(settings: TrainSettings, extra: Partial<EngineConfigInput> = {}): EngineConfigInput {
  return {
    outputName: 'ana',
    baseModel: '/models/ponyRealism.safetensors',
    imageDir: '/p/dataset/img/40_xanrms woman',
    outputDir: '/p/runs/1/output',
    samplePromptsFile: '/p/runs/1/config/sample_prompts.txt',
    classTokens: 'xanrms woman',
    repeats: 40,
    buckets: { resolution: [1024, 1024], enableBucket: true, noUpscale: false, minReso: 256, maxReso: 2048, resoSteps: 64 },
    batchSize: 2,
    gradientAccumulationSteps: 1,
    epochs: 6,
    totalSteps: 2760,
    numProcesses: 1,
    sampleSampler: 'k_dpm_2_a',
    settings,
    ...extra,
  };
}

function build(settings: TrainSettings, extra: Partial<EngineConfigInput> = {}) {
  const files = buildEngineConfig(input(settings, extra));
  const check = checkEngineConfig({ argsToml: files.argsToml, datasetToml: files.datasetToml, argsFile: 'args.toml', datasetFile: 'dataset.toml' });
  return { files, check, args: check.args as EngineTomlTable, dataset: check.dataset as EngineTomlTable };
}

function errorCodes(check: { findings: ReadonlyArray<{ severity: string; code: string }> }): string[] {
  return check.findings.filter((f) => f.severity === 'error').map((f) => f.code);
}

function subset(dataset: EngineTomlTable): EngineTomlTable {
  return ((dataset.datasets as EngineTomlTable[])[0]?.subsets as EngineTomlTable[])[0] as EngineTomlTable;
}

test('every preset x GPU profile writes configs that pass the engine schema and rules with no error', () => {
  for (const preset of BUILTIN_PRESETS) {
    for (const profile of GPU_PROFILES) {
      const { check } = build(settingsFor(preset.name, profile.name));
      assert.deepEqual(errorCodes(check), [], `${preset.name} on ${profile.name}`);
      assert.deepEqual(check.findings.filter((f) => f.severity === 'warning').map((f) => f.code), [], `${preset.name} on ${profile.name}: no warnings`);
    }
  }
});

test('P3: captions are read from .txt files', () => {
  const { dataset } = build(settingsFor());
  assert.equal((dataset.general as EngineTomlTable).caption_extension, '.txt');
});

test('P5: clip_skip is never written, not even through extra_args', () => {
  const { files, args } = build(settingsFor());
  assert.equal(args.clip_skip, undefined);
  const sneaky = build(settingsFor('pony-realism', '24gb', { extra_args: ['clip_skip=2'] }));
  assert.equal(sneaky.args.clip_skip, undefined);
  assert.ok(sneaky.files.notes.some((n) => n.severity === 'error' && n.code === 'ENGINE_EXTRA_ARG_MANAGED'));
  assert.ok(files.notes.some((n) => n.data?.pitfall === 'P5' && /penultimate/.test(n.message)), 'the output explains why');
});

test('P7: max_train_epochs is always set to the planned epochs', () => {
  const { args } = build(settingsFor(), { epochs: 9 });
  assert.equal(args.max_train_epochs, 9n);
  assert.equal(args.max_train_steps, undefined);
});

test('P8 and P10: text-encoder training is explicit and never combined with text-encoder caching', () => {
  const trained = build(settingsFor('pony-realism', '24gb'));
  assert.equal(trained.args.network_train_unet_only, undefined);
  assert.equal(trained.args.cache_text_encoder_outputs, undefined);
  assert.deepEqual(trained.args.text_encoder_lr, [0.00001]);
  const small = build(settingsFor('pony-realism', '12gb'));
  assert.equal(small.args.network_train_unet_only, true);
  assert.equal(small.args.cache_text_encoder_outputs, true);
  assert.equal(small.args.text_encoder_lr, undefined, 'no text-encoder rate when they are not trained');
  const forced = settingsFor('pony-realism', '12gb', { train_text_encoder: true });
  assert.equal(forced.cache_text_encoder_outputs, false, 'training the text encoders turns their caching off');
  assert.deepEqual(errorCodes(build(forced).check), []);
  // A writer given both anyway is caught before launch.
  const broken = build({ ...settingsFor(), cache_text_encoder_outputs: true });
  assert.ok(errorCodes(broken.check).includes('ENGINE_TE_CACHE_CONFLICT'));
  const zero = build({ ...settingsFor(), text_encoder_lr: 0 });
  assert.ok(errorCodes(zero.check).includes('ENGINE_TE_LR_ZERO'), 'a text-encoder rate of 0 while training them is refused');
});

test('P12: warm-up is an integer step count computed from the engine total', () => {
  const { args } = build(settingsFor(), { totalSteps: 2760 });
  assert.equal(args.lr_warmup_steps, 276n);
  const bad = checkEngineConfig({ argsToml: 'lr_warmup_steps = 100.0\n', datasetToml: '', argsFile: 'a', datasetFile: 'd' });
  assert.ok(bad.findings.some((f) => f.code === 'ENGINE_WARMUP_RATIO' && f.severity === 'error'));
});

test('P13: mixed precision is in the script config', () => {
  assert.equal(build(settingsFor()).args.mixed_precision, 'bf16');
  assert.equal(build(settingsFor('sdxl', '24gb', { mixed_precision: 'fp16' })).args.mixed_precision, 'fp16');
});

test('P21: num_repeats is in the dataset TOML and matches the folder', () => {
  const { dataset } = build(settingsFor(), { repeats: 40 });
  assert.equal(subset(dataset).num_repeats, 40n);
  const missing = checkEngineConfig({
    argsToml: buildEngineConfig(input(settingsFor())).argsToml,
    datasetToml: '[general]\ncaption_extension = ".txt"\n[[datasets]]\nresolution = [1024, 1024]\n[[datasets.subsets]]\nimage_dir = "img/40_xanrms woman"\n',
    argsFile: 'a',
    datasetFile: 'd',
  });
  const f = missing.findings.find((x) => x.code === 'ENGINE_REPEATS');
  assert.ok(f && f.severity === 'error' && /1 repeat/.test(f.message), 'a kohya folder without num_repeats trains 1 repeat');
});

test('P6: alpha and seed are written explicitly; alpha follows a changed rank', () => {
  const { args } = build(settingsFor());
  assert.equal(args.network_alpha, 16);
  assert.equal(args.seed, 42n);
  assert.equal(settingsFor('pony-realism', '24gb', { network_dim: 64 }).network_alpha, 32);
  assert.equal(settingsFor('pony-realism', '24gb', { network_dim: 64, network_alpha: 8 }).network_alpha, 8);
  assert.ok(checkEngineConfig({ argsToml: 'network_dim = 32\n', datasetToml: '', argsFile: 'a', datasetFile: 'd' }).findings.some((f) => f.code === 'ENGINE_NO_ALPHA'));
});

test('P9/P11: unknown keys are errors with a suggestion (the engine would silently ignore them)', () => {
  const check = checkEngineConfig({ argsToml: '[optimizer]\ntext_encoder_lr1 = 1e-5\nlearning-rate = 1e-4\nresolution = 1024\n', datasetToml: '', argsFile: 'a.toml', datasetFile: 'd.toml' });
  const unknown = check.findings.filter((f) => f.code === 'ENGINE_UNKNOWN_ARG');
  assert.deepEqual(unknown.map((f) => f.data?.pitfall), ['P9', 'P11']);
  assert.ok(unknown[1]?.message.includes('Did you mean "learning_rate"'));
  assert.ok(check.findings.some((f) => f.code === 'ENGINE_ARG_TYPE' && f.subject === 'resolution' && /"1024,1024"/.test(f.fix ?? '')), 'an integer resolution crashes the engine');
});

test('extra_args are typed by the engine table; unknown or managed ones are refused', () => {
  const ok = build(settingsFor('pony-realism', '24gb', { extra_args: ['keep_tokens=1', 'network_args=conv_dim=8', 'network_args=conv_alpha=4', 'noise_offset_random_strength=true'] }));
  assert.equal(ok.args.keep_tokens, 1n);
  assert.deepEqual(ok.args.network_args, ['conv_dim=8', 'conv_alpha=4']);
  assert.equal(ok.args.noise_offset_random_strength, true);
  assert.deepEqual(errorCodes(ok.check), []);
  const bad = buildEngineConfig(input(settingsFor('pony-realism', '24gb', { extra_args: ['text_encoder_lr1=1e-5', 'keep_tokens=one', 'max_train_steps=1600', 'optimizer_type=Lion'] })));
  assert.deepEqual(
    bad.notes.filter((n) => n.severity === 'error').map((n) => n.code),
    ['ENGINE_UNKNOWN_ARG', 'ENGINE_ARG_TYPE', 'ENGINE_EXTRA_ARG_MANAGED', 'ENGINE_EXTRA_ARG_SETTING'],
  );
});

test('the dataset TOML checker follows the engine: unknown, misplaced, int for float', () => {
  const text = [
    '[general]',
    'caption_extension = ".txt"',
    'validation_split = 0',
    '[[datasets]]',
    'resolution = [1024, 1024]',
    'num_repeat = 3',
    '[[datasets.subsets]]',
    'image_dir = "x"',
    'batch_size = 2',
  ].join('\n');
  const table = parseEngineToml(text).table as EngineTomlTable;
  const found = checkDatasetToml(table, 'dataset.toml');
  assert.deepEqual(
    found.map((f) => [f.code, f.subject]),
    [
      ['ENGINE_DATASET_TYPE', "data['general']['validation_split']"],
      ['ENGINE_DATASET_UNKNOWN_KEY', "data['datasets'][0]['num_repeat']"],
      ['ENGINE_DATASET_MISPLACED_KEY', "data['datasets'][0]['subsets'][0]['batch_size']"],
    ],
  );
  assert.ok(found[1]?.message.includes('Did you mean "num_repeats"'));
  const settings = checkDatasetToml(parseEngineToml('[settings]\nlearning_rate = 1e-4\n').table as EngineTomlTable, 'd');
  assert.ok(settings[0]?.fix?.includes('--config_file'), 'a training TOML passed as dataset config is named as such');
});

test('the engine-accepted dataset TOML from the shared fixtures passes the checker', () => {
  const table = parseEngineToml(readFileSync(path.join(FIXTURES, 'config', 'dataset.toml'), 'utf8')).table as EngineTomlTable;
  assert.deepEqual(checkDatasetToml(table, 'dataset.toml'), []);
});

test('the args TOML is flattened like the engine: sections are only for reading', () => {
  const { files } = build(settingsFor());
  const table = parseEngineToml(files.argsToml).table as EngineTomlTable;
  assert.ok('model' in table && 'saving' in table);
  const { args } = flattenArgsToml(table);
  assert.equal(args.output_name, 'ana');
  assert.equal(args.console_log_simple, true, 'plain log lines for the parser');
  assert.equal(args.save_every_n_epochs, 1n);
  assert.equal(args.sample_every_n_epochs, 1n);
  assert.equal(args.resolution, '1024,1024', 'resolution is a string in the args TOML');
});

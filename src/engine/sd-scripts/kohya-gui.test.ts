import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTackError } from '../../core/index.js';
import { engineConfigFor, resolvedSettings as resolved } from '../../../test/helpers/kohya-preset.js';
import { BUILTIN_PRESETS } from '../presets.js';
import { exportKohyaPreset } from './kohya-export.js';
import { importKohyaPreset } from './kohya-import.js';
import { KOHYA_GUI_V24_DEFAULTS } from './kohya-gui-keys.js';


function pitfalls(result: ReturnType<typeof importKohyaPreset>): string[] {
  return result.findings.map((f) => `${(f.data?.pitfall as string | undefined) ?? '-'}:${f.code}`).sort();
}

/** A preset as a user saves it from the GUI's LoRA tab with the Pony Realism recipe's numbers. */
const RECIPE_LIKE = {
  LoRA_type: 'Standard',
  sdxl: true,
  network_dim: 32,
  network_alpha: 0,
  clip_skip: 2,
  seed: 0,
  epoch: 6,
  max_train_epochs: 0,
  max_train_steps: 1600,
  train_batch_size: 2,
  learning_rate: 0.0001,
  unet_lr: 0.0001,
  text_encoder_lr: 0,
  optimizer: 'AdamW8bit',
  lr_scheduler: 'cosine',
  lr_warmup: 10,
  mixed_precision: 'bf16',
  save_precision: 'fp16',
  max_resolution: '1024,1024',
  enable_bucket: true,
  caption_extension: '.txt',
  sdxl_cache_text_encoder_outputs: false,
  sdxl_no_half_vae: true,
  gradient_checkpointing: true,
  xformers: 'xformers',
  pretrained_model_name_or_path: 'C:/models/ponyRealism_V22.safetensors',
  output_dir: 'C:/out',
  save_as_bool: false,
  '=== comment ===': null,
};

test('import reports every pitfall the GUI file carried (P5, P6 alpha and seed, P7, P8)', () => {
  const result = importKohyaPreset(RECIPE_LIKE, { name: 'recipe', file: 'recipe.json' });
  assert.deepEqual(pitfalls(result), ['P5:PRESET_CLIP_SKIP', 'P6:PRESET_ALPHA_ZERO', 'P6:PRESET_SEED_ZERO', 'P7:PRESET_STEP_CAP', 'P8:PRESET_TE_LR_ZERO']);
  const v = result.preset.values;
  assert.equal(v.network_alpha, 1, 'alpha 0 becomes the 1 the engine actually trained with');
  assert.equal(v.seed, 42);
  assert.equal(v.train_text_encoder, false, 'U-Net only, said explicitly');
  assert.equal(v.lr_warmup_ratio, 0.1);
  assert.equal(v.attention, 'xformers');
  assert.equal((v as Record<string, unknown>).clip_skip, undefined);
  assert.deepEqual(result.preset.planHints, { epochs: 6, batch_size: 2, resolution: '1024,1024', enable_bucket: true });
  const change = (key: string) => result.changes.find((c) => c.key === key);
  assert.equal(change('clip_skip')?.action, 'dropped');
  assert.equal(change('network_alpha')?.result, 'network_alpha = 1');
  assert.equal(change('pretrained_model_name_or_path')?.action, 'ignored');
  assert.equal(change('=== comment ==='), undefined, 'comment keys are skipped');
  assert.ok(result.findings.find((f) => f.code === 'PRESET_ALPHA_ZERO')?.fix?.includes('16'), 'suggests half the rank');
});

test('import of a published Pony preset (zunko, kohya_ss test/config/t5clrs.json)', () => {
  const zunko = {
    LoRA_type: 'Standard', additional_parameters: ' --optimizer_args "weight_decay=0.01" "d_coef=1" "use_bias_correction=True" "safeguard_warmup=False" "betas=0.9,0.99"',
    bucket_no_upscale: true, bucket_reso_steps: 256, cache_latents: true, cache_latents_to_disk: true, caption_dropout_every_n_epochs: 0.0, caption_dropout_rate: 0,
    caption_extension: '.txt', clip_skip: 2, enable_bucket: true, epoch: 50, full_bf16: true, gradient_accumulation_steps: '1', gradient_checkpointing: true, keep_tokens: 4,
    learning_rate: 1.0, lr_scheduler: 'cosine', lr_warmup: 0, max_bucket_reso: 2048, max_data_loader_n_workers: '0', max_resolution: '1024,1024', max_token_length: '75',
    max_train_epochs: '50', max_train_steps: '', min_bucket_reso: 512, min_snr_gamma: 0, mixed_precision: 'bf16', network_alpha: 2, network_dim: 16, noise_offset: 0,
    noise_offset_type: 'Original', optimizer: 'Prodigy', optimizer_args: '', output_name: 'zunko_pony_v1', save_every_n_epochs: 10, save_precision: 'bf16', sdxl: true,
    sdxl_cache_text_encoder_outputs: false, sdxl_no_half_vae: true, seed: '1055217506', shuffle_caption: true, text_encoder_lr: 0.0, train_batch_size: 3, unet_lr: 0.0,
    xformers: 'xformers', use_cp: false, LyCORIS_preset: 'full',
  };
  const result = importKohyaPreset(zunko, { name: 'zunko', file: 't5clrs.json' });
  const v = result.preset.values;
  assert.equal(v.optimizer, 'Prodigy');
  assert.equal(v.network_dim, 16);
  assert.equal(v.network_alpha, 2);
  assert.equal(v.seed, 1055217506, 'string numbers are read');
  assert.equal(v.train_text_encoder, true, 'both rates 0: the engine trains both at learning_rate');
  assert.equal(v.unet_lr, 1.0);
  assert.equal(v.text_encoder_lr, 1.0);
  assert.deepEqual(v.optimizer_args, ['weight_decay=0.01', 'd_coef=1', 'use_bias_correction=True', 'safeguard_warmup=False', 'betas=0.9,0.99']);
  assert.deepEqual(v.extra_args, ['full_bf16=true', 'cache_latents_to_disk=true', 'shuffle_caption=true', 'keep_tokens=4']);
  assert.equal(result.preset.planHints?.epochs, 50);
  assert.equal(result.preset.planHints?.bucket_reso_steps, 256);
  assert.deepEqual(pitfalls(result), ['P5:PRESET_CLIP_SKIP']);
  // The imported settings still make a configuration the engine accepts.
  assert.deepEqual(engineConfigFor(result.preset).errors, []);
});

test('additional_parameters: engine flags are kept, unknown ones (the doc-only --text_encoder_lr1) reported', () => {
  const result = importKohyaPreset({ sdxl: true, additional_parameters: '--text_encoder_lr1 1e-5 --noise_offset_random_strength --max_token_length 225' }, { name: 'x', file: 'x.json' });
  assert.deepEqual(result.preset.values.extra_args, ['noise_offset_random_strength=true', 'max_token_length=225']);
  const unknown = result.findings.find((f) => f.code === 'PRESET_UNKNOWN_ARG');
  assert.equal(unknown?.data?.pitfall, 'P9');
});

test('text-encoder caching while training the text encoders is turned off on import (P10)', () => {
  const result = importKohyaPreset({ sdxl: true, unet_lr: 1e-4, text_encoder_lr: 1e-5, sdxl_cache_text_encoder_outputs: true }, { name: 'x', file: 'x.json' });
  assert.equal(result.preset.values.cache_text_encoder_outputs, false);
  assert.deepEqual(pitfalls(result), ['P10:PRESET_TE_CACHE_CONFLICT']);
});

test('presets tack cannot train are refused with a clear error', () => {
  const refuse = (json: unknown, code: string) => {
    try {
      importKohyaPreset(json, { name: 'x', file: 'x.json' });
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(isTackError(error), String(error));
      assert.equal(error.code, code);
      assert.ok(error.message.includes('x.json'));
    }
  };
  refuse({ sdxl: true, LoRA_type: 'LyCORIS/LoKr' }, 'PRESET_OTHER_NETWORK');
  refuse({ sdxl: false, LoRA_type: 'Standard' }, 'PRESET_OTHER_MODEL');
  refuse({ sdxl: true, unet_lr: 0, text_encoder_lr: 1e-5 }, 'PRESET_UNSUPPORTED');
  refuse([1, 2], 'PRESET_BAD_FILE');
});

test('export writes every GUI key with values that survive its zero-dropping, and imports back to the same settings', () => {
  for (const preset of BUILTIN_PRESETS) {
    const settings = resolved(preset);
    const plan = { epochs: 6, batchSize: 2, gradientAccumulationSteps: 1, resolution: [1024, 1024] as const, enableBucket: true, bucketNoUpscale: false, minBucketReso: 256, maxBucketReso: 2048, bucketResoSteps: 64 };
    const { json } = exportKohyaPreset(settings, plan);
    assert.deepEqual(Object.keys(json), Object.keys(json).slice().sort(), 'sorted like the GUI saves');
    for (const key of Object.keys(KOHYA_GUI_V24_DEFAULTS)) assert.ok(key in json, `${key} written`);
    assert.equal(json.clip_skip, 0, 'dropped by the GUI, so SDXL metadata stays clean');
    assert.equal(json.max_train_steps, 0, 'no 1600-step cap');
    assert.equal(json.max_train_epochs, 6);
    assert.notEqual(json.network_alpha, 0);
    assert.notEqual(json.seed, 0);
    assert.equal(json.sdxl, true);
    const back = importKohyaPreset(JSON.parse(JSON.stringify(json)), { name: `${preset.name}-again`, file: 'export.json' });
    assert.deepEqual(resolved(back.preset), settings, `${preset.name} round trip`);
    assert.deepEqual(back.findings.filter((f) => f.severity !== 'info'), []);
  }
});

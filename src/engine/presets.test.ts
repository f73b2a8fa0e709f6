import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUILTIN_PRESETS, GPU_PROFILES, pickGpuProfile, resolveTrainSettings, type Preset } from './presets.js';
import { SETTING_KEYS } from './settings.js';

const lookup = (n: string) => BUILTIN_PRESETS.find((p) => p.name === n);
const pony = lookup('pony-realism') as Preset;
const profile = (name: string) => GPU_PROFILES.find((p) => p.name === name);

test('GPU profiles are picked from the memory torch reports (GiB)', () => {
  // A 24 GB card reports about 23.6 GiB, a 12 GB card 11.76 GiB (sd-scripts #648).
  assert.equal(pickGpuProfile(23.6)?.name, '24gb');
  assert.equal(pickGpuProfile(79.2)?.name, '24gb');
  assert.equal(pickGpuProfile(15.7)?.name, '16gb');
  assert.equal(pickGpuProfile(11.76)?.name, '12gb');
  assert.equal(pickGpuProfile(7.8)?.name, '8gb');
  assert.equal(pickGpuProfile(5.8), undefined);
});

test('the recipe preset: rank 32, batch 2 only on 24 GB, samples and checkpoints every epoch are not optional', () => {
  const { settings } = resolveTrainSettings(pony, lookup, profile('24gb'), {});
  assert.equal(settings.network_dim, 32);
  assert.equal(profile('24gb')?.maxBatchSize, 2);
  assert.equal(profile('16gb')?.maxBatchSize, 1);
  assert.equal(settings.train_text_encoder, true);
  assert.equal(settings.save_state, true);
});

test('small GPUs train the U-Net only with cached text-encoder outputs, and fp8 on 8 GB', () => {
  const twelve = resolveTrainSettings(pony, lookup, profile('12gb'), {}).settings;
  assert.equal(twelve.train_text_encoder, false);
  assert.equal(twelve.cache_text_encoder_outputs, true);
  assert.equal(twelve.fp8_base, false);
  const eight = resolveTrainSettings(pony, lookup, profile('8gb'), {}).settings;
  assert.equal(eight.fp8_base, true);
});

test('[train] wins over preset and profile, with a warning when it overrides the profile', () => {
  const r = resolveTrainSettings(pony, lookup, profile('12gb'), { train_text_encoder: true, unet_lr: 2e-4 });
  assert.equal(r.settings.train_text_encoder, true);
  assert.equal(r.settings.unet_lr, 2e-4);
  assert.equal(r.settings.cache_text_encoder_outputs, false, 'P10: caching goes when the text encoders are trained');
  assert.deepEqual(r.findings.map((f) => f.code), ['ENGINE_OVERRIDES_PROFILE']);
  assert.equal(r.decisions.find((d) => d.key === 'unet_lr')?.layer, 'tack.toml [train]');
});

test('a warm-up with the constant schedule becomes constant_with_warmup', () => {
  const sdxl = lookup('sdxl') as Preset;
  assert.equal(resolveTrainSettings(sdxl, lookup, undefined, {}).settings.lr_scheduler, 'constant');
  assert.equal(resolveTrainSettings(sdxl, lookup, undefined, { lr_warmup_ratio: 0.05 }).settings.lr_scheduler, 'constant_with_warmup');
});

test('every built-in value says why and where it comes from', () => {
  const base = lookup('sdxl') as Preset;
  for (const key of SETTING_KEYS) {
    if (key === 'extra_args' || key === 'optimizer_args' || key === 'cache_text_encoder_outputs' || key === 'fp8_base' || key === 'noise_offset' || key === 'lr_warmup_ratio' || key === 'min_snr_gamma') continue;
    assert.ok(base.reasons[key]?.why, `sdxl.${key} has a reason`);
  }
  for (const [key, reason] of Object.entries(pony.reasons)) assert.ok(reason?.why && reason.source, `pony-realism.${key}`);
  assert.equal(pony.reasons.network_dim?.source, 'recipe');
  assert.notEqual(pony.reasons.lr_scheduler?.source, 'recipe', 'values the recipe does not state are not attributed to it');
});

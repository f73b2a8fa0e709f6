/**
 * Zero means "off" in the kohya_ss GUI, and tack must read it the same way: for every key the
 * GUI's config builder writes as `x if x != 0 else None`, a preset holding 0 must not reach the
 * engine as 0, and a real value must (or be replaced by tack's own plan, said in the report).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engineConfigFor } from '../../../test/helpers/kohya-preset.js';
import { argSpec } from './args-schema.js';
import { importKohyaPreset, type KohyaImportResult } from './kohya-import.js';

interface Row {
  readonly key: string;
  /** The builder's expression, verbatim. */
  readonly expression: string;
  /** A non-zero value the GUI writes. */
  readonly value: number;
  /** 'engine': the value reaches the engine; otherwise why tack writes its own value instead. */
  readonly tack: 'engine' | RegExp;
  /** Other keys the expression depends on. */
  readonly context?: Readonly<Record<string, unknown>>;
}

/**
 * Transcribed from the kohya_ss GUI research notes (kohya_ss-gui.md, "The GUI's config builder,
 * key by key"), which quote bmaltais/kohya_ss kohya_gui/lora_gui.py at commit 45088f04
 * (2026-07-10): every row whose expression drops a 0 (`!= 0`), expression verbatim.
 */
const GUI_ZERO_OFF: readonly Row[] = [
  { key: 'adaptive_noise_scale', expression: "adaptive_noise_scale if adaptive_noise_scale != 0 and noise_offset_type == 'Original' else None", value: 0.005, tack: 'engine', context: { noise_offset_type: 'Original' } },
  { key: 'clip_skip', expression: 'clip_skip if clip_skip != 0 and (not hunyuan_image_checkbox) and (not anima_checkbox) and (not lumina_checkbox) else None', value: 2, tack: /SDXL ignores clip_skip/ },
  { key: 'ip_noise_gamma', expression: 'ip_noise_gamma if ip_noise_gamma != 0 else None', value: 0.1, tack: 'engine' },
  { key: 'max_timestep', expression: 'max_timestep if max_timestep != 0 else None', value: 900, tack: 'engine' },
  { key: 'max_train_epochs', expression: 'int(max_train_epochs) if int(max_train_epochs) != 0 else None', value: 8, tack: /tack plans epochs/ },
  { key: 'max_train_steps', expression: 'int(max_train_steps) if int(max_train_steps) != 0 else None', value: 1600, tack: /tack always passes max_train_epochs/ },
  { key: 'min_snr_gamma', expression: 'min_snr_gamma if min_snr_gamma != 0 else None', value: 5, tack: 'engine' },
  { key: 'min_timestep', expression: 'min_timestep if min_timestep != 0 else None', value: 100, tack: 'engine' },
  { key: 'multires_noise_iterations', expression: "multires_noise_iterations if multires_noise_iterations != 0 and noise_offset_type == 'Multires' else None", value: 6, tack: 'engine', context: { noise_offset_type: 'Multires' } },
  { key: 'noise_offset', expression: "noise_offset if noise_offset != 0 and noise_offset_type == 'Original' else None", value: 0.0357, tack: 'engine', context: { noise_offset_type: 'Original' } },
  { key: 'sample_every_n_epochs', expression: 'sample_every_n_epochs if sample_every_n_epochs != 0 else None', value: 2, tack: /tack renders samples every epoch/ },
  { key: 'sample_every_n_steps', expression: 'sample_every_n_steps if sample_every_n_steps != 0 else None', value: 100, tack: /tack renders samples every epoch/ },
  { key: 'save_every_n_epochs', expression: 'save_every_n_epochs if save_every_n_epochs != 0 else None', value: 5, tack: /tack saves a checkpoint every epoch/ },
  { key: 'save_every_n_steps', expression: 'save_every_n_steps if save_every_n_steps != 0 else None', value: 100, tack: /tack keeps every epoch checkpoint/ },
  { key: 'save_last_n_steps', expression: 'save_last_n_steps if save_last_n_steps != 0 else None', value: 100, tack: /tack keeps every epoch checkpoint/ },
  { key: 'save_last_n_steps_state', expression: 'save_last_n_steps_state if save_last_n_steps_state != 0 else None', value: 100, tack: /tack keeps every epoch checkpoint/ },
  { key: 'save_last_n_epochs', expression: 'save_last_n_epochs if save_last_n_epochs != 0 else None', value: 3, tack: /tack keeps every epoch checkpoint/ },
  { key: 'save_last_n_epochs_state', expression: 'save_last_n_epochs_state if save_last_n_epochs_state != 0 else None', value: 3, tack: /tack keeps every epoch checkpoint/ },
  { key: 'seed', expression: 'int(seed) if int(seed) != 0 else None', value: 1234, tack: 'engine' },
  { key: 'stop_text_encoder_training', expression: 'stop_text_encoder_training if stop_text_encoder_training != 0 else None', value: 10, tack: /the LoRA tab does not use it/ },
  // unet_lr 0 with a text-encoder rate would train the text encoders only (refused); both 0 train both at learning_rate.
  { key: 'unet_lr', expression: 'unet_lr_float if unet_lr_float != 0.0 else None', value: 0.0002, tack: 'engine', context: { text_encoder_lr: 0 } },
  { key: 'v_pred_like_loss', expression: 'v_pred_like_loss if v_pred_like_loss != 0 else None', value: 0.2, tack: 'engine' },
  { key: 'vae_batch_size', expression: 'vae_batch_size if vae_batch_size != 0 else None', value: 4, tack: 'engine' },
];

const BASE = { sdxl: true, LoRA_type: 'Standard', network_dim: 16, network_alpha: 8, learning_rate: 1e-4, unet_lr: 1e-4, text_encoder_lr: 1e-5, noise_offset_type: 'Original' };

function importWith(values: Record<string, unknown>): { result: KohyaImportResult; toml: string } {
  const result = importKohyaPreset({ ...BASE, ...values }, { name: 'zero', file: 'zero.json' });
  const config = engineConfigFor(result.preset);
  assert.deepEqual(config.errors, [], JSON.stringify(values));
  return { result, toml: `${config.argsToml}\n${config.datasetToml}` };
}

function tomlValue(toml: string, key: string): string | undefined {
  return new RegExp(`^${key} = (.*)$`, 'm').exec(toml)?.[1];
}

const OFF_NOTE = /0 means off in the kohya_ss GUI|the GUI drops 0|the GUI leaves both out/;

test('the table covers every "x if x != 0 else None" key of the builder', () => {
  assert.equal(GUI_ZERO_OFF.length, 23);
  for (const row of GUI_ZERO_OFF) assert.match(row.expression, /!= 0(\.0)? /, row.key);
});

test('a key held at 0 is left out, as the GUI leaves it out: the engine never gets 0 and the report says "off"', () => {
  for (const row of GUI_ZERO_OFF) {
    const { result, toml } = importWith({ ...row.context, [row.key]: 0 });
    const written = tomlValue(toml, row.key);
    assert.ok(written === undefined || Number(written) !== 0, `${row.key}: the engine would get ${row.key} = ${written}`);
    assert.ok(!(result.preset.values.extra_args ?? []).some((a) => a.startsWith(`${row.key}=`)), `${row.key}: not in extra_args`);
    const notes = result.changes.filter((c) => c.key === row.key).map((c) => c.note ?? '');
    assert.ok(notes.some((n) => OFF_NOTE.test(n)), `${row.key}: the report says the GUI treats 0 as off (${notes.join(' | ')})`);
    // "0" and 0.0 (older files) are the same 0.
    assert.equal(tomlValue(importWith({ ...row.context, [row.key]: '0' }).toml, row.key), written, `${row.key}: "0"`);
  }
});

test('a non-zero value reaches the engine, or the report says why tack plans it itself', () => {
  for (const row of GUI_ZERO_OFF) {
    const { result, toml } = importWith({ ...row.context, [row.key]: row.value });
    const notes = result.changes.filter((c) => c.key === row.key).map((c) => c.note ?? '');
    assert.ok(!notes.some((n) => OFF_NOTE.test(n)), `${row.key} = ${row.value} is not "off"`);
    if (row.tack === 'engine') assert.equal(Number(tomlValue(toml, row.key)), row.value, `${row.key} = ${row.value} reaches the engine`);
    else assert.ok(notes.some((n) => (row.tack as RegExp).test(n)), `${row.key}: ${notes.join(' | ')}`);
  }
});

test('noise keys are written only with their noise type, as the builder does', () => {
  const offWith = (key: string, value: number, type: string) => {
    const { result, toml } = importWith({ noise_offset_type: type, [key]: value, ...(key.startsWith('multires') ? {} : { multires_noise_iterations: 0 }) });
    assert.equal(tomlValue(toml, key), undefined, `${key} with ${type}`);
    assert.match(result.changes.find((c) => c.key === key)?.note ?? '', new RegExp(`only with noise_offset_type "${type === 'Original' ? 'Multires' : 'Original'}"`));
  };
  offWith('adaptive_noise_scale', 0.005, 'Multires');
  offWith('noise_offset', 0.0357, 'Multires');
  offWith('multires_noise_iterations', 6, 'Original');
  offWith('multires_noise_discount', 0.2, 'Original');
});

test("the builder's final filter drops every other 0 too: the engine's default applies, not 0", () => {
  // max_grad_norm 0 would turn clipping off; the GUI leaves it out and the engine clips at 1.0.
  assert.equal(tomlValue(importWith({ max_grad_norm: 0 }).toml, 'max_grad_norm'), '1.0');
  // network_dim 0: the engine's networks.lora trains rank 4.
  assert.equal(tomlValue(importWith({ network_dim: 0 }).toml, 'network_dim'), '4');
  assert.equal(tomlValue(importWith({ noise_offset_type: 'Multires', multires_noise_iterations: 6, multires_noise_discount: 0 }).toml, 'multires_noise_discount'), undefined);
  assert.equal(tomlValue(importWith({ lr_scheduler: 'polynomial', lr_scheduler_power: 0 }).toml, 'lr_scheduler_power'), undefined);
  assert.equal(tomlValue(importWith({ lr_scheduler: 'cosine_with_restarts', lr_scheduler_num_cycles: 0 }).toml, 'lr_scheduler_num_cycles'), undefined);
  for (const key of ['caption_dropout_rate', 'caption_dropout_every_n_epochs', 'keep_tokens', 'network_dropout', 'scale_weight_norms']) {
    const written = tomlValue(importWith({ [key]: 0 }).toml, key);
    assert.ok(written === undefined || (Number(written) === 0 && argSpec(key)?.default === 0), `${key}: ${written}`);
  }
  const buckets = importKohyaPreset({ ...BASE, min_bucket_reso: 0, max_bucket_reso: 0, bucket_reso_steps: 0 }, { name: 'zero', file: 'zero.json' });
  assert.deepEqual(buckets.preset.planHints ?? {}, {}, 'no [buckets] hint of 0: the engine uses its defaults');
});

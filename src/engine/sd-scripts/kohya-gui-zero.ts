/**
 * Zero means "off" in the kohya_ss GUI, and tack reads a GUI file the same way.
 *
 * The GUI's config builder (kohya_ss-gui.md, "The GUI's config builder, key by key":
 * kohya_gui/lora_gui.py at 45088f04) writes many keys as `x if x != 0 else None` and then drops
 * every entry whose value is in ["", False, None]. In Python 0 == False, so that last filter also
 * drops every other 0 and 0.0: a key the GUI holds at 0 never reaches the engine, which runs
 * with its argparse default instead (max_timestep 0 is "the scheduler's full range", not an
 * empty range; max_grad_norm 0 is clipping at 1.0, not no clipping). A few keys are also written
 * only with the noise type they belong to.
 */
import { argSpec } from './args-schema.js';

/** A GUI number: numbers, numeric strings (old files) and one-element lists (HEAD's TE rates). */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (Array.isArray(v)) return toNumber(v[0]);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

export function toBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'True' || v === 1) return true;
  if (v === 'false' || v === 'False' || v === 0) return false;
  return undefined;
}

/** Keys the builder writes only when another key has a given value (besides being non-zero). */
export const GUI_WRITTEN_ONLY_WITH: Readonly<Record<string, { readonly key: string; readonly value: string; readonly missing: string }>> = {
  adaptive_noise_scale: { key: 'noise_offset_type', value: 'Original', missing: 'Original' },
  noise_offset: { key: 'noise_offset_type', value: 'Original', missing: 'Original' },
  noise_offset_random_strength: { key: 'noise_offset_type', value: 'Original', missing: 'Original' },
  multires_noise_iterations: { key: 'noise_offset_type', value: 'Multires', missing: 'Original' },
  multires_noise_discount: { key: 'noise_offset_type', value: 'Multires', missing: 'Original' },
};

/** What the engine does without a key whose argparse default is None (or that tack sets itself). */
const ENGINE_WITHOUT: Readonly<Record<string, string>> = {
  max_timestep: "samples timesteps over the scheduler's full range (up to 1000)",
  min_timestep: 'samples timesteps from 0',
  seed: 'picks a random seed',
  network_dim: 'trains rank 4 (networks.lora without a rank)',
  network_alpha: 'uses alpha 1',
  clip_skip: 'uses its default text-encoder layers',
  max_train_epochs: 'counts max_train_steps instead',
  max_train_steps: 'trains the steps the GUI computes from epoch',
  unet_lr: 'trains the U-Net at learning_rate',
  text_encoder_lr: 'trains the text encoders at learning_rate',
  sample_every_n_epochs: 'renders no samples by epoch',
  sample_every_n_steps: 'renders no samples by step',
  save_every_n_epochs: 'saves only at the end',
  save_every_n_steps: 'saves no step checkpoints',
  save_last_n_steps: 'keeps every step checkpoint',
  save_last_n_steps_state: 'keeps every step state',
  save_last_n_epochs: 'keeps every epoch checkpoint',
  save_last_n_epochs_state: 'keeps every epoch state',
  stop_text_encoder_training: 'trains the text encoders to the end',
};

/** The engine's behaviour without `key`, in words. */
export function engineWithout(key: string): string {
  const said = ENGINE_WITHOUT[key];
  if (said) return said;
  const spec = argSpec(key);
  if (!spec || spec.default === null || spec.default === false) return 'leaves it off';
  return `uses its default ${key} = ${String(spec.default)}`;
}

/** Whether a GUI file sets `key` (null is how the GUI saves an unset value). */
export function present(json: Readonly<Record<string, unknown>>, key: string): boolean {
  return Object.hasOwn(json, key) && json[key] !== null;
}

/** The noise type (or other key) a conditional key depends on, as the GUI's builder sees it. */
function conditionValue(json: Readonly<Record<string, unknown>>, condition: { readonly key: string; readonly missing: string }): string {
  const v = json[condition.key];
  return typeof v === 'string' && v ? v : condition.missing;
}

export type GuiNumber = { readonly value: number } | { readonly off: string };

/**
 * The number the GUI's builder writes for `key`, or why it leaves the key out. Undefined when the
 * file does not set the key (a preset is a partial overlay) or the value is not a number.
 */
export function guiNumberOf(json: Readonly<Record<string, unknown>>, key: string): GuiNumber | undefined {
  if (!present(json, key)) return undefined;
  const raw = json[key];
  const condition = GUI_WRITTEN_ONLY_WITH[key];
  if (condition) {
    const actual = conditionValue(json, condition);
    if (actual !== condition.value) return { off: `the GUI writes ${key} only with ${condition.key} "${condition.value}" (this file: "${actual}"), so the engine ${engineWithout(key)}` };
  }
  // "", false and 0 in any spelling are what the builder's final filter drops.
  const value = raw === '' || raw === false ? 0 : toNumber(raw);
  if (value === undefined) return undefined;
  const spelled = raw === '' ? 'an empty value' : raw === false ? 'false' : '0';
  if (value === 0) return { off: `${spelled} means off in the kohya_ss GUI: it leaves ${key} out and the engine ${engineWithout(key)}` };
  return { value };
}

/** Whether the GUI's builder writes a flag (true and, for conditional keys, the right noise type). */
export function guiFlagOf(json: Readonly<Record<string, unknown>>, key: string): boolean {
  if (toBool(json[key]) !== true) return false;
  const condition = GUI_WRITTEN_ONLY_WITH[key];
  return !condition || conditionValue(json, condition) === condition.value;
}

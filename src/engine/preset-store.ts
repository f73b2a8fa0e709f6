/**
 * Saved presets: JSON files in the user's tack config folder ($TACK_CONFIG_DIR, else
 * $XDG_CONFIG_HOME/tack, else ~/.config/tack), under presets/<name>.json. Built-in presets are
 * code and cannot be overwritten.
 */
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { closest, fileReadError, pathExists, readJson, writeJsonAtomic } from '../core/index.js';
import { presetErrors } from './errors.js';
import { BUILTIN_PRESETS, type Preset, type PresetValues } from './presets.js';

export const PRESET_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

export function userConfigDir(env: NodeJS.ProcessEnv): string {
  if (env.TACK_CONFIG_DIR) return path.resolve(env.TACK_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME ? path.resolve(env.XDG_CONFIG_HOME) : path.join(env.HOME ?? os.homedir(), '.config');
  return path.join(base, 'tack');
}

export function presetDir(env: NodeJS.ProcessEnv): string {
  return path.join(userConfigDir(env), 'presets');
}

const reasonSchema = z.strictObject({ why: z.string(), source: z.enum(['recipe', 'engine-docs', 'kohya-presets', 'kohya-gui-defaults', 'tack', 'imported', 'profile', 'tack.toml']) });

const valuesSchema = z.strictObject({
  network_dim: z.int().min(1).max(1024),
  network_alpha: z.number().gt(0),
  train_text_encoder: z.boolean(),
  learning_rate: z.number().min(0),
  unet_lr: z.number().min(0),
  text_encoder_lr: z.number().min(0),
  optimizer: z.string().min(1),
  optimizer_args: z.array(z.string()),
  lr_scheduler: z.string().min(1),
  lr_warmup_ratio: z.number().min(0).max(1),
  mixed_precision: z.enum(['bf16', 'fp16']),
  save_precision: z.enum(['fp16', 'bf16', 'float']),
  gradient_checkpointing: z.boolean(),
  cache_latents: z.boolean(),
  cache_text_encoder_outputs: z.boolean(),
  fp8_base: z.boolean(),
  attention: z.enum(['sdpa', 'xformers', 'none']),
  min_snr_gamma: z.number().min(0),
  noise_offset: z.number().min(0),
  max_grad_norm: z.number().min(0),
  seed: z.int().min(1),
  save_state: z.boolean(),
  no_half_vae: z.boolean(),
  extra_args: z.array(z.string()),
}).partial();

const presetFileSchema = z.strictObject({
  kind: z.literal('tack-preset'),
  version: z.literal(1),
  name: z.string().regex(PRESET_NAME_PATTERN),
  description: z.string(),
  basedOn: z.string().optional(),
  values: valuesSchema,
  reasons: z.record(z.string(), reasonSchema),
  planHints: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  importedFrom: z.strictObject({ file: z.string(), format: z.literal('kohya_ss') }).optional(),
});

export function checkPresetName(name: string): void {
  if (!PRESET_NAME_PATTERN.test(name)) {
    throw presetErrors.create('PRESET_BAD_NAME', `Preset name "${name}" must be letters, digits, ".", "_" or "-" (at most 64).`, 'Pick a name such as my-face-preset.');
  }
}

async function readPresetFile(file: string): Promise<Preset> {
  const raw = await readJson<unknown>(file);
  const parsed = presetFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw presetErrors.create('PRESET_BAD_FILE', `${file} is not a valid tack preset: ${issue?.path.join('.') || 'file'}: ${issue?.message}.`, 'Fix the file or delete it and import the preset again.', { details: { file } });
  }
  const { kind: _k, version: _v, ...rest } = parsed.data;
  return { ...rest, values: rest.values as PresetValues, builtin: false } as Preset;
}

export async function listSavedPresets(env: NodeJS.ProcessEnv): Promise<Preset[]> {
  const dir = presetDir(env);
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fileReadError(dir, cause);
  }
  const out: Preset[] = [];
  for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
    out.push(await readPresetFile(path.join(dir, name)));
  }
  return out;
}

/** Built-in presets first, then saved ones. */
export async function listPresets(env: NodeJS.ProcessEnv): Promise<Preset[]> {
  return [...BUILTIN_PRESETS, ...(await listSavedPresets(env))];
}

/** A preset by name (built-in or saved); a clear error with the closest name otherwise. */
export async function findPreset(name: string, env: NodeJS.ProcessEnv): Promise<{ preset: Preset; lookup: (n: string) => Preset | undefined }> {
  const all = await listPresets(env);
  const lookup = (n: string) => all.find((p) => p.name === n);
  const preset = lookup(name);
  if (!preset) {
    const guess = closest(name, all.map((p) => p.name));
    throw presetErrors.create('PRESET_NOT_FOUND', `There is no preset "${name}".${guess ? ` Did you mean "${guess}"?` : ''}`, `Presets: ${all.map((p) => p.name).join(', ')} (tack preset list).`, {
      details: { name, presets: all.map((p) => p.name) },
    });
  }
  return { preset, lookup };
}

export async function savePreset(preset: Preset, env: NodeJS.ProcessEnv, options: { readonly overwrite?: boolean } = {}): Promise<string> {
  checkPresetName(preset.name);
  if (BUILTIN_PRESETS.some((p) => p.name === preset.name)) {
    throw presetErrors.create('PRESET_EXISTS', `"${preset.name}" is a built-in preset.`, 'Import under another name with --name.');
  }
  const file = path.join(presetDir(env), `${preset.name}.json`);
  if (!options.overwrite && (await pathExists(file))) {
    throw presetErrors.create('PRESET_EXISTS', `A saved preset "${preset.name}" already exists (${file}).`, 'Pass --force to replace it, or --name to save under another name.', { details: { file } });
  }
  const { builtin: _b, ...rest } = preset;
  await writeJsonAtomic(file, { kind: 'tack-preset', version: 1, ...rest });
  return file;
}

/**
 * Built-in presets and GPU memory profiles. Each value carries its reason and its source. The
 * recipe (recipe.md) fixes rank 32, 1024 buckets, ~2500 steps, batch 2 on a 24 GB GPU and a
 * checkpoint every epoch; it does not state learning rates, optimizer or alpha, so those come
 * from sd-scripts' own SDXL LoRA example (sd-scripts.md 1.2) and the kohya_ss GUI the recipe's
 * author used (kohya_ss-gui.md), and are marked as such.
 */
import { finding, type Finding } from '../core/index.js';
import type { SettingKey, SettingReason, SettingSource, TrainOverrides, TrainSettings } from './settings.js';
import { SETTING_KEYS } from './settings.js';

export type PresetValues = Partial<{ -readonly [K in SettingKey]: TrainSettings[K] }>;

export interface Preset {
  readonly name: string;
  readonly description: string;
  readonly builtin: boolean;
  /** Built-in preset whose values fill the keys this one does not set. */
  readonly basedOn?: string;
  readonly values: PresetValues;
  readonly reasons: Partial<Record<SettingKey, SettingReason>>;
  /** Values that belong to tack.toml [plan]/[buckets], kept from an import for the user to apply. */
  readonly planHints?: Readonly<Record<string, string | number | boolean>>;
  readonly importedFrom?: { readonly file: string; readonly format: 'kohya_ss' };
}

const r = (why: string, source: SettingSource): SettingReason => ({ why, source });

const SDXL: Preset = {
  name: 'sdxl',
  description: "Plain SDXL LoRA: sd-scripts' own SDXL LoRA example (rank 32, alpha 16, AdamW8bit, U-Net 1e-4, text encoders 1e-5, constant rate).",
  builtin: true,
  values: {
    network_dim: 32,
    network_alpha: 16,
    train_text_encoder: true,
    learning_rate: 1e-4,
    unet_lr: 1e-4,
    text_encoder_lr: 1e-5,
    optimizer: 'AdamW8bit',
    optimizer_args: [],
    lr_scheduler: 'constant',
    lr_warmup_ratio: 0,
    mixed_precision: 'bf16',
    save_precision: 'fp16',
    gradient_checkpointing: true,
    cache_latents: true,
    cache_text_encoder_outputs: false,
    fp8_base: false,
    attention: 'sdpa',
    min_snr_gamma: 0,
    noise_offset: 0,
    max_grad_norm: 1,
    seed: 42,
    save_state: true,
    no_half_vae: true,
    extra_args: [],
  },
  reasons: {
    network_dim: r('rank 32, the value in the engine example and the recipe', 'engine-docs'),
    network_alpha: r('alpha 16 = half the rank (scale 0.5), as in the engine example; written explicitly because the engine default is 1 (P6)', 'engine-docs'),
    train_text_encoder: r('text encoders trained too: U-Net-only runs were reported to lose likeness (kohya_ss #3388, #3430)', 'kohya-gui-defaults'),
    learning_rate: r('1e-4, the engine example; the engine default 2e-6 is a fine-tuning rate', 'engine-docs'),
    unet_lr: r('1e-4, the engine example', 'engine-docs'),
    text_encoder_lr: r('1e-5, the engine example: text encoders learn ten times slower than the U-Net', 'engine-docs'),
    optimizer: r('AdamW8bit, the engine example and the kohya_ss GUI default (8-bit optimizer state saves memory)', 'engine-docs'),
    lr_scheduler: r('constant, the engine example', 'engine-docs'),
    mixed_precision: r('bf16 passed to the script itself (P13); bf16 does not overflow like fp16', 'engine-docs'),
    save_precision: r('fp16 LoRA files: half the size, what generators load', 'engine-docs'),
    gradient_checkpointing: r('on in the engine example and every kohya_ss SDXL preset: SDXL does not fit otherwise', 'engine-docs'),
    cache_latents: r('latents encoded once (engine example); flip/colour augmentation is not used', 'engine-docs'),
    attention: r('sdpa, PyTorch attention (engine example); needs no extra package', 'engine-docs'),
    no_half_vae: r('SDXL VAE kept in fp32 against NaN latents and black samples (sd-scripts SDXL doc)', 'engine-docs'),
    seed: r('a fixed seed so runs can be compared (the GUI default 0 means random: P6)', 'tack'),
    save_state: r('optimizer state saved with each epoch so an interrupted run can resume exactly', 'tack'),
    max_grad_norm: r('1.0, the engine default', 'engine-docs'),
  },
};

const PONY_REALISM: Preset = {
  name: 'pony-realism',
  description: 'The Pony Realism recipe: rank 32 at 1024 buckets, ~2500 steps, batch 2 on 24 GB, a checkpoint and samples every epoch; rates from the engine example, schedule from the GUI the recipe used.',
  builtin: true,
  basedOn: 'sdxl',
  values: {
    network_dim: 32,
    lr_scheduler: 'cosine',
    lr_warmup_ratio: 0.1,
    min_snr_gamma: 5,
  },
  reasons: {
    network_dim: r('rank 32 (recipe 4: "Network Rank (Dimension) 32")', 'recipe'),
    lr_scheduler: r('cosine, the kohya_ss GUI LoRA-tab default of the version the recipe author used (v24.1.4); the recipe does not say', 'kohya-gui-defaults'),
    lr_warmup_ratio: r('10 % warm-up, the same GUI default (written as a step count: P12)', 'kohya-gui-defaults'),
    min_snr_gamma: r('Min-SNR gamma 5, the most common value in published SDXL/Pony presets; the recipe does not say', 'kohya-presets'),
  },
};

export const BUILTIN_PRESETS: readonly Preset[] = [PONY_REALISM, SDXL];

export interface GpuProfile {
  readonly name: '8gb' | '12gb' | '16gb' | '24gb';
  /** Smallest GPU memory (GiB as torch reports it) the profile is chosen for. */
  readonly minMemoryGiB: number;
  readonly maxBatchSize: number;
  readonly values: PresetValues;
  readonly reasons: Partial<Record<SettingKey, SettingReason>>;
  readonly why: string;
}

export const GPU_PROFILES: readonly GpuProfile[] = [
  {
    name: '24gb',
    minMemoryGiB: 22,
    maxBatchSize: 2,
    values: { gradient_checkpointing: true, cache_latents: true },
    reasons: {},
    why: 'the recipe trains at batch 2 on an RTX 4090 (24 GB) with the text encoders',
  },
  {
    name: '16gb',
    minMemoryGiB: 15,
    maxBatchSize: 1,
    values: { gradient_checkpointing: true, cache_latents: true },
    reasons: { gradient_checkpointing: r('needed for SDXL below 24 GB', 'profile') },
    why: 'text encoders still trained, batch 1 so SDXL at 1024 fits (tack\'s choice; the references give no 16 GB figure)',
  },
  {
    name: '12gb',
    minMemoryGiB: 11,
    maxBatchSize: 1,
    values: { gradient_checkpointing: true, cache_latents: true, train_text_encoder: false, cache_text_encoder_outputs: true },
    reasons: {
      train_text_encoder: r('U-Net only on 12 GB: training the text encoders ran out of memory on a 12 GB card (sd-scripts #648)', 'profile'),
      cache_text_encoder_outputs: r('captions encoded once, the text encoders leave the GPU (allowed because they are not trained: P10)', 'profile'),
    },
    why: "kohya's guideline asks for at least 12 GB for SDXL LoRA; U-Net only with cached text-encoder outputs, batch 1",
  },
  {
    name: '8gb',
    minMemoryGiB: 7,
    maxBatchSize: 1,
    values: { gradient_checkpointing: true, cache_latents: true, train_text_encoder: false, cache_text_encoder_outputs: true, fp8_base: true },
    reasons: {
      train_text_encoder: r('U-Net only: the only way SDXL fits in 8 GB (sd-scripts SDXL doc: 8 GB with U-Net only and cached outputs)', 'profile'),
      cache_text_encoder_outputs: r('captions encoded once (P10 allows it when the text encoders are not trained)', 'profile'),
      fp8_base: r('base model weights in fp8 (--fp8_base) to fit in 8 GB', 'profile'),
    },
    why: "below kohya's 12 GB guideline: U-Net only, fp8 base, batch 1 (consider renting a GPU: tack export)",
  },
];

/** The profile for a GPU memory size (the smallest GPU when there are several). */
export function pickGpuProfile(memoryGiB: number): GpuProfile | undefined {
  return GPU_PROFILES.find((p) => memoryGiB >= p.minMemoryGiB);
}

export function gpuProfileByName(name: string): GpuProfile | undefined {
  return GPU_PROFILES.find((p) => p.name === name);
}

export interface SettingDecision {
  readonly key: SettingKey;
  readonly value: TrainSettings[SettingKey];
  /** Which layer set it: the preset (and the one it is based on), the GPU profile or tack.toml. */
  readonly layer: string;
  readonly reason?: SettingReason;
}

export interface ResolvedSettings {
  readonly settings: TrainSettings;
  readonly decisions: readonly SettingDecision[];
  readonly findings: readonly Finding[];
}

/** The chain of presets, base first. */
export function presetChain(preset: Preset, lookup: (name: string) => Preset | undefined): Preset[] {
  const chain: Preset[] = [preset];
  let current = preset;
  while (current.basedOn) {
    const base = lookup(current.basedOn);
    if (!base || chain.includes(base)) break;
    chain.unshift(base);
    current = base;
  }
  if (chain[0]?.name !== 'sdxl') {
    const sdxl = lookup('sdxl');
    if (sdxl) chain.unshift(sdxl);
  }
  return chain;
}

/**
 * preset chain -> GPU profile -> [train] overrides, then the rules that keep the combination
 * valid (no text-encoder caching while training them: P10).
 */
export function resolveTrainSettings(preset: Preset, lookup: (name: string) => Preset | undefined, profile: GpuProfile | undefined, overrides: Partial<TrainOverrides>): ResolvedSettings {
  const values: Record<string, unknown> = {};
  const layers = new Map<SettingKey, { layer: string; reason?: SettingReason }>();
  // Which layer set a key last (preset chain 0.., profile 100, tack.toml 200): a rank set by a
  // later layer than its alpha would otherwise keep an alpha meant for another rank.
  const order = new Map<SettingKey, number>();
  for (const [index, p] of presetChain(preset, lookup).entries()) {
    for (const key of SETTING_KEYS) {
      const v = p.values[key];
      if (v === undefined) continue;
      values[key] = v;
      order.set(key, index);
      const reason = p.reasons[key];
      layers.set(key, { layer: `preset ${p.name}`, ...(reason ? { reason } : {}) });
    }
  }
  if (profile) {
    for (const key of SETTING_KEYS) {
      const v = profile.values[key];
      if (v === undefined || values[key] === v) continue;
      values[key] = v;
      order.set(key, 100);
      layers.set(key, { layer: `GPU profile ${profile.name}`, reason: profile.reasons[key] ?? r(profile.why, 'profile') });
    }
  }
  const findings: Finding[] = [];
  for (const key of SETTING_KEYS) {
    const v = (overrides as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const before = layers.get(key)?.layer;
    if (before?.startsWith('GPU profile') && values[key] !== v) {
      findings.push(
        finding('warning', 'ENGINE_OVERRIDES_PROFILE', `[train] ${key} = ${JSON.stringify(v)} overrides the ${profile?.name} GPU profile (${JSON.stringify(values[key])}); the run may run out of GPU memory.`, {
          subject: `train.${key}`,
          fix: `Remove ${key} from [train] to let the profile decide.`,
        }),
      );
    }
    values[key] = v;
    order.set(key, 200);
    layers.set(key, { layer: 'tack.toml [train]' });
  }
  if ((order.get('network_dim') ?? -1) > (order.get('network_alpha') ?? -1) && typeof values.network_dim === 'number') {
    values.network_alpha = values.network_dim / 2;
    layers.set('network_alpha', { layer: 'tack', reason: r(`half of rank ${values.network_dim} (scale 0.5, as the engine example's 16 for 32): the rank was set without an alpha`, 'tack') });
  }
  if (values.train_text_encoder === true && values.cache_text_encoder_outputs === true) {
    values.cache_text_encoder_outputs = false;
    layers.set('cache_text_encoder_outputs', { layer: 'tack', reason: r('off because the text encoders are trained: the engine refuses both together (P10)', 'tack') });
  }
  if (values.lr_scheduler === 'constant' && typeof values.lr_warmup_ratio === 'number' && values.lr_warmup_ratio > 0) {
    values.lr_scheduler = 'constant_with_warmup';
    layers.set('lr_scheduler', { layer: 'tack', reason: r('constant_with_warmup: a warm-up was asked for and the constant schedule has none', 'tack') });
  }
  const settings = values as unknown as TrainSettings;
  const missing = SETTING_KEYS.filter((k) => settings[k] === undefined);
  if (missing.length) throw new Error(`preset chain leaves ${missing.join(', ')} unset`);
  const decisions = SETTING_KEYS.map((key) => {
    const info = layers.get(key);
    return { key, value: settings[key], layer: info?.layer ?? 'preset', ...(info?.reason ? { reason: info.reason } : {}) };
  });
  return { settings, decisions, findings };
}

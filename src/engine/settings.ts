/**
 * The resolved training settings: what one run trains with. They come from a preset, adjusted
 * by a GPU memory profile, then overridden by the project's [train] section, and every value
 * remembers where it came from and why, so `tack train` can explain each choice.
 */
import type { ProjectConfig } from '../project/index.js';

export type TrainOverrides = ProjectConfig['train'];

export interface TrainSettings {
  readonly network_dim: number;
  readonly network_alpha: number;
  readonly train_text_encoder: boolean;
  readonly learning_rate: number;
  readonly unet_lr: number;
  readonly text_encoder_lr: number;
  readonly optimizer: string;
  readonly optimizer_args: readonly string[];
  readonly lr_scheduler: string;
  readonly lr_warmup_ratio: number;
  readonly mixed_precision: 'bf16' | 'fp16' | 'no';
  readonly save_precision: 'fp16' | 'bf16' | 'float';
  readonly gradient_checkpointing: boolean;
  readonly cache_latents: boolean;
  readonly cache_text_encoder_outputs: boolean;
  readonly fp8_base: boolean;
  readonly attention: 'sdpa' | 'xformers' | 'none';
  readonly min_snr_gamma: number;
  readonly noise_offset: number;
  readonly max_grad_norm: number;
  readonly seed: number;
  readonly save_state: boolean;
  readonly no_half_vae: boolean;
  readonly extra_args: readonly string[];
}

export type SettingKey = keyof TrainSettings;

/** Where a value came from, for the explanation printed before launch. */
export type SettingSource = 'recipe' | 'engine-docs' | 'kohya-presets' | 'kohya-gui-defaults' | 'tack' | 'imported' | 'profile' | 'tack.toml';

export interface SettingReason {
  readonly why: string;
  readonly source: SettingSource;
}

/** The [train] keys that are training settings (the rest are machine and supervision settings). */
export const SETTING_KEYS: readonly SettingKey[] = [
  'network_dim',
  'network_alpha',
  'train_text_encoder',
  'learning_rate',
  'unet_lr',
  'text_encoder_lr',
  'optimizer',
  'optimizer_args',
  'lr_scheduler',
  'lr_warmup_ratio',
  'mixed_precision',
  'save_precision',
  'gradient_checkpointing',
  'cache_latents',
  'cache_text_encoder_outputs',
  'fp8_base',
  'attention',
  'min_snr_gamma',
  'noise_offset',
  'max_grad_norm',
  'seed',
  'save_state',
  'no_half_vae',
  'extra_args',
];

export const SOURCE_WORDS: Record<SettingSource, string> = {
  recipe: 'the recipe',
  'engine-docs': "sd-scripts' SDXL documentation",
  'kohya-presets': 'kohya_ss SDXL presets',
  'kohya-gui-defaults': 'kohya_ss GUI defaults',
  tack: 'tack',
  imported: 'imported preset',
  profile: 'GPU profile',
  'tack.toml': 'tack.toml [train]',
};

/**
 * Keys of the kohya_ss GUI's other tabs and versions. Every tab saves its form as a flat JSON of
 * its `save_configuration` parameters (bmaltais/kohya_ss kohya_gui/dreambooth_gui.py,
 * textual_inversion_gui.py, finetune_gui.py, lora_gui.py), so a file tells which tab saved it,
 * and presets written by older or newer LoRA tabs carry keys the v24.1.4 LoRA tab
 * (kohya-gui-keys.ts) does not have. tack uses these lists to recognise what a file is
 * (kohya-kind.ts) and to say where an ignored key comes from instead of calling it unknown.
 */
import { KOHYA_GUI_LATER_KEYS, KOHYA_GUI_MODEL_FAMILY_PREFIXES, KOHYA_GUI_V24_DEFAULTS } from './kohya-gui-keys.js';

/** Textual Inversion tab only (textual_inversion_gui.py): the token being trained. */
export const KOHYA_GUI_TI_KEYS: readonly string[] = ['token_string', 'init_word', 'num_vectors_per_token', 'template', 'weights'];

/** DreamBooth and fine-tuning tabs: per-text-encoder rates of a full-model training. */
export const KOHYA_GUI_FULL_MODEL_RATE_KEYS: readonly string[] = ['learning_rate_te', 'learning_rate_te1', 'learning_rate_te2'];

/** Fine-tuning tab only (finetune_gui.py): metadata-file datasets instead of kohya folders. */
export const KOHYA_GUI_FINETUNE_KEYS: readonly string[] = [
  'train_dir', 'image_folder', 'batch_size', 'caption_metadata_filename', 'latent_metadata_filename', 'full_path', 'dataset_repeats', 'train_text_encoder',
  'create_caption', 'create_buckets', 'block_lr', 'use_latent_files', 'sdxl_checkbox',
];

/** Keys that only a LoRA-tab file has (the network being trained). */
export const KOHYA_GUI_NETWORK_KEYS: readonly string[] = ['LoRA_type', 'network_dim', 'network_alpha', 'text_encoder_lr', 'unet_lr', 'network_weights', 'lora_network_weights', 'LyCORIS_preset', 'conv_dim', 'conv_alpha'];

/**
 * Model-family settings of newer LoRA tabs (Flux.1, SD3; lora_gui.py save_configuration and the
 * config builder in kohya_ss-gui.md), besides the flux1_/sd3_/... prefixed ones.
 */
const MODEL_FAMILY_KEYS: readonly string[] = [
  'ae', 'clip_l', 'clip_g', 't5xxl', 'discrete_flow_shift', 'model_prediction_type', 'timestep_sampling', 'split_mode', 'train_blocks', 't5xxl_max_token_length',
  'guidance_scale', 'mem_eff_save', 'apply_t5_attn_mask', 'split_qkv', 'cpu_offload_checkpointing', 'blocks_to_swap', 'single_blocks_to_swap', 'double_blocks_to_swap',
  'logit_mean', 'logit_std', 'mode_scale', 'save_clip', 'save_t5xxl', 't5xxl_device', 't5xxl_dtype', 'weighting_scheme', 'img_attn_dim',
];

/** Where a key that the v24.1.4 LoRA tab lacks comes from, in words. */
const OTHER_TAB_OR_VERSION: Readonly<Record<string, string>> = {
  ...Object.fromEntries(KOHYA_GUI_TI_KEYS.map((k) => [k, 'the Textual Inversion tab'])),
  ...Object.fromEntries(KOHYA_GUI_FULL_MODEL_RATE_KEYS.map((k) => [k, 'the DreamBooth and fine-tuning tabs'])),
  ...Object.fromEntries(KOHYA_GUI_FINETUNE_KEYS.map((k) => [k, 'the fine-tuning tab'])),
  ...Object.fromEntries(MODEL_FAMILY_KEYS.map((k) => [k, 'newer LoRA tabs, for Flux.1 and SD3 models'])),
  no_token_padding: 'the DreamBooth and Textual Inversion tabs (LoRA presets of older GUI versions carry it too)',
  stop_text_encoder_training_pct: "the GUI's training code (its name for stop_text_encoder_training), saved into some presets",
  use_wandb: 'older GUI versions (now log_with = "wandb")',
  use_8bit_adam: 'older GUI versions (now optimizer = "AdamW8bit")',
  lora_network_weights: 'older LoRA tabs (now network_weights)',
  conv_alphas: 'older LoRA tabs (now conv_block_alphas)',
  conv_dims: 'older LoRA tabs (now conv_block_dims)',
  fused_backward_pass: 'the DreamBooth and fine-tuning tabs',
  fused_optimizer_groups: 'the DreamBooth and fine-tuning tabs',
  blockwise_fused_optimizers: 'the DreamBooth and fine-tuning tabs',
  flux_fused_backward_pass: 'the DreamBooth and fine-tuning tabs (Flux.1)',
  disable_mmap_load_safetensors: 'the DreamBooth, fine-tuning and Textual Inversion tabs',
  training_preset: "the LoRA tab's preset picker",
};

/** Where a GUI key from another tab or version comes from; undefined for v24.1.4 LoRA-tab keys and non-GUI keys. */
export function otherGuiKeySource(key: string): string | undefined {
  return OTHER_TAB_OR_VERSION[key] ?? (KOHYA_GUI_MODEL_FAMILY_PREFIXES.some((p) => key.startsWith(p)) ? 'newer LoRA tabs, for other model families' : undefined);
}

/** True for the v24.1.4 LoRA tab's keys and the generic LoRA-tab keys added up to v26. */
export function isLoraTabKey(key: string): boolean {
  return key in KOHYA_GUI_V24_DEFAULTS || KOHYA_GUI_LATER_KEYS.includes(key);
}

/** True for any key a kohya_ss GUI tab of any version saves. */
export function isKohyaGuiKey(key: string): boolean {
  return isLoraTabKey(key) || otherGuiKeySource(key) !== undefined || key === 'save_as' || key === 'headless' || key === 'print_only' || key === 'file_path';
}

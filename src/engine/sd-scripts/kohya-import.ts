/**
 * kohya_ss GUI LoRA presets (kohya_ss-gui.md 2a). Import reads the GUI's flat JSON (string
 * numbers, legacy keys, `"===...": null` comment keys tolerated) into a tack preset and reports,
 * key by key, what became of each value and every pitfall the file carried: the GUI drops every
 * 0/false/"" before writing its TOML (alpha 0 -> engine default 1, seed 0 -> random: P6),
 * clip_skip does nothing for SDXL (P5), a text-encoder rate of 0 silently trains the U-Net only
 * (P8), its step field caps runs at 1600 steps (P7). Export is in kohya-export.ts.
 */
import { presetErrors } from '../errors.js';
import type { Preset } from '../presets.js';
import { KOHYA_GUI_LATER_KEYS, KOHYA_GUI_MODEL_FAMILY_PREFIXES, KOHYA_GUI_V24_DEFAULTS } from './kohya-gui-keys.js';
import {
  checkModel,
  importAdditional,
  importDataset,
  importLossAndNoise,
  importNetwork,
  importOptimizer,
  importPrecisionAndMemory,
  importRates,
  importSteps,
} from './kohya-import-groups.js';
import { Importer, type KohyaImportResult } from './kohya-importer.js';

export { splitGuiArgs, type ImportAction, type ImportChange, type KohyaImportResult } from './kohya-importer.js';

/** Keys that describe one machine or one project, not a way of training. */
const PROJECT_KEYS = new Set([
  'pretrained_model_name_or_path', 'output_dir', 'output_name', 'train_data_dir', 'reg_data_dir', 'logging_dir', 'log_prefix', 'model_list', 'save_as_bool',
  'resume', 'network_weights', 'vae', 'dataset_config', 'sample_prompts', 'wandb_api_key', 'wandb_run_name', 'log_with', 'log_tracker_name', 'log_tracker_config',
  'huggingface_repo_id', 'huggingface_token', 'huggingface_repo_type', 'huggingface_repo_visibility', 'huggingface_path_in_repo', 'save_state_to_huggingface',
  'resume_from_huggingface', 'async_upload', 'metadata_author', 'metadata_description', 'metadata_license', 'metadata_tags', 'metadata_title', 'training_comment',
  'gpu_ids', 'num_processes', 'num_machines', 'num_cpu_threads_per_process', 'multi_gpu', 'main_process_port', 'dynamo_backend', 'dynamo_mode', 'dynamo_use_dynamic',
  'dynamo_use_fullgraph', 'extra_accelerate_launch_args', 'max_data_loader_n_workers', 'persistent_data_loader_workers', 'headless', 'print_only', 'file_path',
]);

/** LyCORIS / DyLoRA / block-weight knobs: no effect on a Standard LoRA. */
const NETWORK_FAMILY_KEYS = new Set([
  'LyCORIS_preset', 'bypass_mode', 'constrain', 'decompose_both', 'dora_wd', 'factor', 'rescaled', 'train_norm', 'train_on_input', 'unit', 'use_cp', 'use_scalar',
  'use_tucker', 'rank_dropout_scale', 'block_alphas', 'block_dims', 'block_lr_zero_threshold', 'conv_block_alphas', 'conv_block_dims', 'down_lr_weight',
  'mid_lr_weight', 'up_lr_weight', 'dim_from_weights', 'stop_text_encoder_training',
]);

/** Reads a kohya_ss GUI LoRA preset into a tack preset named `name`. */
export function importKohyaPreset(json: unknown, options: { readonly name: string; readonly file: string }): KohyaImportResult {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw presetErrors.create('PRESET_BAD_FILE', `${options.file} is not a kohya_ss preset: it must be a JSON object of settings.`, 'Export the preset from the kohya_ss GUI (LoRA tab > Configuration > Save).', { details: { file: options.file } });
  }
  const entries = Object.entries(json as Record<string, unknown>).filter(([k]) => !k.startsWith('='));
  const im = new Importer(Object.fromEntries(entries), options.file);
  if (im.has('lora_network_weights')) im.note('lora_network_weights', 'ignored', 'legacy name of network_weights: project-specific');
  checkModel(im);
  importNetwork(im);
  importRates(im);
  importOptimizer(im);
  importPrecisionAndMemory(im);
  importLossAndNoise(im);
  importSteps(im);
  importDataset(im);
  importAdditional(im);
  for (const key of im.unhandledKeys()) {
    if (PROJECT_KEYS.has(key)) im.note(key, 'ignored', 'project or machine specific');
    else if (NETWORK_FAMILY_KEYS.has(key)) im.note(key, 'ignored', 'no effect on a Standard LoRA');
    else if (key in KOHYA_GUI_V24_DEFAULTS || KOHYA_GUI_LATER_KEYS.includes(key) || KOHYA_GUI_MODEL_FAMILY_PREFIXES.some((p) => key.startsWith(p))) im.note(key, 'ignored', 'not used by tack');
    else im.note(key, 'unknown', 'not a kohya_ss GUI key; ignored (the GUI ignores it too)');
  }
  if (im.extra.length) {
    im.values.extra_args = im.extra;
    im.reasons.extra_args = { why: `engine arguments from ${options.file}`, source: 'imported' };
  }
  const dims = im.values.network_dim ? `rank ${im.values.network_dim}` : 'rank from sdxl';
  const preset: Preset = {
    name: options.name,
    description: `Imported from ${options.file} (kohya_ss GUI): ${dims}, ${im.values.optimizer ?? 'AdamW8bit'}.`,
    builtin: false,
    basedOn: 'sdxl',
    values: im.values,
    reasons: im.reasons,
    ...(Object.keys(im.planHints).length ? { planHints: im.planHints } : {}),
    importedFrom: { file: options.file, format: 'kohya_ss' },
  };
  return { preset, changes: im.changes, findings: im.findings };
}

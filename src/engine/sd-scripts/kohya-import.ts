/**
 * kohya_ss GUI LoRA presets (kohya_ss-gui.md 2a). Import first recognises what the file is
 * (kohya-kind.ts) and refuses, by name, anything that is not an SDXL networks.lora preset: a
 * Textual Inversion, DreamBooth or fine-tuning configuration, a LyCORIS or other network, a
 * Flux.1, SD3 or SD 1.x preset. It then reads the GUI's flat JSON (string numbers, legacy keys,
 * `"===...": null` comment keys tolerated) into a tack preset the way the GUI itself would have
 * launched it, zeros included (kohya-gui-zero.ts), and reports, key by key, what became of each
 * value and every pitfall the file carried: alpha 0 -> engine default 1, seed 0 -> random (P6),
 * clip_skip does nothing for SDXL (P5), a text-encoder rate of 0 silently trains the U-Net only
 * (P8), its step field caps runs at 1600 steps (P7). Export is in kohya-export.ts.
 */
import { finding } from '../../core/index.js';
import { presetErrors } from '../errors.js';
import type { Preset } from '../presets.js';
import { isLoraTabKey, otherGuiKeySource } from './kohya-gui-tabs.js';
import { importNetwork, importOptimizer, importPrecisionAndMemory, importRates } from './kohya-import-groups.js';
import { importAdditional, importDataset, importLossAndNoise, importSteps } from './kohya-import-training.js';
import { Importer, type KohyaImportResult } from './kohya-importer.js';
import { describeKohyaFile, FAMILY_WORDS, recogniseKohyaFile, type KohyaFileKind } from './kohya-kind.js';

export { splitGuiArgs, type ImportAction, type ImportChange, type KohyaImportResult } from './kohya-importer.js';
export { recogniseKohyaFile, describeKohyaFile, type KohyaFileKind, type KohyaModelFamily, type KohyaTrainingKind } from './kohya-kind.js';

/** Keys that describe one machine or one project, not a way of training. */
const PROJECT_KEYS = new Set([
  'pretrained_model_name_or_path', 'output_dir', 'output_name', 'train_data_dir', 'reg_data_dir', 'logging_dir', 'log_prefix', 'model_list', 'save_as_bool',
  'resume', 'network_weights', 'vae', 'dataset_config', 'sample_prompts', 'wandb_api_key', 'wandb_run_name', 'log_with', 'log_tracker_name', 'log_tracker_config',
  'huggingface_repo_id', 'huggingface_token', 'huggingface_repo_type', 'huggingface_repo_visibility', 'huggingface_path_in_repo', 'save_state_to_huggingface',
  'resume_from_huggingface', 'async_upload', 'metadata_author', 'metadata_description', 'metadata_license', 'metadata_tags', 'metadata_title', 'training_comment',
  'gpu_ids', 'num_processes', 'num_machines', 'num_cpu_threads_per_process', 'multi_gpu', 'main_process_port', 'dynamo_backend', 'dynamo_mode', 'dynamo_use_dynamic',
  'dynamo_use_fullgraph', 'extra_accelerate_launch_args', 'max_data_loader_n_workers', 'persistent_data_loader_workers', 'headless', 'print_only', 'file_path', 'save_as',
]);

/** LyCORIS / DyLoRA / block-weight knobs: no effect on a Standard LoRA. */
const NETWORK_FAMILY_KEYS = new Set([
  'LyCORIS_preset', 'bypass_mode', 'constrain', 'decompose_both', 'dora_wd', 'factor', 'rescaled', 'train_norm', 'train_on_input', 'unit', 'use_cp', 'use_scalar',
  'use_tucker', 'rank_dropout_scale', 'block_alphas', 'block_dims', 'block_lr_zero_threshold', 'conv_block_alphas', 'conv_block_dims', 'down_lr_weight',
  'mid_lr_weight', 'up_lr_weight', 'dim_from_weights',
]);

const GUI_FILE_HINT = 'Import a preset saved from the kohya_ss GUI\'s LoRA tab with SDXL ticked (presets/lora/SDXL - ...json), or train this file with the kohya_ss GUI.';

/** Refuses, by name, every file that is not an SDXL networks.lora preset. */
function refuseUnless(kind: KohyaFileKind, file: string, keyCount: number): void {
  const details = { file, training: kind.training, family: kind.family, network: kind.network?.type ?? null, evidence: kind.evidence };
  const because = kind.evidence.length ? ` (${kind.evidence.join(', ')})` : '';
  if (kind.guiKeys === 0) {
    throw presetErrors.create('PRESET_BAD_FILE', `${file} is not a kohya_ss preset: none of its ${keyCount} keys is a setting of any kohya_ss GUI tab.`, 'Pick the .json the GUI saves from its Configuration panel or a file from its presets/ folder.', { details });
  }
  if (kind.training !== 'lora') {
    throw presetErrors.create('PRESET_NOT_LORA', `${file} is ${describeKohyaFile(kind)}${because}, not a LoRA preset: tack trains LoRAs (networks.lora) only.`, GUI_FILE_HINT, { details });
  }
  if (kind.family !== 'sdxl' && kind.family !== 'unknown') {
    throw presetErrors.create('PRESET_OTHER_MODEL', `${file} is ${describeKohyaFile(kind)}${because}: tack trains SDXL LoRAs (SDXL, Pony, Illustrious and other SDXL checkpoints), not ${FAMILY_WORDS[kind.family]}.`, GUI_FILE_HINT, { details });
  }
  if (kind.network && kind.network.module !== 'networks.lora') {
    throw presetErrors.create(
      'PRESET_OTHER_NETWORK',
      `${file} is ${describeKohyaFile(kind)}: LoRA_type "${kind.network.type}" trains with ${kind.network.module}, and tack trains plain LoRAs with networks.lora. Its rank, alpha and learning rate mean something else for that network, so importing them into a LoRA would not train what the preset describes.`,
      'Pick a Standard or Kohya LoCon preset, or train this network with the kohya_ss GUI.',
      { details },
    );
  }
}

/** Reads a kohya_ss GUI LoRA preset into a tack preset named `name`. */
export function importKohyaPreset(json: unknown, options: { readonly name: string; readonly file: string }): KohyaImportResult {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw presetErrors.create('PRESET_BAD_FILE', `${options.file} is not a kohya_ss preset: it must be a JSON object of settings.`, 'Export the preset from the kohya_ss GUI (LoRA tab > Configuration > Save).', { details: { file: options.file } });
  }
  const entries = Object.entries(json as Record<string, unknown>).filter(([k]) => !k.startsWith('='));
  const settings = Object.fromEntries(entries);
  const kind = recogniseKohyaFile(settings);
  refuseUnless(kind, options.file, entries.length);
  const im = new Importer(settings, options.file);
  for (const k of ['sdxl', 'v2', 'sdxl_checkbox']) im.get(k);
  if (kind.family === 'unknown') im.findings.push(finding('info', 'PRESET_NO_SDXL_KEY', 'The file has no "sdxl" key and names no model; it is read as an SDXL preset.', { subject: 'sdxl' }));
  if (im.has('lora_network_weights')) im.note('lora_network_weights', 'ignored', 'legacy name of network_weights: project-specific');
  importNetwork(im);
  importRates(im);
  importOptimizer(im);
  importPrecisionAndMemory(im);
  importLossAndNoise(im);
  importSteps(im);
  importDataset(im);
  importAdditional(im);
  for (const key of im.unhandledKeys()) {
    const elsewhere = otherGuiKeySource(key);
    if (PROJECT_KEYS.has(key)) im.note(key, 'ignored', 'project or machine specific');
    else if (NETWORK_FAMILY_KEYS.has(key)) im.note(key, 'ignored', 'no effect on a Standard LoRA');
    else if (isLoraTabKey(key)) im.note(key, 'ignored', 'not used by tack');
    else if (elsewhere) im.note(key, 'ignored', `a key of another GUI tab/version: ${elsewhere}. The LoRA tab ignores it, and so does tack`);
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
  return { preset, recognised: kind, changes: im.changes, findings: im.findings };
}

/**
 * Writes the two files sd-scripts trains from: the dataset TOML (`--dataset_config`) and the
 * training-arguments TOML (`--config_file`). Pure: the caller passes every path as it must
 * appear in the files (absolute for a run, relative for an export bundle). The pitfalls are
 * prevented by construction, and each prevention is returned as a note so `tack train` can say
 * what it did and why:
 *   P3 caption_extension ".txt"          P5 no clip_skip (SDXL ignores it)
 *   P7 max_train_epochs always set       P8/P10 text-encoder training said explicitly
 *   P12 warm-up as an integer step count P13 mixed_precision in the script's own config
 *   P21 num_repeats in the dataset TOML (a folder prefix is not read with --dataset_config)
 */
import { closest, finding, type Finding } from '../../core/index.js';
import type { TrainSettings } from '../settings.js';
import { allArgDests, argSpec } from './args-schema.js';
import { isDatasetFloatKey } from './dataset-schema.js';
import { formatTomlComment, formatTomlKey, formatTomlValue, type TomlInput } from './toml.js';

export interface EngineBuckets {
  readonly resolution: readonly [number, number];
  readonly enableBucket: boolean;
  readonly noUpscale: boolean;
  readonly minReso: number;
  readonly maxReso: number;
  readonly resoSteps: number;
}

export interface EngineConfigInput {
  readonly outputName: string;
  /** Paths exactly as they must appear in the files. */
  readonly baseModel: string;
  readonly imageDir: string;
  readonly outputDir: string;
  readonly samplePromptsFile: string;
  readonly classTokens: string;
  readonly repeats: number;
  readonly buckets: EngineBuckets;
  readonly batchSize: number;
  readonly gradientAccumulationSteps: number;
  readonly epochs: number;
  /** The engine's own total (plan/engine-steps), used for the warm-up step count. */
  readonly totalSteps: number;
  readonly numProcesses: number;
  readonly sampleSampler: string;
  readonly settings: TrainSettings;
  /** Free-text comment for the top of both files. */
  readonly header?: string;
}

export interface EngineConfigFiles {
  readonly argsToml: string;
  readonly datasetToml: string;
  /** What tack decided and why (infos), and problems with extra_args (errors). */
  readonly notes: readonly Finding[];
}

/** Arguments tack always writes itself; extra_args may not set them. */
export const MANAGED = new Set([
  'pretrained_model_name_or_path', 'output_dir', 'output_name', 'dataset_config', 'config_file', 'output_config', 'max_train_epochs', 'max_train_steps',
  'sample_prompts', 'sample_every_n_epochs', 'sample_every_n_steps', 'save_every_n_epochs', 'save_model_as', 'network_module', 'train_data_dir', 'reg_data_dir',
  'in_json', 'resume', 'console_log_simple', 'resolution', 'train_batch_size', 'gradient_accumulation_steps', 'caption_extension', 'caption_extention',
  'dataset_repeats', 'clip_skip', 'network_train_unet_only', 'network_train_text_encoder_only', 'save_state', 'save_last_n_epochs_state',
]);

/** extra_args keys that have their own [train] key. */
export const SETTING_ARGS: Record<string, string> = {
  network_dim: 'network_dim', network_alpha: 'network_alpha', learning_rate: 'learning_rate', unet_lr: 'unet_lr', text_encoder_lr: 'text_encoder_lr',
  optimizer_type: 'optimizer', optimizer_args: 'optimizer_args', lr_scheduler: 'lr_scheduler', lr_warmup_steps: 'lr_warmup_ratio', mixed_precision: 'mixed_precision',
  save_precision: 'save_precision', gradient_checkpointing: 'gradient_checkpointing', cache_latents: 'cache_latents', cache_text_encoder_outputs: 'cache_text_encoder_outputs',
  fp8_base: 'fp8_base', sdpa: 'attention', xformers: 'attention', min_snr_gamma: 'min_snr_gamma', noise_offset: 'noise_offset', max_grad_norm: 'max_grad_norm', seed: 'seed', no_half_vae: 'no_half_vae',
};

type Entry = readonly [key: string, value: TomlInput, comment?: string];
interface Section {
  readonly name: string;
  readonly comment?: string;
  readonly entries: Entry[];
}

/** Parses `name=value` extra arguments by the engine's argument table. */
export function parseExtraArgs(extra: readonly string[]): { values: Map<string, TomlInput>; findings: Finding[] } {
  const values = new Map<string, TomlInput>();
  const findings: Finding[] = [];
  for (const item of extra) {
    const at = item.indexOf('=');
    const name = at > 0 ? item.slice(0, at) : item;
    const raw = at > 0 ? item.slice(at + 1) : '';
    const spec = argSpec(name);
    const subject = `train.extra_args "${item}"`;
    if (!spec) {
      const guess = closestArg(name);
      findings.push(finding('error', 'ENGINE_UNKNOWN_ARG', `extra_args: ${name} is not an argument of sdxl_train_network.py.${guess ? ` Did you mean "${guess}"?` : ''}`, { subject, fix: 'Fix or remove the entry in [train] extra_args.', data: { pitfall: name.startsWith('text_encoder_lr') ? 'P9' : 'P11' } }));
      continue;
    }
    if (SETTING_ARGS[name]) {
      findings.push(finding('error', 'ENGINE_EXTRA_ARG_SETTING', `extra_args: ${name} has its own setting: use [train] ${SETTING_ARGS[name]}.`, { subject, fix: `Remove it from extra_args and set ${SETTING_ARGS[name]} in [train].` }));
      continue;
    }
    if (MANAGED.has(name)) {
      findings.push(finding('error', 'ENGINE_EXTRA_ARG_MANAGED', `extra_args: ${name} is written by tack from the project and plan and cannot be overridden.`, { subject, fix: 'Remove the entry.' }));
      continue;
    }
    let value: TomlInput | undefined;
    if (spec.action === 'store_true') value = raw === '' || raw === 'true' ? true : raw === 'false' ? false : undefined;
    else if (spec.type === 'int' || spec.type === 'int_or_float') value = /^-?\d+$/.test(raw) ? Number(raw) : undefined;
    else if (spec.type === 'float') value = raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : undefined;
    else value = raw;
    if (value === undefined) {
      findings.push(finding('error', 'ENGINE_ARG_TYPE', `extra_args: ${name} needs ${spec.action === 'store_true' ? 'true or false' : `a ${spec.type} value`}; got "${raw}".`, { subject, fix: `Write it as "${name}=<value>".` }));
      continue;
    }
    if (spec.choices && !spec.choices.some((c) => c !== null && String(c) === String(value))) {
      findings.push(finding('error', 'ENGINE_ARG_CHOICE', `extra_args: ${name} = ${raw} is not one of ${spec.choices.filter((c) => c !== null).join(', ')}.`, { subject }));
      continue;
    }
    if (spec.nargs === '*') values.set(name, [...((values.get(name) as TomlInput[] | undefined) ?? []), value]);
    else values.set(name, value);
  }
  return { values, findings };
}

function closestArg(name: string): string | undefined {
  return closest(name, allArgDests());
}

function formatSection(section: Section): string[] {
  const lines: string[] = [];
  if (section.comment) lines.push(...formatTomlComment(section.comment));
  lines.push(`[${section.name}]`);
  for (const [key, value, comment] of section.entries) {
    if (comment) lines.push(...formatTomlComment(comment));
    const float = argSpec(key)?.type === 'float';
    lines.push(`${formatTomlKey(key)} = ${formatTomlValue(value, float)}`);
  }
  lines.push('');
  return lines;
}

function note(code: string, pitfall: string | undefined, message: string): Finding {
  return finding('info', code, message, pitfall ? { data: { pitfall } } : {});
}

export function buildEngineConfig(input: EngineConfigInput): EngineConfigFiles {
  const s = input.settings;
  const notes: Finding[] = [];
  const extra = parseExtraArgs(s.extra_args);
  notes.push(...extra.findings);
  const [w, h] = input.buckets.resolution;
  const warmupSteps = Math.round(s.lr_warmup_ratio * input.totalSteps * input.numProcesses);

  const model: Entry[] = [['pretrained_model_name_or_path', input.baseModel, 'The base checkpoint (SDXL or Pony).']];
  if (s.no_half_vae) model.push(['no_half_vae', true, 'SDXL VAE in fp32: avoids NaN latents and black samples.']);
  if (s.fp8_base) model.push(['fp8_base', true, 'Base weights in fp8 to save GPU memory.']);

  const network: Entry[] = [
    ['network_module', 'networks.lora'],
    ['network_dim', s.network_dim, 'LoRA rank.'],
    ['network_alpha', s.network_alpha, `Written explicitly: scale = alpha / rank = ${+(s.network_alpha / s.network_dim).toFixed(4)} (the engine default alpha 1 would scale by 1/${s.network_dim}: P6).`],
  ];
  if (!s.train_text_encoder) network.push(['network_train_unet_only', true, 'U-Net only, said explicitly (not through a text-encoder rate of 0: P8).']);

  const optimizer: Entry[] = [
    ['optimizer_type', s.optimizer],
    ['learning_rate', s.learning_rate],
    ['unet_lr', s.unet_lr],
  ];
  if (s.optimizer_args.length) optimizer.push(['optimizer_args', [...s.optimizer_args]]);
  if (s.train_text_encoder) optimizer.push(['text_encoder_lr', [s.text_encoder_lr], 'One rate for both text encoders (sd-scripts has no --text_encoder_lr1/2: P9).']);
  optimizer.push(['lr_scheduler', s.lr_scheduler]);
  if (warmupSteps > 0) optimizer.push(['lr_warmup_steps', warmupSteps, `${Math.round(s.lr_warmup_ratio * 100)} % of ${input.totalSteps * input.numProcesses} scheduler steps, as an integer step count (a float would be read as a ratio: P12).`]);
  optimizer.push(['max_grad_norm', s.max_grad_norm]);

  const training: Entry[] = [
    ['max_train_epochs', input.epochs, `Always set, so the engine's 1600-step default never applies (P7). ${input.epochs} epochs = ${input.totalSteps} optimizer steps.`],
    ['gradient_accumulation_steps', input.gradientAccumulationSteps],
    ['mixed_precision', s.mixed_precision, 'Passed to the script itself: the accelerate config alone has no effect (P13).'],
    ['save_precision', s.save_precision],
    ['resolution', `${w},${h}`, 'Also in the dataset TOML; given here so the LoRA metadata records it (modelspec.resolution).'],
    ['seed', s.seed],
  ];
  if (s.gradient_checkpointing) training.push(['gradient_checkpointing', true]);
  if (s.attention === 'sdpa') training.push(['sdpa', true]);
  if (s.attention === 'xformers') training.push(['xformers', true]);
  if (s.cache_latents) training.push(['cache_latents', true]);
  if (s.cache_text_encoder_outputs) training.push(['cache_text_encoder_outputs', true, 'Allowed only because the text encoders are not trained (P10).']);
  if (s.min_snr_gamma > 0) training.push(['min_snr_gamma', s.min_snr_gamma]);
  if (s.noise_offset > 0) training.push(['noise_offset', s.noise_offset]);
  training.push(['max_data_loader_n_workers', 2], ['persistent_data_loader_workers', true]);

  const saving: Entry[] = [
    ['output_dir', input.outputDir],
    ['output_name', input.outputName],
    ['save_model_as', 'safetensors'],
    ['save_every_n_epochs', 1, 'A checkpoint every epoch, to compare.'],
  ];
  if (s.save_state) saving.push(['save_state', true, 'Optimizer state with each checkpoint, for tack train --resume.'], ['save_last_n_epochs_state', 1, 'Only the newest state is kept.']);

  const sampling: Entry[] = [
    ['sample_prompts', input.samplePromptsFile],
    ['sample_every_n_epochs', 1, 'Samples every epoch, to compare epochs by their images.'],
    ['sample_sampler', input.sampleSampler],
  ];
  const logging: Entry[] = [['console_log_simple', true, 'Plain log lines (no wrapping) for tack to read.']];

  const sections: Section[] = [
    { name: 'model', entries: model },
    { name: 'network', entries: network },
    { name: 'optimizer', entries: optimizer },
    { name: 'training', entries: training },
    { name: 'saving', entries: saving },
    { name: 'sampling', entries: sampling },
    { name: 'logging', entries: logging },
  ];
  if (extra.values.size) sections.push({ name: 'extra', comment: 'From [train] extra_args in tack.toml.', entries: [...extra.values].map(([k, v]) => [k, v] as const) });

  const header = [
    'sd-scripts training arguments (--config_file), written by tack.',
    'Sections are for reading only: the engine lifts every key to the top level.',
    'No clip_skip: SDXL ignores it (both text encoders always use the penultimate layer) but would record it in the LoRA metadata (P5).',
    ...(input.header ? [input.header] : []),
  ];
  const argsToml = [...formatTomlComment(header.join('\n')), '', ...sections.flatMap(formatSection)].join('\n');

  const general: Entry[] = [
    ['caption_extension', '.txt', 'tack writes .txt captions; the engine default is .caption (P3).'],
    ['shuffle_caption', false],
    ['keep_tokens', 0],
  ];
  const dataset: Entry[] = [
    ['resolution', [w, h]],
    ['batch_size', input.batchSize],
    ['enable_bucket', input.buckets.enableBucket],
    ['bucket_no_upscale', input.buckets.noUpscale],
    ['min_bucket_reso', input.buckets.minReso],
    ['max_bucket_reso', input.buckets.maxReso],
    ['bucket_reso_steps', input.buckets.resoSteps],
  ];
  const subset: Entry[] = [
    ['image_dir', input.imageDir],
    ['class_tokens', input.classTokens, 'Used only for an image without a caption file.'],
    ['num_repeats', input.repeats, 'Repeats must be here: with a dataset TOML the folder\'s "<repeats>_" prefix is not read (P21).'],
  ];
  const entryLines = (entries: Entry[], indent: string) =>
    entries.flatMap(([k, v, c]) => [...(c ? formatTomlComment(c, indent) : []), `${indent}${formatTomlKey(k)} = ${formatTomlValue(v, isDatasetFloatKey(k))}`]);
  const datasetToml = [
    ...formatTomlComment(['sd-scripts dataset config (--dataset_config), written by tack.', ...(input.header ? [input.header] : [])].join('\n')),
    '',
    '[general]',
    ...entryLines(general, ''),
    '',
    '[[datasets]]',
    ...entryLines(dataset, ''),
    '',
    '  [[datasets.subsets]]',
    ...entryLines(subset, '  '),
    '',
  ].join('\n');

  notes.push(
    note('ENGINE_NOTE_CLIP_SKIP', 'P5', 'clip_skip is not passed: SDXL always trains on the penultimate layer of both text encoders ("clip skip 2" is built in), and the engine would record a clip_skip it never applied. Use clip skip 2 when generating with Pony.'),
    note('ENGINE_NOTE_CAPTIONS', 'P3', 'caption_extension = ".txt", so the captions tack wrote are read (the engine default .caption would ignore them).'),
    note('ENGINE_NOTE_EPOCHS', 'P7', `max_train_epochs = ${input.epochs} (${input.totalSteps} steps), so the engine's 1600-step default cannot cut the run short.`),
    note('ENGINE_NOTE_REPEATS', 'P21', `num_repeats = ${input.repeats} is written into the dataset TOML: with --dataset_config the folder's "${input.repeats}_" prefix is not read.`),
    note('ENGINE_NOTE_PRECISION', 'P13', `mixed_precision = "${s.mixed_precision}" is passed to the training script itself.`),
    note(
      'ENGINE_NOTE_TEXT_ENCODER',
      s.train_text_encoder ? 'P8' : 'P10',
      s.train_text_encoder
        ? `Text encoders trained at ${s.text_encoder_lr} (U-Net ${s.unet_lr}); their outputs are not cached, which the engine would refuse (P10).`
        : 'U-Net only (network_train_unet_only), said explicitly rather than through a text-encoder rate of 0 (P8).',
    ),
  );
  if (warmupSteps > 0) notes.push(note('ENGINE_NOTE_WARMUP', 'P12', `lr_warmup_steps = ${warmupSteps} (an integer step count; a float would be a ratio).`));
  return { argsToml, datasetToml, notes };
}

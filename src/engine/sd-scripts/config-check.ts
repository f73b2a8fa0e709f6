/**
 * The pre-launch check of a training configuration: the two TOML files are read back as the
 * engine reads them, checked against the argument table and the dataset schema, then against
 * the rules that silently cost users a run (pitfalls.md). `tack train` refuses to launch when
 * any error remains; the same check runs on imported presets and on exported bundles.
 */
import { finding, type Finding } from '../../core/index.js';
import { checkArgsTypes, flattenArgsToml } from './args-schema.js';
import { checkDatasetToml, resolveSubsets } from './dataset-schema.js';
import { parseEngineToml, showTomlValue, type EngineTomlTable, type EngineTomlValue } from './toml.js';

export interface EngineConfigTexts {
  readonly argsToml: string;
  readonly datasetToml: string;
  /** Names used in messages, e.g. config/args.toml. */
  readonly argsFile: string;
  readonly datasetFile: string;
}

export interface EngineConfigCheck {
  readonly findings: Finding[];
  /** The flattened args as the engine sees them (undefined when the TOML did not parse). */
  readonly args?: EngineTomlTable;
  readonly dataset?: EngineTomlTable;
}

function truthy(v: EngineTomlValue | undefined): boolean {
  if (v === undefined) return false;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v !== '';
  if (Array.isArray(v)) return v.length > 0;
  return Boolean(v);
}

function num(v: EngineTomlValue | undefined): number | undefined {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length > 0) return num(v[0]);
  return undefined;
}

function pitfall(code: string, id: string, message: string, subject: string, fix: string, severity: 'error' | 'warning' = 'error'): Finding {
  return finding(severity, code, message, { subject, fix, data: { pitfall: id } });
}

/** Rules across keys, on the flattened args and the dataset TOML (sd-scripts.md 1-5, 10). */
export function checkEngineRules(args: EngineTomlTable, dataset: EngineTomlTable, files: { args: string; dataset: string }): Finding[] {
  const out: Finding[] = [];
  const A = files.args;
  const required: Array<[string, string]> = [
    ['pretrained_model_name_or_path', 'the base model file'],
    ['output_dir', 'where checkpoints go'],
    ['output_name', 'the LoRA file name'],
    ['network_module', 'networks.lora (without it the import fails)'],
  ];
  for (const [key, what] of required) {
    if (!truthy(args[key])) out.push(finding('error', 'ENGINE_MISSING_ARG', `${A}: ${key} is not set (${what}).`, { subject: key, fix: `Set ${key}.` }));
  }
  if (args.clip_skip !== undefined) {
    out.push(
      pitfall(
        'ENGINE_CLIP_SKIP_SDXL',
        'P5',
        `${A}: clip_skip = ${showTomlValue(args.clip_skip)} does nothing for SDXL (both text encoders always use the penultimate layer) but the engine writes it into the LoRA metadata as if it were applied.`,
        'clip_skip',
        'Remove clip_skip; use clip skip 2 in your generator for Pony, as the model card says.',
      ),
    );
  }
  if (!truthy(args.max_train_epochs)) {
    out.push(
      pitfall(
        'ENGINE_NO_EPOCHS',
        'P7',
        `${A}: max_train_epochs is not set, so the engine trains max_train_steps${args.max_train_steps === undefined ? ' = 1600 (its default)' : ` = ${showTomlValue(args.max_train_steps)}`} whatever the plan says.`,
        'max_train_epochs',
        'Set max_train_epochs to the planned number of epochs.',
      ),
    );
  }
  if (args.mixed_precision === undefined || args.mixed_precision === 'no') {
    out.push(
      pitfall(
        'ENGINE_NO_MIXED_PRECISION',
        'P13',
        `${A}: mixed_precision is ${args.mixed_precision === undefined ? 'not set (the engine then trains in fp32, whatever the accelerate config says)' : '"no" (fp32: about twice the GPU memory)'}.`,
        'mixed_precision',
        'Set mixed_precision = "bf16" (or "fp16" on GPUs without bf16) in the training config itself.',
        args.mixed_precision === undefined ? 'error' : 'warning',
      ),
    );
  }
  const unetOnly = args.network_train_unet_only === true;
  if (args.cache_text_encoder_outputs === true && !unetOnly) {
    out.push(
      pitfall(
        'ENGINE_TE_CACHE_CONFLICT',
        'P10',
        `${A}: cache_text_encoder_outputs is on while the text encoders are trained; the engine stops with "network for Text Encoder cannot be trained with caching Text Encoder outputs".`,
        'cache_text_encoder_outputs',
        'Either train the U-Net only (network_train_unet_only = true) or turn cache_text_encoder_outputs off.',
      ),
    );
  }
  const teLr = num(args.text_encoder_lr);
  if (teLr === 0 && !unetOnly) {
    out.push(
      pitfall(
        'ENGINE_TE_LR_ZERO',
        'P8',
        `${A}: text_encoder_lr = 0 means the text encoders are not trained (U-Net only), which users report costs likeness.`,
        'text_encoder_lr',
        'Set a text-encoder learning rate (e.g. 1e-5), or say so explicitly with network_train_unet_only = true.',
      ),
    );
  }
  if (unetOnly && args.network_train_text_encoder_only === true) {
    out.push(finding('error', 'ENGINE_TRAINS_NOTHING', `${A}: network_train_unet_only and network_train_text_encoder_only are both on.`, { subject: 'network_train_unet_only', fix: 'Turn one of them off.' }));
  }
  for (const key of ['lr_warmup_steps', 'lr_decay_steps']) {
    const v = args[key];
    if (typeof v === 'number' && v >= 1) {
      out.push(
        pitfall('ENGINE_WARMUP_RATIO', 'P12', `${A}: ${key} = ${showTomlValue(v)} is a float, which the engine reads as a ratio of the total steps (${v}x), not a step count.`, key, `Write an integer step count (${key} = ${Math.round(v)}) or a ratio below 1.`),
      );
    } else if (typeof v === 'number' && v > 0) {
      out.push(pitfall('ENGINE_WARMUP_RATIO', 'P12', `${A}: ${key} = ${showTomlValue(v)} is read as ${Math.round(v * 100)} % of the total steps.`, key, 'tack writes an integer step count so the value cannot be misread.', 'warning'));
    }
  }
  if (args.network_alpha === undefined) {
    out.push(pitfall('ENGINE_NO_ALPHA', 'P6', `${A}: network_alpha is not set: the engine uses 1, a scale of 1/${num(args.network_dim) ?? 4} on the LoRA.`, 'network_alpha', 'Write network_alpha explicitly (e.g. half the rank).'));
  } else if (num(args.network_alpha) === 0) {
    out.push(pitfall('ENGINE_ALPHA_ZERO', 'P6', `${A}: network_alpha = 0 is read by the engine as alpha = rank (scale 1), but the kohya_ss GUI drops a 0 and trains with alpha 1.`, 'network_alpha', 'Write the alpha you mean as a number (e.g. the rank).', 'warning'));
  }
  if (args.seed === undefined || num(args.seed) === 0) {
    out.push(pitfall('ENGINE_NO_SEED', 'P6', `${A}: no fixed seed: every run starts differently, so two runs cannot be compared.`, 'seed', 'Set seed to a fixed number such as 42.', 'warning'));
  }
  const precision = args.mixed_precision;
  if (args.full_bf16 === true && precision !== 'bf16') out.push(finding('error', 'ENGINE_PRECISION_CONFLICT', `${A}: full_bf16 requires mixed_precision = "bf16".`, { subject: 'full_bf16', fix: 'Set mixed_precision = "bf16" or turn full_bf16 off.' }));
  if (args.full_fp16 === true && precision !== 'fp16') out.push(finding('error', 'ENGINE_PRECISION_CONFLICT', `${A}: full_fp16 requires mixed_precision = "fp16".`, { subject: 'full_fp16', fix: 'Set mixed_precision = "fp16" or turn full_fp16 off.' }));
  if ((args.fp8_base === true || args.fp8_base_unet === true) && precision !== 'fp16' && precision !== 'bf16') {
    out.push(finding('error', 'ENGINE_PRECISION_CONFLICT', `${A}: fp8_base requires mixed_precision "fp16" or "bf16".`, { subject: 'fp8_base', fix: 'Set mixed_precision = "bf16".' }));
  }
  if (args.weighted_captions === true) out.push(finding('error', 'ENGINE_SDXL_UNSUPPORTED', `${A}: weighted_captions is not supported for SDXL training.`, { subject: 'weighted_captions', fix: 'Remove weighted_captions.' }));
  if (!truthy(args.save_every_n_epochs) || num(args.save_every_n_epochs) !== 1) {
    out.push(finding('warning', 'ENGINE_SAVE_EVERY_EPOCH', `${A}: save_every_n_epochs is ${args.save_every_n_epochs === undefined ? 'not set' : showTomlValue(args.save_every_n_epochs)}: without a checkpoint per epoch there is nothing to compare.`, { subject: 'save_every_n_epochs', fix: 'Set save_every_n_epochs = 1.' }));
  }
  if (!truthy(args.sample_prompts) || num(args.sample_every_n_epochs) !== 1) {
    out.push(finding('warning', 'ENGINE_SAMPLE_EVERY_EPOCH', `${A}: samples are not rendered every epoch (sample_prompts + sample_every_n_epochs = 1), so epochs cannot be compared by their images.`, { subject: 'sample_every_n_epochs', fix: 'Set sample_prompts and sample_every_n_epochs = 1.' }));
  }
  if (typeof args.resolution === 'string' && !/^\s*\d+\s*(,\s*\d+\s*)?$/.test(args.resolution)) {
    out.push(finding('error', 'ENGINE_ARG_FORMAT', `${A}: resolution = "${args.resolution}" must be "W,H" or "N".`, { subject: 'resolution', fix: 'Write resolution = "1024,1024".' }));
  }
  for (const key of ['optimizer_args', 'lr_scheduler_args', 'network_args']) {
    const list = args[key];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const text = String(item);
      const ok = key === 'network_args' ? text.includes('=') : text.split('=').length === 2;
      if (!ok) out.push(finding('error', 'ENGINE_ARG_FORMAT', `${A}: ${key} entry "${text}" must be key=value${key === 'network_args' ? '' : ' with exactly one "="'}.`, { subject: key, fix: 'Write entries such as "weight_decay=0.01".' }));
    }
  }

  const subsets = resolveSubsets(dataset, args);
  if (subsets.length === 0) {
    out.push(pitfall('ENGINE_NO_SUBSETS', 'P4', `${files.dataset}: no [[datasets.subsets]] entry: the engine would find no data and exit with code 0.`, 'datasets', 'Run tack prepare so the dataset has images.'));
  }
  for (const s of subsets) {
    const where = `datasets[${s.datasetIndex}].subsets[${s.subsetIndex}]`;
    const ext = s.get('caption_extension') ?? '.caption';
    if (ext !== '.txt' && ext !== 'txt') {
      out.push(pitfall('ENGINE_CAPTION_EXTENSION', 'P3', `${files.dataset}: ${where} reads captions from "${String(ext)}" files, but tack writes .txt captions: every caption would be ignored.`, `${where}.caption_extension`, 'Set caption_extension = ".txt".'));
    }
    if (!truthy(s.get('image_dir'))) out.push(finding('error', 'ENGINE_DATASET_MISSING', `${files.dataset}: ${where} has no image_dir.`, { subject: where, fix: 'Set image_dir to the folder of training images.' }));
    const repeats = s.get('num_repeats');
    const imageDir = String(s.get('image_dir') ?? '');
    const prefix = /^(\d+)_/.exec(imageDir.split(/[\\/]/).pop() ?? '')?.[1];
    if (repeats === undefined || (prefix !== undefined && BigInt(prefix) !== repeats)) {
      out.push(
        pitfall(
          'ENGINE_REPEATS',
          'P21',
          `${files.dataset}: ${where} ${repeats === undefined ? 'has no num_repeats' : `has num_repeats = ${showTomlValue(repeats)}`}${prefix ? ` but its folder says ${prefix}` : ''}; with a dataset TOML the folder prefix is not read, so the engine trains ${repeats === undefined ? '1 repeat' : `${showTomlValue(repeats)} repeats`}.`,
          `${where}.num_repeats`,
          `Set num_repeats = ${prefix ?? 'the planned repeats'}.`,
        ),
      );
    }
    const resolution = s.get('resolution');
    if (resolution === undefined) out.push(finding('error', 'ENGINE_DATASET_MISSING', `${files.dataset}: no resolution for ${where}; the engine asserts "resolution is required".`, { subject: 'resolution', fix: 'Set resolution = [1024, 1024] in [[datasets]].' }));
    const steps = num(s.get('bucket_reso_steps')) ?? 64;
    if (steps % 32 !== 0) out.push(finding('error', 'ENGINE_BUCKET_STEPS', `${files.dataset}: bucket_reso_steps is ${steps}. it must be divisible by 32 (SDXL).`, { subject: 'bucket_reso_steps', fix: 'Use 32 or 64.' }));
    if (args.cache_latents === true && (s.get('color_aug') === true || s.get('random_crop') === true)) {
      out.push(finding('error', 'ENGINE_LATENT_CACHE_CONFLICT', `${where}: color_aug / random_crop cannot be used while caching latents (the engine asserts).`, { subject: where, fix: 'Turn color_aug and random_crop off, or cache_latents off.' }));
    }
    if (args.cache_text_encoder_outputs === true) {
      const random = ['shuffle_caption', 'caption_dropout_rate', 'token_warmup_step', 'caption_tag_dropout_rate'].filter((k) => truthy(s.get(k)));
      if (random.length > 0) {
        out.push(
          pitfall(
            'ENGINE_TE_CACHE_CONFLICT',
            'P10',
            `${where}: ${random.join(', ')} cannot be used while caching text encoder outputs; the engine asserts "when caching Text Encoder output, either caption_dropout_rate, shuffle_caption, token_warmup_step or caption_tag_dropout_rate cannot be used".`,
            where,
            'Turn caption shuffling and dropout off, or cache_text_encoder_outputs off.',
          ),
        );
      }
    }
  }
  return out;
}

/** Parses and checks both files. */
export function checkEngineConfig(texts: EngineConfigTexts): EngineConfigCheck {
  const findings: Finding[] = [];
  const argsParsed = parseEngineToml(texts.argsToml);
  const dataParsed = parseEngineToml(texts.datasetToml);
  for (const [parsed, file] of [
    [argsParsed, texts.argsFile],
    [dataParsed, texts.datasetFile],
  ] as const) {
    if (parsed.error) {
      const at = parsed.error.line ? ` (line ${parsed.error.line})` : '';
      findings.push(finding('error', 'ENGINE_BAD_TOML', `${file} is not valid TOML${at}: ${parsed.error.message}`, { subject: file, fix: 'Fix the TOML syntax.' }));
    }
  }
  if (!argsParsed.table || !dataParsed.table) return { findings };
  const { args, origin } = flattenArgsToml(argsParsed.table);
  findings.push(...checkArgsTypes(args, origin, texts.argsFile));
  findings.push(...checkDatasetToml(dataParsed.table, texts.datasetFile));
  findings.push(...checkEngineRules(args, dataParsed.table, { args: texts.argsFile, dataset: texts.datasetFile }));
  return { findings, args, dataset: dataParsed.table };
}

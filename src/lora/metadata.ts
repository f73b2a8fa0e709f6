/**
 * The training metadata sd-scripts writes (ss_* and modelspec.*, sd-scripts.md 7.2-7.3), made
 * readable. Metadata comes from untrusted files: every JSON value inside is parsed defensively
 * and an unparsable one is simply left out.
 */
import type { DetectedArch } from './modules.js';

/** Python's str(float): "4.0", "0.5", "1e-05" (the engine writes alphas this way). */
export function formatPythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp >= -4 && exp < 16) {
    const fixed = String(x);
    return /[.e]/.test(fixed) ? fixed : `${fixed}.0`;
  }
  return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function num(value: string | undefined): number | undefined {
  if (value === undefined || value === 'None' || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function parseJsonSafe(value: string | undefined): unknown {
  if (value === undefined || value.length > 50_000_000) return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isoFromUnix(value: string | undefined): string | undefined {
  const n = num(value);
  if (n === undefined || n <= 0 || n > 1e11) return undefined;
  return new Date(n * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

export interface TagCount {
  readonly tag: string;
  readonly count: number;
}

export interface TrainingInfo {
  readonly title?: string;
  readonly outputName?: string;
  readonly trainer?: string;
  readonly networkModule?: string;
  readonly networkArgs?: Record<string, unknown>;
  readonly networkDim?: string;
  readonly networkAlpha?: string;
  readonly steps?: number;
  readonly epoch?: number;
  readonly epochs?: number;
  readonly maxTrainSteps?: number;
  readonly learningRate?: number;
  readonly unetLr?: number;
  readonly textEncoderLr?: string;
  readonly optimizer?: string;
  readonly lrScheduler?: string;
  readonly lrWarmupSteps?: number;
  readonly mixedPrecision?: string;
  readonly seed?: number;
  readonly batchSize?: number;
  readonly resolution?: string;
  readonly clipSkip?: number;
  readonly noiseOffset?: number;
  readonly minSnrGamma?: number;
  readonly numTrainImages?: number;
  readonly repeats?: ReadonlyArray<{ readonly folder: string; readonly repeats: number; readonly images: number }>;
  readonly baseModel?: { readonly name?: string; readonly legacyHash?: string; readonly sha256?: string; readonly version?: string };
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly durationSeconds?: number;
  readonly comment?: string;
  readonly engineCommit?: string;
  readonly tagFrequency?: readonly TagCount[];
  readonly tagFolders?: number;
}

function drop<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** Everything useful the metadata says about how the LoRA was trained. */
export function readTrainingInfo(metadata: Readonly<Record<string, string>>, topTags = 20): TrainingInfo {
  const m = metadata;
  const datasets = parseJsonSafe(m.ss_datasets);
  const firstDataset = Array.isArray(datasets) && isRecord(datasets[0]) ? datasets[0] : undefined;
  let resolution = m.ss_resolution?.replace(/^\((\d+),\s*(\d+)\)$/, '$1x$2');
  if (!resolution && firstDataset && Array.isArray(firstDataset.resolution)) resolution = firstDataset.resolution.join('x');
  resolution ??= m['modelspec.resolution'];
  const dirs = parseJsonSafe(m.ss_dataset_dirs);
  const repeats = isRecord(dirs)
    ? Object.entries(dirs).flatMap(([folder, v]) => (isRecord(v) && typeof v.n_repeats === 'number' ? [{ folder, repeats: v.n_repeats, images: typeof v.img_count === 'number' ? v.img_count : 0 }] : []))
    : undefined;
  const freq = parseJsonSafe(m.ss_tag_frequency);
  let tagFrequency: TagCount[] | undefined;
  let tagFolders: number | undefined;
  if (isRecord(freq)) {
    const totals = new Map<string, number>();
    tagFolders = 0;
    for (const folder of Object.values(freq)) {
      if (!isRecord(folder)) continue;
      tagFolders++;
      for (const [tag, count] of Object.entries(folder)) if (typeof count === 'number') totals.set(tag, (totals.get(tag) ?? 0) + count);
    }
    tagFrequency = [...totals].map(([tag, count]) => ({ tag, count })).sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag)).slice(0, topTags);
  }
  const args = parseJsonSafe(m.ss_network_args);
  const started = num(m.ss_training_started_at);
  const finished = num(m.ss_training_finished_at);
  const batch = num(m.ss_total_batch_size) ?? num(m.ss_batch_size_per_device) ?? (firstDataset && typeof firstDataset.batch_size_per_device === 'number' ? firstDataset.batch_size_per_device : undefined);
  return drop({
    title: m['modelspec.title'],
    outputName: m.ss_output_name,
    trainer: m['modelspec.implementation_version'] ?? (m.ss_sd_scripts_commit_hash ? 'sd-scripts' : undefined),
    networkModule: m.ss_network_module,
    networkArgs: isRecord(args) ? args : undefined,
    networkDim: m.ss_network_dim,
    networkAlpha: m.ss_network_alpha,
    steps: num(m.ss_steps),
    epoch: num(m.ss_epoch),
    epochs: num(m.ss_num_epochs),
    maxTrainSteps: num(m.ss_max_train_steps),
    learningRate: num(m.ss_learning_rate),
    unetLr: num(m.ss_unet_lr),
    textEncoderLr: m.ss_text_encoder_lr === 'None' ? undefined : m.ss_text_encoder_lr,
    optimizer: m.ss_optimizer,
    lrScheduler: m.ss_lr_scheduler,
    lrWarmupSteps: num(m.ss_lr_warmup_steps),
    mixedPrecision: m.ss_mixed_precision,
    seed: num(m.ss_seed),
    batchSize: batch,
    resolution,
    clipSkip: num(m.ss_clip_skip) ?? num(m['modelspec.encoder_layer']),
    noiseOffset: num(m.ss_noise_offset),
    minSnrGamma: num(m.ss_min_snr_gamma),
    numTrainImages: num(m.ss_num_train_images),
    repeats,
    baseModel: m.ss_sd_model_name || m.ss_sd_model_hash || m.ss_new_sd_model_hash || m.ss_base_model_version
      ? drop({ name: m.ss_sd_model_name, legacyHash: m.ss_sd_model_hash, sha256: m.ss_new_sd_model_hash, version: m.ss_base_model_version })
      : undefined,
    startedAt: isoFromUnix(m.ss_training_started_at),
    finishedAt: isoFromUnix(m.ss_training_finished_at),
    durationSeconds: started !== undefined && finished !== undefined && finished >= started ? Math.round(finished - started) : undefined,
    comment: m.ss_training_comment === 'None' ? undefined : m.ss_training_comment,
    engineCommit: m.ss_sd_scripts_commit_hash,
    tagFrequency,
    tagFolders,
  });
}

/** The ss_base_model_version sd-scripts writes for an architecture (A1111 filters LoRAs by it). */
export function baseModelVersionFor(arch: DetectedArch): string | undefined {
  return arch === 'sdxl' ? 'sdxl_base_v1-0' : arch === 'sd1' ? 'sd_v1' : arch === 'sd2' ? 'sd_v2' : undefined;
}

/** modelspec.architecture of a LoRA for an architecture (sd-scripts' sai_model_spec.py). */
export function modelspecArchitectureFor(arch: DetectedArch): string | undefined {
  return arch === 'sdxl' ? 'stable-diffusion-xl-v1-base/lora' : arch === 'sd1' ? 'stable-diffusion-v1/lora' : arch === 'sd2' ? 'stable-diffusion-v2-512/lora' : undefined;
}

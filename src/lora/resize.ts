/**
 * Resize: a LoRA to a lower rank, per module, the way sd-scripts' networks/resize_lora.py does
 * (sd-scripts.md 7.5) but with the exact factored SVD (lowrank.ts) instead of a dense SVD of
 * up·down. Alpha keeps the effective scale: new alpha = (old alpha / old rank) x new rank.
 * Metadata is updated as the engine does (ss_training_comment, ss_network_dim/alpha, sshs
 * hashes); modelspec keys are left unchanged. Non-LoRA tensors are copied unchanged.
 */
import type { ProgressListener } from '../core/index.js';
import type { WritableDtype } from './dtypes.js';
import { loraErrors } from './errors.js';
import { formatPythonFloat } from './metadata.js';
import { factorInput, readFactorBytes, requirePlainLora } from './module-io.js';
import type { ResizeJob } from './module-job.js';
import { runModuleJobs, threadsFor } from './module-pool.js';
import { scanModules, type LoraModule } from './modules.js';
import { ENGINE_METHOD, outputDtype, summarise, type DynamicRank, type ModuleRankReport, type RankSummary } from './rank-plan.js';
import type { SafetensorsFile } from './safetensors-read.js';
import { writeSafetensors, type TensorToWrite } from './safetensors-write.js';

export interface ResizeOptions {
  /** Fixed target rank, or the cap for a dynamic rank (default: no cap beyond each module's rank). */
  readonly rank?: number;
  /** Rank for 3x3 conv modules (default: rank). */
  readonly convRank?: number;
  readonly dynamic?: DynamicRank;
  /** Output dtype (default: the input's). */
  readonly dtype?: WritableDtype;
  /** Worker threads for the per-module math (default: one per core; small files use none). */
  readonly threads?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface ResizeResult {
  readonly input: string;
  readonly output: string;
  readonly dtype: WritableDtype;
  readonly sizeBytes: number;
  readonly oldMaxRank: number;
  readonly networkDim: string;
  readonly networkAlpha: string;
  readonly summary: RankSummary;
  readonly modules: readonly ModuleRankReport[];
  readonly metadata: Readonly<Record<string, string>>;
}

export async function resizeLora(input: SafetensorsFile, output: string, options: ResizeOptions): Promise<ResizeResult> {
  if (options.rank === undefined && !options.dynamic) {
    throw loraErrors.create('LORA_BAD_ARGUMENT', 'Resize needs a target: --rank <n> or --dynamic <method:value>.', 'Example: tack lora resize my.safetensors --rank 16 -o small.safetensors');
  }
  const scan = scanModules(input.header.tensors);
  const modules = requirePlainLora(scan, input.file, 'resize');
  const nonKohya = modules.find((m) => m.style !== 'kohya');
  if (nonKohya) {
    throw loraErrors.create('LORA_UNSUPPORTED_NETWORK', `${input.file} uses ${nonKohya.style} key names (e.g. ${nonKohya.name}); tack resizes kohya-format LoRAs, where alpha is stored with each module.`, `Convert it first: tack lora convert ${input.file} --to kohya -o converted.safetensors`, { details: { file: input.file } });
  }
  const dtype = outputDtype(options.dtype, modules);
  const jobs: ResizeJob[] = modules.map((module, index) => {
    const isConv3 = module.conv && module.kernel > 1;
    const factors = factorInput(input, module);
    return { kind: 'resize', index, input: factors, cap: (isConv3 ? (options.convRank ?? options.rank) : options.rank) ?? factors.rank, ...(options.dynamic ? { dynamic: options.dynamic } : {}), dtype };
  });
  const results = await runModuleJobs(jobs, {
    threads: threadsFor(jobs, options.threads),
    ...(options.signal ? { signal: options.signal } : {}),
    onResult: (r, done) => options.onProgress?.({ done, total: jobs.length, item: (modules[r.index] as LoraModule).name }),
    read: (f) => readFactorBytes(input, f),
  });
  const replaced = new Map<string, TensorToWrite>();
  const reports: ModuleRankReport[] = [];
  let oldMaxRank = 0;
  results.forEach((r, index) => {
    const module = modules[index] as LoraModule;
    oldMaxRank = Math.max(oldMaxRank, r.oldRank);
    const downInfo = module.tensors.down!;
    const upInfo = module.tensors.up!;
    const downShape = module.conv ? [r.newRank, ...downInfo.shape.slice(1)] : [r.newRank, downInfo.shape[1] as number];
    const upShape = module.conv ? [upInfo.shape[0] as number, r.newRank, 1, 1] : [upInfo.shape[0] as number, r.newRank];
    replaced.set(downInfo.name, { name: downInfo.name, dtype, shape: downShape, data: r.down });
    replaced.set(upInfo.name, { name: upInfo.name, dtype, shape: upShape, data: r.up });
    const alphaName = module.tensors.alpha?.name ?? `${module.name}.alpha`;
    replaced.set(alphaName, { name: alphaName, dtype, shape: [], data: r.alpha });
    reports.push({ module: module.name, conv: module.conv && module.kernel > 1, oldRank: r.oldRank, newRank: r.newRank, ...(r.oldAlpha === undefined ? {} : { oldAlpha: r.oldAlpha }), newAlpha: r.newAlpha, sumRetained: r.sumRetained, froRetained: r.froRetained, relativeError: r.relativeError, maxRatio: r.maxRatio });
  });
  const tensors: TensorToWrite[] = [...replaced.values()];
  for (const t of input.header.tensors) {
    if (!replaced.has(t.name)) tensors.push({ name: t.name, dtype: t.dtype, shape: t.shape, data: () => input.readBytes(t) });
  }
  const metadata: Record<string, string> = { ...input.header.metadata };
  const comment = metadata.ss_training_comment ?? '';
  const alphas = new Set(reports.map((r) => r.newAlpha));
  let networkDim: string;
  let networkAlpha: string;
  if (!options.dynamic) {
    const rank = options.rank as number;
    const convRank = options.convRank ?? rank;
    metadata.ss_training_comment = `dimension is resized from ${oldMaxRank} to ${rank}${convRank === rank ? '' : ` (conv: ${convRank})`}; ${comment}`;
    networkDim = String(rank);
    networkAlpha = alphas.size === 1 ? formatPythonFloat([...alphas][0] as number) : 'Dynamic';
  } else {
    metadata.ss_training_comment = `Dynamic resize with ${ENGINE_METHOD[options.dynamic.method]}: ${formatPythonFloat(options.dynamic.param)} from ${oldMaxRank}; ${comment}`;
    networkDim = 'Dynamic';
    networkAlpha = 'Dynamic';
  }
  metadata.ss_network_dim = networkDim;
  metadata.ss_network_alpha = networkAlpha;
  const written = await writeSafetensors(output, tensors, { metadata, sshsHashes: true, signal: options.signal });
  return { input: input.file, output, dtype, sizeBytes: written.sizeBytes, oldMaxRank, networkDim, networkAlpha, summary: summarise(reports), modules: reports, metadata: written.metadata };
}

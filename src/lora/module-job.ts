/**
 * The work on one module of a resize or merge, from the bytes of its factors in the file(s) to
 * the bytes of its new factors. Pure and synchronous, and its jobs and results are plain data,
 * so the same function runs on the calling thread (small files) or on worker threads
 * (module-pool.ts) and gives bit-identical results either way.
 */
import { decodeFloatsInto, encodeFloats, encodeFloatsChecked, isDecodable, type Dtype, type WritableDtype } from './dtypes.js';
import { loraErrors } from './errors.js';
import { chooseRank, factorSvd } from './lowrank.js';
import { checkFits } from './module-io.js';
import type { DynamicRank, ModuleRankReport } from './rank-plan.js';

/** Where a tensor's bytes are: absolute offset and length in its file. */
export interface TensorSlice {
  readonly name: string;
  readonly dtype: Dtype;
  readonly offset: number;
  readonly length: number;
}

/** One LoRA module's factors in one input file. */
export interface FactorInput {
  /** The input file (for messages). */
  readonly file: string;
  /** Its open descriptor, for workers (they read with pread; the caller keeps it open). */
  readonly fd?: number;
  readonly module: string;
  readonly down: TensorSlice;
  readonly up: TensorSlice;
  readonly alpha?: TensorSlice;
  readonly rank: number;
  readonly outFeatures: number;
  /** in · kernel², the width of the flattened down weight. */
  readonly inFlat: number;
}

export interface ResizeJob {
  readonly kind: 'resize';
  readonly index: number;
  readonly input: FactorInput;
  /** Fixed rank, or the cap of a dynamic rank. */
  readonly cap: number;
  readonly dynamic?: DynamicRank;
  readonly dtype: WritableDtype;
}

export interface MergeJob {
  readonly kind: 'merge';
  readonly index: number;
  /** The output file and module name (for messages). */
  readonly output: string;
  readonly name: string;
  readonly parts: ReadonlyArray<{ readonly input: FactorInput; readonly weight: number }>;
  /** Re-factor by SVD (to `cap` or a dynamic rank); otherwise concatenate the ranks. */
  readonly svd: boolean;
  readonly cap: number;
  readonly dynamic?: DynamicRank;
  /** Alpha to store (default: the new rank). */
  readonly alpha?: number;
  readonly dtype: WritableDtype;
}

export type ModuleJob = ResizeJob | MergeJob;

export interface FactorBytes {
  readonly down: Uint8Array;
  readonly up: Uint8Array;
  readonly alpha?: Uint8Array;
}

/**
 * The rank figures of one module (oldRank: the sum of the inputs' ranks for a merge; oldAlpha:
 * the alpha stored in the single input, if any) and its new tensors.
 */
export interface ModuleJobResult extends Omit<ModuleRankReport, 'module' | 'conv'> {
  readonly index: number;
  /** Encoded new tensors, in the output dtype. */
  readonly down: Uint8Array;
  readonly up: Uint8Array;
  readonly alpha: Uint8Array;
}

/**
 * Reused work arrays (one set per thread): a resize of an SDXL LoRA decodes ~100 M values,
 * and fresh arrays for each module cost page faults and garbage collection.
 */
const scratch: Float64Array[] = [];

function scratchArray(slot: number, length: number): Float64Array {
  let a = scratch[slot];
  if (!a || a.length < length) scratch[slot] = a = new Float64Array(Math.ceil(length * 1.25));
  return a.subarray(0, length);
}

/** The inputs whose bytes a job needs, in the order runModuleJob expects them. */
export function jobInputs(job: ModuleJob): readonly FactorInput[] {
  return job.kind === 'resize' ? [job.input] : job.parts.map((p) => p.input);
}

/** The number of factor values a job reads: the measure of its work. */
export function jobSize(job: ModuleJob): number {
  return jobInputs(job).reduce((s, i) => s + (i.outFeatures + i.inFlat) * i.rank, 0);
}

function requireDecodable(input: FactorInput, slice: TensorSlice): void {
  if (!isDecodable(slice.dtype)) {
    throw loraErrors.create('LORA_UNSUPPORTED_NETWORK', `${input.file}: tensor "${slice.name}" is ${slice.dtype}; tack computes with F64, F32, F16 and BF16 tensors only.`, 'Convert the file to F16/F32 with the tool that made it, then run again.', { details: { file: input.file, tensor: slice.name, dtype: slice.dtype } });
  }
}

function decodeChecked(input: FactorInput, slice: TensorSlice, bytes: Uint8Array, label: string, out: Float64Array, rows = 0, cols = 0): void {
  requireDecodable(input, slice);
  if (decodeFloatsInto(bytes, slice.dtype, out, rows, cols)) return;
  const bad = out.find((v) => !Number.isFinite(v)) as number;
  throw loraErrors.create('LORA_NON_FINITE', `${input.file}: module ${input.module} has ${Number.isNaN(bad) ? 'NaN' : 'infinite'} values in its ${label} weight.`, 'The training diverged (try a lower learning rate) or the file is damaged; use an earlier epoch.', { details: { file: input.file, module: input.module } });
}

function alphaOf(input: FactorInput, bytes: FactorBytes): { alpha: number | undefined; scale: number } {
  let alpha: number | undefined;
  if (input.alpha && bytes.alpha) {
    const value = new Float64Array(1);
    requireDecodable(input, input.alpha);
    decodeFloatsInto(bytes.alpha, input.alpha.dtype, value);
    alpha = value[0];
  }
  // alpha / rank as sd-scripts applies it (no alpha, or alpha 0, means alpha = rank).
  const scale = alpha === undefined || alpha === 0 || !Number.isFinite(alpha) ? 1 : alpha / input.rank;
  return { alpha, scale };
}

/** Encodes a new factor, refusing values the dtype cannot hold (f16 tops out at 65504). */
function encodeChecked(values: Float64Array, dtype: WritableDtype, file: string, module: string): Uint8Array {
  const { bytes, finite } = encodeFloatsChecked(values, dtype);
  if (finite) return bytes;
  checkFits(values, dtype, file, module);
  throw loraErrors.create('LORA_NON_FINITE', `${file}: module ${module} came out with NaN values.`, 'The input weights are extreme or damaged; check the inputs with tack lora inspect.', { details: { file, module } });
}

/** Runs one job on the bytes of its inputs (jobInputs order). */
export function runModuleJob(job: ModuleJob, bytes: readonly FactorBytes[]): ModuleJobResult {
  return job.kind === 'resize' ? runResize(job, bytes[0] as FactorBytes) : runMerge(job, bytes);
}

function runResize(job: ResizeJob, bytes: FactorBytes): ModuleJobResult {
  const f = job.input;
  const { rank: r, outFeatures: out, inFlat: n } = f;
  const up = scratchArray(0, out * r);
  const downT = scratchArray(1, n * r);
  decodeChecked(f, f.down, bytes.down, 'down', downT, r, n);
  decodeChecked(f, f.up, bytes.up, 'up', up);
  const { alpha, scale } = alphaOf(f, bytes);
  const svd = factorSvd(up, downT, out, n, r, true);
  const choice = chooseRank(svd.s, svd.fullLength, job.cap, job.dynamic);
  const factors = svd.factors(choice.rank, { up: scratchArray(2, out * choice.rank), down: scratchArray(3, choice.rank * n) });
  // sd-scripts' resize: scale = alpha / old rank (1 without alpha); new alpha = scale x new rank.
  const newAlpha = scale * choice.rank;
  return {
    index: job.index,
    oldRank: r,
    newRank: choice.rank,
    ...(alpha === undefined ? {} : { oldAlpha: alpha }),
    newAlpha,
    sumRetained: choice.sumRetained,
    froRetained: choice.froRetained,
    relativeError: choice.relativeError,
    maxRatio: choice.maxRatio,
    down: encodeChecked(factors.down, job.dtype, f.file, f.module),
    up: encodeChecked(factors.up, job.dtype, f.file, f.module),
    alpha: encodeFloats([newAlpha], job.dtype),
  };
}

function runMerge(job: MergeJob, bytes: readonly FactorBytes[]): ModuleJobResult {
  const first = (job.parts[0] as MergeJob['parts'][number]).input;
  const out = first.outFeatures;
  const n = first.inFlat;
  const total = job.parts.reduce((s, p) => s + p.input.rank, 0);
  // Stacked factors, each input's pair scaled by √|wᵢ·scaleᵢ| (the sign goes to up), so that
  // up·down is exactly Σ wᵢ·scaleᵢ·upᵢ·downᵢ. down is kept as downᵀ (n x total) for the SVD
  // and as down (total x n) for an exact concatenation.
  const up = scratchArray(0, out * total);
  const down = scratchArray(1, total * n);
  let offset = 0;
  job.parts.forEach(({ input, weight }, i) => {
    const b = bytes[i] as FactorBytes;
    const r = input.rank;
    const partUp = scratchArray(4, out * r);
    const partDown = scratchArray(5, r * n);
    decodeChecked(input, input.down, b.down, 'down', partDown, job.svd ? r : 0, job.svd ? n : 0);
    decodeChecked(input, input.up, b.up, 'up', partUp);
    const coeff = weight * alphaOf(input, b).scale;
    const mag = Math.sqrt(Math.abs(coeff));
    const signed = coeff < 0 ? -mag : mag;
    // up (out x r) goes to columns offset.. of up (out x total); with the SVD, partDown holds
    // downᵢᵀ (n x r), whose rows go to columns offset.. of downᵀ (n x total).
    placeColumns(partUp, out, r, up, total, offset, signed);
    if (job.svd) placeColumns(partDown, n, r, down, total, offset, mag);
    else placeColumns(partDown, 1, r * n, down, r * n, 0, mag, offset * n);
    offset += r;
  });
  let newUp: Float64Array = up;
  let newDown: Float64Array = down;
  let rank = total;
  let stats = { sumRetained: 1, froRetained: 1, relativeError: 0, maxRatio: NaN };
  if (job.svd) {
    const svd = factorSvd(up, down, out, n, total, true);
    const choice = chooseRank(svd.s, svd.fullLength, job.cap, job.dynamic);
    ({ up: newUp, down: newDown } = svd.factors(choice.rank, { up: scratchArray(2, out * choice.rank), down: scratchArray(3, choice.rank * n) }));
    rank = choice.rank;
    stats = choice;
  }
  const alpha = job.alpha ?? rank;
  if (alpha !== rank) for (let i = 0; i < newUp.length; i++) newUp[i] = (newUp[i] as number) * (rank / alpha);
  return {
    index: job.index,
    oldRank: total,
    newRank: rank,
    newAlpha: alpha,
    sumRetained: stats.sumRetained,
    froRetained: stats.froRetained,
    relativeError: stats.relativeError,
    maxRatio: stats.maxRatio,
    down: encodeChecked(newDown, job.dtype, job.output, job.name),
    up: encodeChecked(newUp, job.dtype, job.output, job.name),
    alpha: encodeFloats([alpha], job.dtype),
  };
}

/** dst[row·width + offset + t] = scale · src[row·cols + t] (+ `base` on the destination index). */
function placeColumns(src: Float64Array, rows: number, cols: number, dst: Float64Array, width: number, offset: number, scale: number, base = 0): void {
  for (let row = 0; row < rows; row = (row + 1) | 0) {
    const from = (row * cols) | 0;
    const to = (base + row * width + offset) | 0;
    for (let t = 0; t < cols; t = (t + 1) | 0) dst[(to + t) | 0] = scale * (src[(from + t) | 0] as number);
  }
}

/** Shared by resize and merge: output dtype choice and the per-module report. */
import type { Dtype, WritableDtype } from './dtypes.js';
import { loraErrors } from './errors.js';
import type { DynamicMethod } from './lowrank.js';
import type { LoraModule } from './modules.js';

export interface DynamicRank {
  readonly method: DynamicMethod;
  readonly param: number;
}

/** The engine's names for the dynamic methods (resize_lora.py --dynamic_method). */
export const ENGINE_METHOD: Readonly<Record<DynamicMethod, string>> = { ratio: 'sv_ratio', fro: 'sv_fro', cumulative: 'sv_cumulative' };

/** Parses "fro:0.95", "sv_ratio:2", "cumulative:0.9". */
export function parseDynamicRank(text: string): DynamicRank {
  const m = /^(?:sv_)?(ratio|fro|cumulative):([0-9]*\.?[0-9]+(?:e-?\d+)?)$/i.exec(text.trim());
  const param = m ? Number(m[2]) : NaN;
  const method = m?.[1]?.toLowerCase() as DynamicMethod | undefined;
  const ok = method && Number.isFinite(param) && param > 0 && (method === 'ratio' ? param >= 1 : param <= 1);
  if (!ok) {
    throw loraErrors.create('LORA_BAD_ARGUMENT', `--dynamic "${text}" is not a method:value pair tack knows.`, 'Use fro:<0..1> (share of the Frobenius norm kept, e.g. fro:0.95), cumulative:<0..1> (share of the sum of singular values) or ratio:<>=1> (keep values within that factor of the largest, e.g. ratio:8).', { details: { value: text } });
  }
  return { method: method as DynamicMethod, param };
}

export interface ModuleRankReport {
  readonly module: string;
  readonly conv: boolean;
  readonly oldRank: number;
  readonly newRank: number;
  readonly oldAlpha?: number;
  readonly newAlpha: number;
  readonly sumRetained: number;
  readonly froRetained: number;
  readonly relativeError: number;
  readonly maxRatio: number;
}

export interface RankSummary {
  readonly modules: number;
  readonly averageFroRetained: number;
  readonly stdFroRetained: number;
  readonly worstFroRetained: number;
  readonly minRank: number;
  readonly maxRank: number;
}

export function summarise(reports: readonly ModuleRankReport[]): RankSummary {
  const fro = reports.map((r) => r.froRetained).filter(Number.isFinite);
  const mean = fro.reduce((a, b) => a + b, 0) / Math.max(1, fro.length);
  const variance = fro.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, fro.length);
  return {
    modules: reports.length,
    averageFroRetained: mean,
    stdFroRetained: Math.sqrt(variance),
    worstFroRetained: fro.length ? Math.min(...fro) : 1,
    minRank: reports.length ? Math.min(...reports.map((r) => r.newRank)) : 0,
    maxRank: reports.length ? Math.max(...reports.map((r) => r.newRank)) : 0,
  };
}

/** The dtype to write: the one asked for, else the dtype of the inputs' weights. */
export function outputDtype(requested: WritableDtype | undefined, modules: readonly LoraModule[]): WritableDtype {
  if (requested) return requested;
  const dtypes = new Set<Dtype>(modules.flatMap((m) => [m.tensors.down?.dtype, m.tensors.up?.dtype]).filter((d): d is Dtype => d !== undefined));
  for (const d of ['F32', 'BF16', 'F16'] as const) if (dtypes.has(d)) return dtypes.size === 1 || d === 'F32' ? d : 'F32';
  return 'F32';
}

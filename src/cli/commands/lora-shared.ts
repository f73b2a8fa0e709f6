/** Helpers shared by the `tack lora ...` commands. */
import { realpathSync, existsSync } from 'node:fs';
import path from 'node:path';
import { formatBytes, formatPercent } from '../../core/index.js';
import { loraErrors, openSafetensors, type ModuleRankReport, type SafetensorsFile, type WritableDtype } from '../../lora/index.js';
import { choiceOption, numberOption, requireOption, type CommandContext, type OptionSpec, type OptionValues } from '../command.js';
import { formatTable } from '../render.js';

export const OUTPUT_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  output: { type: 'string', short: 'o', value: '<file>', description: 'Where to write the new .safetensors file (required; never one of the inputs).' },
  force: { type: 'boolean', description: 'Replace the output file if it already exists.' },
};

export const DTYPE_OPTION: Readonly<Record<string, OptionSpec>> = {
  dtype: { type: 'string', value: '<f16|bf16|f32>', description: 'Data type of the written weights (default: the input\'s).' },
};

export const THREADS_OPTION: Readonly<Record<string, OptionSpec>> = {
  threads: { type: 'string', value: '<n>', description: 'Worker threads for the math (default: one per CPU core; 1 = no workers).' },
};

export function threadsOption(values: OptionValues): number | undefined {
  return numberOption(values, 'threads', { integer: true, min: 1, max: 256 });
}

export function dtypeOption(values: OptionValues): WritableDtype | undefined {
  const d = choiceOption(values, 'dtype', ['f16', 'bf16', 'f32', 'fp16', 'float'] as const);
  if (d === undefined) return undefined;
  return d === 'f16' || d === 'fp16' ? 'F16' : d === 'bf16' ? 'BF16' : 'F32';
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

/** The resolved output path, refusing to overwrite inputs (always) or other files (without --force). */
export function outputPath(ctx: CommandContext, values: OptionValues, inputs: readonly string[], example: string): string {
  const out = path.resolve(ctx.cwd, requireOption(values, 'output', example));
  for (const input of inputs) {
    if (sameFile(input, out)) {
      throw loraErrors.create('LORA_OUTPUT_IS_INPUT', `The output ${out} is the input file ${input}; tack never modifies its inputs.`, 'Choose another name with -o, e.g. add "-small" to the file name.', { details: { file: out } });
    }
  }
  if (existsSync(out) && !values.force) {
    throw loraErrors.create('LORA_OUTPUT_EXISTS', `${out} already exists.`, 'Choose another name with -o, or add --force to replace it.', { details: { file: out } });
  }
  return out;
}

export async function openInput(ctx: CommandContext, file: string): Promise<SafetensorsFile> {
  return openSafetensors(path.resolve(ctx.cwd, file));
}

export async function withInputs<T>(ctx: CommandContext, files: readonly string[], fn: (opened: SafetensorsFile[]) => Promise<T>): Promise<T> {
  const opened: SafetensorsFile[] = [];
  try {
    for (const f of files) opened.push(await openInput(ctx, f));
    return await fn(opened);
  } finally {
    for (const st of opened) await st.close().catch(() => undefined);
  }
}

export function displayPath(ctx: CommandContext, file: string): string {
  const rel = path.relative(ctx.cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

export function sizeText(bytes: number): string {
  return formatBytes(bytes);
}

/** The worst modules (lowest share of the norm kept), or all with `all`. */
export function formatModuleTable(reports: readonly ModuleRankReport[], all: boolean, limit = 10): string {
  const rows = [...reports].sort((a, b) => a.froRetained - b.froRetained).slice(0, all ? reports.length : limit);
  return formatTable(
    ['module', 'rank', 'alpha', 'norm kept', 'sum(S) kept', 'rel. error'],
    rows.map((r) => [r.module, `${r.oldRank} -> ${r.newRank}`, `${r.oldAlpha ?? '-'} -> ${Number(r.newAlpha.toPrecision(6))}`, formatPercent(r.froRetained, 1), formatPercent(r.sumRetained, 1), r.relativeError.toFixed(4)]),
  );
}

import { formatPercent } from '../../core/index.js';
import { loraErrors, mergeLoras, parseDynamicRank } from '../../lora/index.js';
import { numberOption, stringOption, type CommandSpec } from '../command.js';
import { displayPath, DTYPE_OPTION, dtypeOption, formatModuleTable, OUTPUT_OPTIONS, outputPath, sizeText, THREADS_OPTION, threadsOption, withInputs } from './lora-shared.js';

/** "a.safetensors:0.7" -> file and weight; a suffix that is not a number stays part of the path. */
export function parseWeightedPath(arg: string): { file: string; weight: number } {
  const m = /^(.*):([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)$/i.exec(arg);
  if (m && m[1] !== '') {
    const weight = Number(m[2]);
    if (!Number.isFinite(weight)) throw loraErrors.create('LORA_BAD_ARGUMENT', `The weight in "${arg}" is not a number.`, 'Write file:weight, e.g. a.safetensors:0.7');
    return { file: m[1] as string, weight };
  }
  return { file: arg, weight: 1 };
}

export const loraMergeCommand: CommandSpec = {
  name: 'lora merge',
  summary: 'Merge LoRAs of the same architecture with weights, exactly or to a target rank',
  usage: 'lora merge <a.safetensors[:w]> <b.safetensors[:w]>... -o <out.safetensors> [--rank <n> | --dynamic <method:value>] [--alpha <a>] [--dtype ...] [--threads <n>] [--force] [--json]',
  details: `Adds the LoRAs' weight updates, each times its weight (default 1):
  without --rank: exact, the ranks are concatenated (the result's rank is their sum);
  with --rank/--dynamic: re-factored by SVD to the best approximation at that rank.
LoRAs for different base architectures or with different module shapes are refused.
Examples:
  tack lora merge face.safetensors:0.7 style.safetensors:0.4 -o merged.safetensors
  tack lora merge a.safetensors b.safetensors:0.5 --rank 32 -o merged-r32.safetensors`,
  positionals: [{ name: 'files', required: true, variadic: true, description: 'Two or more LoRAs, each optionally followed by :weight.' }],
  options: {
    rank: { type: 'string', value: '<n>', description: 'Re-factor to this rank by SVD (default: exact concatenation).' },
    'conv-rank': { type: 'string', value: '<n>', description: 'Rank of 3x3 conv modules when re-factoring (default: --rank).' },
    dynamic: { type: 'string', value: '<method:value>', description: 'Per-module rank by SVD: fro:<0-1>, cumulative:<0-1> or ratio:<>=1>.' },
    alpha: { type: 'string', value: '<a>', description: 'Alpha stored in the result (default: each module\'s rank, i.e. scale 1).' },
    verbose: { type: 'boolean', short: 'v', description: 'List every module.' },
    ...OUTPUT_OPTIONS,
    ...DTYPE_OPTION,
    ...THREADS_OPTION,
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const specs = positionals.map(parseWeightedPath);
    if (specs.length < 2) throw loraErrors.create('LORA_BAD_ARGUMENT', `tack lora merge needs at least two LoRAs; got ${specs.length}.`, 'Example: tack lora merge a.safetensors:0.7 b.safetensors:0.4 -o merged.safetensors');
    const rank = numberOption(values, 'rank', { integer: true, min: 1, max: 4096 });
    const convRank = numberOption(values, 'conv-rank', { integer: true, min: 1, max: 4096 });
    const alpha = numberOption(values, 'alpha', { min: 0.0001 });
    const dynamicText = stringOption(values, 'dynamic');
    const dynamic = dynamicText === undefined ? undefined : parseDynamicRank(dynamicText);
    const threads = threadsOption(values);
    await withInputs(ctx, specs.map((s) => s.file), async (files) => {
      const output = outputPath(ctx, values, files.map((f) => f.file), 'tack lora merge a.safetensors:0.7 b.safetensors:0.4 -o merged.safetensors');
      const bar = ctx.progress('Merging');
      const dtype = dtypeOption(values);
      const result = await mergeLoras(
        files.map((file, i) => ({ file, weight: specs[i]!.weight })),
        output,
        { ...(rank === undefined ? {} : { rank }), ...(convRank === undefined ? {} : { convRank }), ...(dynamic ? { dynamic } : {}), ...(alpha === undefined ? {} : { alpha }), ...(dtype ? { dtype } : {}), ...(threads === undefined ? {} : { threads }), signal: ctx.signal, onProgress: bar },
      );
      bar.finish();
      if (ctx.json) {
        ctx.printJson({ kind: 'lora merge', ...result });
        return;
      }
      const s = result.summary;
      ctx.print(`Wrote ${displayPath(ctx, result.output)} (${result.dtype}, ${sizeText(result.sizeBytes)}): ${result.arch.toUpperCase()} ${result.method === 'concat' ? 'exact merge' : 'SVD merge'} of`);
      for (const i of result.inputs) ctx.print(`  ${displayPath(ctx, i.file)} x ${i.weight} (${i.modules} modules)`);
      ctx.print(`  ${s.modules} modules, rank ${s.minRank === s.maxRank ? s.minRank : `${s.minRank}-${s.maxRank}`}${result.method === 'svd' ? `; Frobenius norm kept: mean ${formatPercent(s.averageFroRetained, 1)}, worst ${formatPercent(s.worstFroRetained, 1)}` : ''}`);
      if (result.method === 'svd') {
        ctx.print();
        ctx.print(formatModuleTable(result.modules, Boolean(values.verbose)));
      }
    });
  },
};

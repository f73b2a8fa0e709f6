import { formatPercent } from '../../core/index.js';
import { loraErrors, parseDynamicRank, resizeLora } from '../../lora/index.js';
import { numberOption, stringOption, type CommandSpec } from '../command.js';
import { displayPath, DTYPE_OPTION, dtypeOption, formatModuleTable, openInput, OUTPUT_OPTIONS, outputPath, sizeText, THREADS_OPTION, threadsOption } from './lora-shared.js';

export const loraResizeCommand: CommandSpec = {
  name: 'lora resize',
  summary: 'Reduce a LoRA to a lower rank (fixed or dynamic), keeping its strength',
  usage: 'lora resize <file.safetensors> (--rank <n> | --dynamic <method:value>) -o <out.safetensors> [--conv-rank <n>] [--dtype f16|bf16|f32] [--threads <n>] [--verbose] [--force] [--json]',
  details: `Each module's update up·down is re-factored by an exact SVD to the new rank; alpha is
scaled so the strength stays the same (new alpha = old alpha / old rank x new rank), as
sd-scripts' resize_lora.py does. --dynamic picks each module's rank from its singular values:
  fro:0.95        keep 95% of the Frobenius norm
  cumulative:0.9  keep 90% of the sum of singular values
  ratio:8         keep values within 1/8 of the largest
With --dynamic, --rank caps the rank (default: no cap). Examples:
  tack lora resize my.safetensors --rank 16 -o my-r16.safetensors
  tack lora resize my.safetensors --dynamic fro:0.95 --rank 32 -o my-dyn.safetensors`,
  positionals: [{ name: 'file', required: true, description: 'The LoRA to resize (kohya format).' }],
  options: {
    rank: { type: 'string', value: '<n>', description: 'New rank (the cap with --dynamic).' },
    'conv-rank': { type: 'string', value: '<n>', description: 'New rank of 3x3 conv (LoCon) modules (default: --rank).' },
    dynamic: { type: 'string', value: '<method:value>', description: 'Per-module rank: fro:<0-1>, cumulative:<0-1> or ratio:<>=1>.' },
    verbose: { type: 'boolean', short: 'v', description: 'List every module, not just the 10 that lost the most.' },
    ...OUTPUT_OPTIONS,
    ...DTYPE_OPTION,
    ...THREADS_OPTION,
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const rank = numberOption(values, 'rank', { integer: true, min: 1, max: 4096 });
    const convRank = numberOption(values, 'conv-rank', { integer: true, min: 1, max: 4096 });
    const dynamicText = stringOption(values, 'dynamic');
    const dynamic = dynamicText === undefined ? undefined : parseDynamicRank(dynamicText);
    const threads = threadsOption(values);
    if (rank === undefined && !dynamic) {
      throw loraErrors.create('LORA_BAD_ARGUMENT', 'tack lora resize needs --rank <n> or --dynamic <method:value>.', 'Example: tack lora resize my.safetensors --rank 16 -o my-r16.safetensors');
    }
    const st = await openInput(ctx, positionals[0] as string);
    try {
      const output = outputPath(ctx, values, [st.file], 'tack lora resize my.safetensors --rank 16 -o my-r16.safetensors');
      const bar = ctx.progress('Resizing');
      const result = await resizeLora(st, output, { ...(rank === undefined ? {} : { rank }), ...(convRank === undefined ? {} : { convRank }), ...(dynamic ? { dynamic } : {}), ...(dtypeOption(values) ? { dtype: dtypeOption(values) } : {}), ...(threads === undefined ? {} : { threads }), signal: ctx.signal, onProgress: bar });
      bar.finish();
      if (ctx.json) {
        ctx.printJson({ kind: 'lora resize', ...result });
        return;
      }
      const s = result.summary;
      ctx.print(`Wrote ${displayPath(ctx, result.output)} (${result.dtype}, ${sizeText(result.sizeBytes)}) from ${displayPath(ctx, result.input)} (${sizeText(st.sizeBytes)})`);
      ctx.print(`  ${s.modules} modules: rank ${result.oldMaxRank} -> ${s.minRank === s.maxRank ? s.minRank : `${s.minRank}-${s.maxRank}`}; ss_network_dim ${result.networkDim}, ss_network_alpha ${result.networkAlpha}`);
      ctx.print(`  Frobenius norm kept: mean ${formatPercent(s.averageFroRetained, 1)} (std ${s.stdFroRetained.toFixed(3)}), worst ${formatPercent(s.worstFroRetained, 1)}`);
      ctx.print();
      ctx.print(values.verbose ? 'Every module:' : 'Modules that lost the most:');
      ctx.print(formatModuleTable(result.modules, Boolean(values.verbose)));
    } finally {
      await st.close();
    }
  },
};

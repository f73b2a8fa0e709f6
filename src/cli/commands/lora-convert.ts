import { convertLora } from '../../lora/index.js';
import { choiceOption, requireOption, type CommandSpec } from '../command.js';
import { displayPath, openInput, OUTPUT_OPTIONS, outputPath, sizeText } from './lora-shared.js';

export const loraConvertCommand: CommandSpec = {
  name: 'lora convert',
  summary: 'Rename a LoRA\'s keys between kohya, diffusers and PEFT naming (weights unchanged)',
  usage: 'lora convert <file.safetensors> --to kohya|diffusers|peft -o <out.safetensors> [--fold-alpha] [--force] [--json]',
  details: `kohya is what sd-scripts writes and what ComfyUI, A1111 and Forge load; diffusers and
peft are what diffusers' load_lora_weights reads. Weights are copied bit for bit; alphas go
into the lora_adapter_metadata diffusers reads. Converting there and back gives the same file.
--fold-alpha multiplies up by alpha/rank instead, for loaders that ignore alpha metadata.
Examples:
  tack lora convert diffusers-lora.safetensors --to kohya -o for-comfyui.safetensors
  tack lora convert my.safetensors --to peft -o pytorch_lora_weights.safetensors`,
  positionals: [{ name: 'file', required: true, description: 'The LoRA to convert.' }],
  options: {
    to: { type: 'string', value: '<kohya|diffusers|peft>', description: 'Target key naming.' },
    'fold-alpha': { type: 'boolean', description: 'diffusers/peft only: scale up by alpha/rank so the strength is right without alpha metadata.' },
    ...OUTPUT_OPTIONS,
  },
  json: true,
  async run(ctx, { values, positionals }) {
    requireOption(values, 'to', 'tack lora convert my.safetensors --to kohya -o out.safetensors');
    const to = choiceOption(values, 'to', ['kohya', 'diffusers', 'peft'] as const) as 'kohya' | 'diffusers' | 'peft';
    const st = await openInput(ctx, positionals[0] as string);
    try {
      const output = outputPath(ctx, values, [st.file], 'tack lora convert my.safetensors --to kohya -o out.safetensors');
      const result = await convertLora(st, output, { to, foldAlpha: Boolean(values['fold-alpha']), signal: ctx.signal });
      if (ctx.json) {
        ctx.printJson({ kind: 'lora convert', ...result });
        return;
      }
      ctx.print(`Wrote ${displayPath(ctx, result.output)} (${sizeText(result.sizeBytes)}): ${result.modules} ${result.arch.toUpperCase()} modules, ${result.from} -> ${result.to} keys${result.foldedAlpha ? ', alpha folded into the weights' : ''}`);
    } finally {
      await st.close();
    }
  },
};

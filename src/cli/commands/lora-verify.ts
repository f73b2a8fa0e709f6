import { verifyAgainstBase } from '../../lora/index.js';
import { requireOption, type CommandSpec } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatTable, printFindings } from '../render.js';
import { displayPath, withInputs } from './lora-shared.js';

export const loraVerifyCommand: CommandSpec = {
  name: 'lora verify',
  summary: 'Check that every module of a LoRA fits a base model (reads the base model\'s header only)',
  usage: 'lora verify <lora.safetensors> --base <model.safetensors> [--json]',
  details: `Maps each LoRA module to the base model weight it changes and compares shapes. Only
the base file's header is read, so a multi-GB checkpoint is checked in a moment. Exits with
code 3 when modules do not fit. Example:
  tack lora verify my.safetensors --base ponyDiffusionV6XL.safetensors`,
  positionals: [{ name: 'lora', required: true, description: 'The LoRA to check.' }],
  options: {
    base: { type: 'string', value: '<model.safetensors>', description: 'The base checkpoint (or a diffusers unet/text encoder file).' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const base = requireOption(values, 'base', 'tack lora verify my.safetensors --base sdxl.safetensors');
    return withInputs(ctx, [positionals[0] as string, base], async ([lora, model]) => {
      const result = verifyAgainstBase(lora!, model!);
      if (ctx.json) {
        ctx.printJson({ kind: 'lora verify', ...result });
      } else {
        ctx.print(`${displayPath(ctx, result.lora)} against ${displayPath(ctx, result.base)} (${result.baseFormat}):`);
        ctx.print(`  ${result.matched} of ${result.checked} modules fit${result.notCovered ? `; ${result.notCovered} not in this file` : ''}${result.ok ? ' - OK' : ''}`);
        if (result.problems.length) {
          ctx.print();
          ctx.print(formatTable(['module', 'base weight', 'LoRA needs', 'base has'], result.problems.slice(0, 20).map((p) => [p.module, p.baseKey, p.expected, p.found])));
          if (result.problems.length > 20) ctx.print(`  ... and ${result.problems.length - 20} more (--json lists all)`);
        }
        if (result.findings.length) {
          ctx.print();
          printFindings(ctx, result.findings);
        }
      }
      return result.ok ? EXIT_CODES.ok : EXIT_CODES.input;
    });
  },
};

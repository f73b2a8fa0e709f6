import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileReadError } from '../../core/index.js';
import { readGenerationSettings } from '../../prompt/index.js';
import type { CommandSpec } from '../command.js';

export const infotextCommand: CommandSpec = {
  name: 'infotext',
  summary: 'Read the generation settings stored in an A1111/Forge, ComfyUI, sd-scripts or tack PNG',
  usage: 'infotext <image.png> [--raw] [--json]',
  details: `Prints the prompt, negative prompt, steps, sampler, CFG, seed, size, clip skip, model,
LoRA tags (with hashes) and ADetailer settings stored in a PNG. A1111/Forge and tack store
them as "parameters" text, ComfyUI as its workflow, sd-scripts' generation script as
separate fields. Examples:
  tack infotext 00012-3281991511.png
  tack infotext runs/20260301-120000/output/sample/my-lora_e000004_00_20260301130000_3281991511.png --json`,
  positionals: [{ name: 'image', required: true, description: 'A PNG image.' }],
  options: {
    raw: { type: 'boolean', description: 'Also print every text chunk as stored.' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const file = path.resolve(ctx.cwd, positionals[0] as string);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (cause) {
      throw fileReadError(file, cause);
    }
    const result = readGenerationSettings(bytes, file);
    if (ctx.json) {
      ctx.printJson({ kind: 'infotext', file, source: result.source, settings: result.settings, chunks: result.chunks });
      return;
    }
    const s = result.settings;
    const source = { a1111: 'A1111/Forge infotext', comfyui: 'ComfyUI workflow', 'sd-scripts': 'sd-scripts generation script' }[result.source];
    ctx.print(`${path.basename(file)}: ${source}`);
    ctx.print();
    ctx.print(`Prompt:   ${s.prompt}`);
    if (s.negativePrompt) ctx.print(`Negative: ${s.negativePrompt}`);
    const rows: Array<[string, unknown]> = [
      ['Steps', s.steps],
      ['Sampler', s.sampler ? `${s.sampler}${s.scheduleType ? ` (${s.scheduleType})` : ''}` : undefined],
      ['CFG scale', s.cfgScale],
      ['Seed', s.seed],
      ['Size', s.width && s.height ? `${s.width}x${s.height}` : undefined],
      ['Clip skip', s.clipSkip],
      ['Model', s.model ? `${s.model}${s.modelHash ? ` [${s.modelHash}]` : ''}` : s.modelHash],
      ['Denoising', s.denoisingStrength],
      ['Version', s.version],
    ];
    ctx.print();
    for (const [k, v] of rows) if (v !== undefined && v !== '') ctx.print(`${k.padEnd(10)}${String(v)}`);
    for (const l of s.loras) ctx.print(`${'LoRA'.padEnd(10)}${l.name} at ${l.weight}${'hash' in l && l.hash ? ` [${String(l.hash)}]` : ''}`);
    if (s.adetailer) ctx.print(`${'ADetailer'.padEnd(10)}${Object.entries(s.adetailer.raw).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
    const known = new Set(['Steps', 'Sampler', 'Schedule type', 'CFG scale', 'Seed', 'Size', 'Clip skip', 'Model', 'Model hash', 'Denoising strength', 'Version', 'Lora hashes']);
    const other = Object.entries(s.params).filter(([k]) => !known.has(k) && !k.startsWith('ADetailer '));
    if (other.length) ctx.print(`${'Other'.padEnd(10)}${other.map(([k, v]) => `${k}: ${v}`).join(', ')}`);
    if (values.raw) {
      ctx.print();
      for (const [k, v] of Object.entries(result.chunks)) ctx.print(`[${k}]\n${v}\n`);
    }
  },
};

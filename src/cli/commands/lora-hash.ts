import { computeLoraHashes } from '../../lora/index.js';
import type { CommandSpec } from '../command.js';
import { displayPath, withInputs } from './lora-shared.js';

export const loraHashCommand: CommandSpec = {
  name: 'lora hash',
  summary: 'Print the hashes A1111, Civitai and sd-scripts use to identify a LoRA',
  usage: 'lora hash <file.safetensors>... [--json]',
  details: `For each file: sha256 and Civitai's AutoV2 (first 10 digits), AutoV3 (sha256 of the
weights after the header, = sd-scripts' sshs_model_hash), the LoRA hash A1111 writes into
image infotext (12 digits), AutoV1, CRC32, and whether the sshs hashes stored in the metadata
match the weights. Example:
  tack lora hash my.safetensors`,
  positionals: [{ name: 'files', required: true, variadic: true, description: 'One or more .safetensors files.' }],
  json: true,
  async run(ctx, { positionals }) {
    await withInputs(ctx, positionals, async (files) => {
      const results = [];
      for (const st of files) results.push({ file: st.file, ...(await computeLoraHashes(st, ctx.signal)) });
      if (ctx.json) {
        ctx.printJson({ kind: 'lora hash', files: results });
        return;
      }
      for (const h of results) {
        ctx.print(displayPath(ctx, h.file));
        ctx.print(`  sha256           ${h.sha256}`);
        ctx.print(`  AutoV2           ${h.autoV2}`);
        ctx.print(`  AutoV3           ${h.autoV3}`);
        ctx.print(`  A1111 Lora hash  ${h.a1111}`);
        ctx.print(`  AutoV1           ${h.autoV1}`);
        ctx.print(`  CRC32            ${h.crc32}`);
        const m = h.sshsModelHash;
        ctx.print(`  sshs_model_hash  ${m.stored === undefined ? 'not stored' : m.matches ? 'matches the weights' : `STALE: stored ${m.stored}`}`);
        const l = h.sshsLegacyHash;
        ctx.print(`  sshs_legacy_hash ${l.stored === undefined ? `not stored (would be ${l.computed})` : l.matches ? `${l.computed}, matches` : `STALE: stored ${l.stored}, weights give ${l.computed}`}`);
      }
    });
  },
};

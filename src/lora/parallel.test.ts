/**
 * Resize and merge on worker threads: the same file as on one thread, the same error, and a
 * clean stop when cancelled. Small files, with workers forced by `threads: 2`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { TackError } from '../core/index.js';
import { encodeFloats, mergeLoras, resizeLora, syntheticLoraMetadata, syntheticLoraTensors, withSafetensors, writeSafetensors, type LayoutModule, type SafetensorsFile, type SyntheticLoraOptions } from './index.js';

// Attention, MLP and a 3x3 LoCon conv module of SDXL, real names and shapes.
const few = (m: LayoutModule) => /layers_0_(self_attn_q_proj|mlp_fc2)$/.test(m.kohya) || /input_blocks_4_1_(proj_in|transformer_blocks_0_attn2_to_k)$/.test(m.kohya) || m.kohya === 'lora_unet_input_blocks_1_0_in_layers_2';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-lora-par-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function makeLora(file: string, seed: number): Promise<void> {
  const o: SyntheticLoraOptions = { arch: 'sdxl', rank: 8, alpha: 4, dtype: 'F16', seed, locon: true, filter: few };
  await writeSafetensors(file, syntheticLoraTensors(o), { metadata: syntheticLoraMetadata(o), sshsHashes: true });
}

/** Header entries, metadata and data section of a file, without the merge date (it names the second). */
async function content(st: SafetensorsFile) {
  const { 'modelspec.date': _date, ...metadata } = st.header.metadata;
  return { tensors: st.header.tensors, metadata: { ...metadata }, data: (await readFile(st.file)).subarray(st.header.dataOffset) };
}

test('resize and merge on worker threads write the same file as on one thread', async () => {
  await withDir(async (dir) => {
    const a = path.join(dir, 'a.safetensors');
    const b = path.join(dir, 'b.safetensors');
    await makeLora(a, 1);
    await makeLora(b, 2);
    await withSafetensors(a, async (sa) => {
      for (const [label, options] of [['fixed', { rank: 4 }], ['dynamic', { dynamic: { method: 'fro' as const, param: 0.9 }, rank: 6 }]] as const) {
        const one = path.join(dir, `${label}-1.safetensors`);
        const two = path.join(dir, `${label}-2.safetensors`);
        const r1 = await resizeLora(sa, one, { ...options, threads: 1 });
        const r2 = await resizeLora(sa, two, { ...options, threads: 2 });
        assert.ok((await readFile(one)).equals(await readFile(two)), `${label} resize: threaded output differs`);
        assert.deepEqual(r2.modules, r1.modules, `${label} resize: per-module report differs`);
      }
      await withSafetensors(b, async (sb) => {
        for (const rank of [undefined, 6]) {
          // Same file name in two folders: the name is the merged file's modelspec.title.
          const one = path.join(dir, 'one', `m${rank ?? 'concat'}.safetensors`);
          const two = path.join(dir, 'two', `m${rank ?? 'concat'}.safetensors`);
          const inputs = [{ file: sa, weight: 0.7 }, { file: sb, weight: -0.4 }];
          await mergeLoras(inputs, one, { ...(rank ? { rank } : {}), threads: 1 });
          await mergeLoras(inputs, two, { ...(rank ? { rank } : {}), threads: 2 });
          await withSafetensors(one, (x) => withSafetensors(two, async (y) => assert.deepEqual(await content(y), await content(x), `merge ${rank ?? 'concat'}: threaded output differs`)));
        }
      });
    });
  });
});

test('a damaged module on a worker thread fails the run naming the first damaged module, and writes nothing', async () => {
  await withDir(async (dir) => {
    const file = path.join(dir, 'nan.safetensors');
    const module = (name: string, bad: boolean) => [
      { name: `${name}.lora_down.weight`, dtype: 'F16' as const, shape: [2, 64], data: encodeFloats(Array.from({ length: 128 }, (_, i) => (bad && i === 77 ? Infinity : Math.sin(i))), 'F16') },
      { name: `${name}.lora_up.weight`, dtype: 'F16' as const, shape: [64, 2], data: encodeFloats(Array.from({ length: 128 }, (_, i) => Math.cos(i)), 'F16') },
    ];
    await writeSafetensors(file, [...module('lora_unet_a', false), ...module('lora_unet_b', true), ...module('lora_unet_c', true), ...module('lora_unet_d', false)]);
    await withSafetensors(file, async (st) => {
      const output = path.join(dir, 'out.safetensors');
      await assert.rejects(resizeLora(st, output, { rank: 1, threads: 2 }), (e: unknown) => e instanceof TackError && e.code === 'LORA_NON_FINITE' && /lora_unet_b/.test(e.message) && /infinite/.test(e.message));
    });
    assert.deepEqual((await readdir(dir)).sort(), ['nan.safetensors']);
  });
});

test('cancelling a threaded resize stops it with CORE_CANCELLED and leaves no file', async () => {
  await withDir(async (dir) => {
    const file = path.join(dir, 'a.safetensors');
    await makeLora(file, 3);
    await withSafetensors(file, async (st) => {
      const controller = new AbortController();
      const output = path.join(dir, 'out.safetensors');
      await assert.rejects(resizeLora(st, output, { rank: 4, threads: 2, signal: controller.signal, onProgress: () => controller.abort() }), (e: unknown) => e instanceof TackError && e.code === 'CORE_CANCELLED');
    });
    assert.deepEqual(await readdir(dir), ['a.safetensors']);
  });
});

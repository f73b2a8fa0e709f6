import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { TackError } from '../core/index.js';
import {
  convertLora, decodeFloats, detectArchitecture, encodeFloats, seededRandom, inspectLora, mergeLoras, openSafetensors, resizeLora, scanModules, syntheticBaseTensors, syntheticLoraMetadata,
  syntheticLoraTensors, syntheticModules, verifyAgainstBase, withSafetensors, writeSafetensors, type LayoutModule, type SafetensorsFile, type SyntheticLoraOptions,
} from './index.js';

const FIXTURES = path.resolve(import.meta.dirname, '..', '..', 'test', 'fixtures', 'sd-scripts');
const created: string[] = [];
const tmp = async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-lora-'));
  created.push(dir);
  return dir;
};
after(() => Promise.all(created.map((dir) => rm(dir, { recursive: true, force: true }))));

// A small SDXL subset: one attention block of each text encoder and a few U-Net modules, plus one LoCon conv.
const small = (m: LayoutModule) =>
  /layers_0_(self_attn_q_proj|mlp_fc2)$/.test(m.kohya) || /input_blocks_4_1_(proj_in|transformer_blocks_0_attn2_to_k)$/.test(m.kohya) || m.kohya === 'lora_unet_input_blocks_1_0_in_layers_2';

async function makeLora(dir: string, name: string, options: Partial<SyntheticLoraOptions> = {}): Promise<string> {
  const o: SyntheticLoraOptions = { arch: 'sdxl', rank: 8, alpha: 4, dtype: 'F32', seed: 1, locon: true, filter: small, ...options };
  const file = path.join(dir, name);
  await writeSafetensors(file, syntheticLoraTensors(o), { metadata: syntheticLoraMetadata(o, { ss_training_comment: 'random rank-32 LoRA for resize timing (harness)' }), sshsHashes: true });
  return file;
}

/** A LoRA with small made-up modules (fast dense checks): linear 24x40, conv 3x3 12x(16x3x3), linear 30x20. */
async function makeTinyLora(dir: string, name: string, rank: number, alpha: number, seed: number): Promise<string> {
  const rnd = seededRandom(seed);
  const values = (n: number) => encodeFloats(Array.from({ length: n }, () => rnd.normal()), 'F32');
  const tensors = [];
  for (const [module, out, inShape] of [['lora_unet_a', 24, [40]], ['lora_unet_b', 12, [16, 3, 3]], ['lora_te1_c', 30, [20]]] as const) {
    const inFlat = inShape.reduce((x, y) => x * y, 1);
    const conv = inShape.length > 1;
    tensors.push(
      { name: `${module}.lora_down.weight`, dtype: 'F32' as const, shape: [rank, ...inShape], data: values(rank * inFlat) },
      { name: `${module}.lora_up.weight`, dtype: 'F32' as const, shape: conv ? [out, rank, 1, 1] : [out, rank], data: values(out * rank) },
      { name: `${module}.alpha`, dtype: 'F32' as const, shape: [], data: encodeFloats([alpha], 'F32') },
    );
  }
  const file = path.join(dir, name);
  await writeSafetensors(file, tensors, { metadata: { ss_network_dim: String(rank), ss_training_comment: 'random rank-32 LoRA for resize timing (harness)' }, sshsHashes: true });
  return file;
}

/** Dense effective update scale · up · down of a kohya module, column-major out x inFlat. */
async function effective(st: SafetensorsFile, name: string): Promise<{ w: Float64Array; out: number; n: number }> {
  const down = st.tensor(`${name}.lora_down.weight`)!;
  const up = st.tensor(`${name}.lora_up.weight`)!;
  const d = await st.readFloats(down);
  const u = await st.readFloats(up);
  const alpha = (await st.readFloats(st.tensor(`${name}.alpha`)!))[0] as number;
  const r = down.shape[0] as number;
  const out = up.shape[0] as number;
  const n = d.length / r;
  const w = new Float64Array(out * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < out; i++) {
    let s = 0;
    for (let t = 0; t < r; t++) s += (u[i * r + t] as number) * (d[t * n + j] as number);
    w[j * out + i] = (s * alpha) / r;
  }
  return { w, out, n };
}

function frobenius(a: Float64Array, b?: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] as number) - (b ? (b[i] as number) : 0)) ** 2;
  return Math.sqrt(s);
}

test('the engine\'s LoRAs inspect correctly: keys, rank, alpha, metadata and recomputed hashes', async () => {
  for (const [file, steps, epoch] of [['test_lora.safetensors', 12, 2], ['test_lora-000001.safetensors', 6, 1]] as const) {
    const meta = JSON.parse(await readFile(path.join(FIXTURES, file.replace('.safetensors', '.metadata.json')), 'utf8')) as { header_length: number; tensor_count: number; __metadata__: Record<string, string> };
    await withSafetensors(path.join(FIXTURES, file), async (st) => {
      const r = await inspectLora(st);
      assert.equal(r.headerBytes, meta.header_length);
      assert.equal(r.tensorCount, meta.tensor_count);
      assert.equal(r.architecture.id, 'sdxl');
      assert.equal(r.network.modules, 722);
      assert.deepEqual(r.parts.map((p) => [p.part, p.modules, p.ranks[0]?.value, p.alphas[0]?.value]), [['unet', 722, 1, 1]]);
      assert.equal(r.training.steps, steps);
      assert.equal(r.training.epoch, epoch);
      assert.equal(r.training.learningRate, 0.0001);
      assert.equal(r.training.optimizer, 'torch.optim.adamw.AdamW');
      assert.equal(r.training.resolution, '256x256');
      assert.equal(r.training.baseModel?.name, 'sdxl_random_fp16.safetensors');
      assert.equal(r.hashes?.sshsModelHash.computed, meta.__metadata__.sshs_model_hash);
      assert.equal(r.hashes?.sshsModelHash.matches, true);
      assert.equal(r.hashes?.sshsLegacyHash.computed, meta.__metadata__.sshs_legacy_hash);
      assert.ok(r.findings.some((f) => f.code === 'LORA_CLIP_SKIP_IGNORED'), 'clip skip 2 on SDXL is flagged (P5)');
      assert.ok(r.loaders.every((l) => l.status === 'loads'), JSON.stringify(r.loaders));
    });
  }
});

test('resize keeps the best rank-r approximation, scales alpha and writes the engine\'s metadata', async () => {
  const dir = await tmp();
  const input = await makeTinyLora(dir, 'r32.safetensors', 32, 16, 3);
  const output = path.join(dir, 'r8.safetensors');
  await withSafetensors(input, async (st) => {
    const result = await resizeLora(st, output, { rank: 8 });
    assert.equal(result.metadata.ss_network_dim, '8');
    assert.equal(result.metadata.ss_network_alpha, '4.0'); // 16 / 32 x 8, as resize_lora_r8.metadata.json
    assert.equal(result.metadata.ss_training_comment, 'dimension is resized from 32 to 8; random rank-32 LoRA for resize timing (harness)');
    await withSafetensors(output, async (out) => {
      assert.equal(out.header.metadata.sshs_model_hash, result.metadata.sshs_model_hash);
      for (const name of ['lora_unet_a', 'lora_unet_b', 'lora_te1_c']) {
        const before = await effective(st, name);
        const after = await effective(out, name);
        assert.equal(out.tensor(`${name}.lora_down.weight`)!.shape[0], 8);
        // Independent check: singular values of the dense update from a dense SVD.
        const dense = await denseSpectrum(before.w, before.out, before.n);
        const optimal = Math.sqrt(dense.slice(8).reduce((s, v) => s + v * v, 0));
        const err = frobenius(before.w, after.w);
        assert.ok(Math.abs(err - optimal) <= 1e-5 * (dense[0] as number), `${name}: error ${err} vs optimal ${optimal}`);
      }
    });
  });
});

async function denseSpectrum(w: Float64Array, out: number, n: number): Promise<number[]> {
  const { jacobiSvd } = await import('./linalg.js');
  if (out >= n) return [...jacobiSvd(w, out, n).s];
  const t = new Float64Array(out * n);
  for (let i = 0; i < out; i++) for (let j = 0; j < n; j++) t[i * n + j] = w[j * out + i] as number;
  return [...jacobiSvd(t, n, out).s];
}

test('dynamic resize picks per-module ranks and marks dim and alpha Dynamic', async () => {
  const dir = await tmp();
  const input = await makeTinyLora(dir, 'in.safetensors', 16, 16, 4);
  await withSafetensors(input, async (st) => {
    const result = await resizeLora(st, path.join(dir, 'dyn.safetensors'), { dynamic: { method: 'fro', param: 0.9 } });
    assert.equal(result.metadata.ss_network_dim, 'Dynamic');
    assert.match(result.metadata.ss_training_comment as string, /^Dynamic resize with sv_fro: 0\.9 from 16; /);
    for (const m of result.modules) {
      assert.ok(m.froRetained >= 0.9 - 1e-12, `${m.module} keeps ${m.froRetained}`);
      assert.equal(m.newAlpha, m.newRank); // scale 1 kept
    }
  });
});

test('merge: concat equals the weighted sum exactly, SVD equals its best rank-k approximation', async () => {
  const dir = await tmp();
  const a = await makeTinyLora(dir, 'a.safetensors', 4, 2, 1);
  const b = await makeTinyLora(dir, 'b.safetensors', 6, 6, 2);
  const name = 'lora_unet_b';
  const alt = 'lora_unet_b';
  const sa = await openSafetensors(a);
  const sb = await openSafetensors(b);
  try {
    const wa = await effective(sa, name);
    const wb = await effective(sb, alt);
    const expected = wa.w.map((v, i) => 0.7 * v - 0.4 * (wb.w[i] as number));
    const concat = path.join(dir, 'concat.safetensors');
    const r1 = await mergeLoras([{ file: sa, weight: 0.7 }, { file: sb, weight: -0.4 }], concat);
    assert.equal(r1.method, 'concat');
    await withSafetensors(concat, async (st) => {
      assert.equal(st.tensor(`${name}.lora_down.weight`)!.shape[0], 10);
      const err = frobenius((await effective(st, name)).w, expected);
      assert.ok(err < 1e-6 * frobenius(expected), `concat error ${err} (only float32 rounding expected)`);
    });
    const svd = path.join(dir, 'svd.safetensors');
    await mergeLoras([{ file: sa, weight: 0.7 }, { file: sb, weight: -0.4 }], svd, { rank: 3 });
    await withSafetensors(svd, async (st) => {
      const spectrum = await denseSpectrum(expected, wa.out, wa.n);
      const optimal = Math.sqrt(spectrum.slice(3).reduce((s, v) => s + v * v, 0));
      const err = frobenius((await effective(st, name)).w, expected);
      assert.ok(Math.abs(err - optimal) < 1e-5 * (spectrum[0] as number), `rank-3 merge error ${err} vs optimal ${optimal}`);
    });
    // Kohya files that spell the U-Net differently still merge; other architectures are refused.
    const xl = await makeLora(dir, 'xl.safetensors');
    const xlAlt = await makeLora(dir, 'xl-alt.safetensors', { altNames: true, seed: 5 });
    const sd1 = await makeLora(dir, 'sd1.safetensors', { arch: 'sd1', filter: (m) => m.kohya.endsWith('down_blocks_0_attentions_0_proj_in') });
    await withSafetensors(xl, (sx) => withSafetensors(xlAlt, async (sy) => {
      const r = await mergeLoras([{ file: sx, weight: 1 }, { file: sy, weight: 1 }], path.join(dir, 'xl-merged.safetensors'));
      assert.equal(r.summary.modules, syntheticModules({ arch: 'sdxl', locon: true, filter: small }).length);
      assert.equal(r.summary.maxRank, 16);
      await withSafetensors(sd1, async (sz) => {
        await assert.rejects(mergeLoras([{ file: sx, weight: 1 }, { file: sz, weight: 1 }], path.join(dir, 'x.safetensors')), (e: unknown) => e instanceof TackError && e.code === 'LORA_ARCH_MISMATCH' && /SDXL/.test(e.message) && /SD 1\.x/.test(e.message));
      });
    }));
  } finally {
    await sa.close();
    await sb.close();
  }
});

test('convert kohya -> peft/diffusers -> kohya gives back the identical file', async () => {
  const dir = await tmp();
  const synthetic = await makeLora(dir, 'k.safetensors', { dtype: 'F16', alphaDtype: 'F32' });
  for (const source of [synthetic, path.join(FIXTURES, 'test_lora-000001.safetensors')]) {
    for (const to of ['peft', 'diffusers'] as const) {
      const mid = path.join(dir, `${to}.safetensors`);
      const back = path.join(dir, `${to}-back.safetensors`);
      await withSafetensors(source, (st) => convertLora(st, mid, { to }));
      await withSafetensors(mid, async (st) => {
        const scan = scanModules(st.header.tensors);
        assert.ok(scan.modules.every((m) => m.style === (to === 'peft' ? 'peft' : 'diffusers') || (to === 'diffusers' && m.style === 'transformers')), 'every key in the target style');
        assert.ok(scan.modules.some((m) => m.name === 'unet.down_blocks.1.attentions.0.proj_in'), 'diffusers module names');
        const adapter = JSON.parse(st.header.metadata.lora_adapter_metadata as string) as Record<string, unknown>;
        assert.equal(adapter['unet.r'], scan.modules.find((m) => m.name.startsWith('unet.'))?.rank);
        await convertLora(st, back, { to: 'kohya' });
      });
      assert.equal(Buffer.compare(await readFile(source), await readFile(back)), 0, `${path.basename(source)} via ${to}`);
    }
  }
});

test('loader check: kohya loads everywhere; PEFT U-Net attention keys are skipped by ComfyUI and A1111', async () => {
  const dir = await tmp();
  const kohya = await makeLora(dir, 'k.safetensors', { locon: false });
  const peft = path.join(dir, 'p.safetensors');
  await withSafetensors(kohya, (st) => convertLora(st, peft, { to: 'peft' }));
  await withSafetensors(peft, async (st) => {
    const r = await inspectLora(st, { scanValues: false, hashes: false });
    const by = Object.fromEntries(r.loaders.map((l) => [l.loader, l]));
    assert.equal(by.diffusers?.status, 'loads');
    assert.equal(by.comfyui?.status, 'partial');
    assert.ok(by.comfyui?.examples.some((e) => e.endsWith('attn2.to_k')), JSON.stringify(by.comfyui));
    assert.ok(!by.comfyui?.examples.some((e) => e.endsWith('proj_in')), 'proj_in has no .to_ and is in ComfyUI\'s map');
    assert.equal(by.a1111?.status, 'ignored');
  });
});

test('verify maps every module to the base checkpoint and reports shape mismatches', async () => {
  const dir = await tmp();
  const lora = await makeLora(dir, 'l.safetensors');
  const modules = syntheticModules({ arch: 'sdxl', locon: true, filter: small });
  const base = path.join(dir, 'base.safetensors');
  await writeSafetensors(base, syntheticBaseTensors(modules));
  const sd1Base = path.join(dir, 'sd1.safetensors');
  const sd1Modules = syntheticModules({ arch: 'sd1', filter: (m) => /input_blocks_4_1_proj_in$|input_blocks_1_0_in_layers_2$/.test(`lora_unet_${m.sgm.replace(/\./g, '_')}`) || m.kohya.endsWith('layers_0_self_attn_q_proj') });
  await writeSafetensors(sd1Base, syntheticBaseTensors(sd1Modules));
  const lo = await openSafetensors(lora);
  try {
    await withSafetensors(base, async (b) => {
      const r = verifyAgainstBase(lo, b);
      assert.equal(r.ok, true);
      assert.equal(r.matched, modules.length);
      assert.ok(modules.some((m) => m.baseRows), 'CLIP-G q_proj checked against rows of attn.in_proj_weight');
    });
    await withSafetensors(sd1Base, async (b) => {
      const r = verifyAgainstBase(lo, b);
      assert.equal(r.ok, false);
      const proj = r.problems.find((p) => p.module === 'lora_unet_input_blocks_4_1_proj_in');
      assert.deepEqual([proj?.expected, proj?.found], ['640x640', '640x640x1x1']);
      assert.ok(r.problems.some((p) => p.found === 'missing'), JSON.stringify(r.problems));
    });
  } finally {
    await lo.close();
  }
});

test('architecture comes from names and shapes: SDXL, SD1 and unknown', () => {
  const sd1 = syntheticLoraTensors({ arch: 'sd1', rank: 2, alpha: 2, dtype: 'F16', filter: (m) => m.part === 'te1' });
  const tensors = sd1.map((t, i) => ({ name: t.name, dtype: t.dtype, shape: t.shape, begin: i, end: i }));
  assert.equal(detectArchitecture(scanModules(tensors).modules, {}).arch, 'sd1');
  const flux = [{ name: 'lora_unet_double_blocks_0_img_attn_qkv.lora_down.weight', dtype: 'F16' as const, shape: [4, 3072], begin: 0, end: 0 }, { name: 'lora_unet_double_blocks_0_img_attn_qkv.lora_up.weight', dtype: 'F16' as const, shape: [9216, 4], begin: 0, end: 0 }];
  assert.equal(detectArchitecture(scanModules(flux).modules, {}).arch, 'flux');
});

test('resize refuses NaN weights, naming the module', async () => {
  const dir = await tmp();
  const file = path.join(dir, 'nan.safetensors');
  await writeSafetensors(file, [
    { name: 'lora_unet_x.lora_down.weight', dtype: 'F32', shape: [1, 2], data: new Uint8Array(new Float32Array([NaN, 1]).buffer) },
    { name: 'lora_unet_x.lora_up.weight', dtype: 'F32', shape: [2, 1], data: new Uint8Array(new Float32Array([1, 1]).buffer) },
  ]);
  await withSafetensors(file, async (st) => {
    await assert.rejects(resizeLora(st, path.join(dir, 'o.safetensors'), { rank: 1 }), (e: unknown) => e instanceof TackError && e.code === 'LORA_NON_FINITE' && /lora_unet_x/.test(e.message));
    const r = await inspectLora(st);
    assert.deepEqual(r.health.nonFinite.map((t) => t.tensor), ['lora_unet_x.lora_down.weight']);
    void decodeFloats;
  });
});

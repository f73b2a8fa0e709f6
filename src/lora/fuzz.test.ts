/**
 * Fuzzing the safetensors reader with mutated headers and files: every outcome must be a
 * valid file or a typed LORA_* error; reads never leave the file; nothing hangs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { TackError } from '../core/index.js';
import { decodeFloats, encodeFloats, isDtype, loraErrors, openSafetensors, openSafetensorsSource, seededRandom, writeSafetensors, type ByteSource } from './index.js';

const ITERATIONS = 12_000;

async function seedFiles(dir: string): Promise<Buffer[]> {
  const a = path.join(dir, 'a.safetensors');
  await writeSafetensors(a, [
    { name: 'lora_unet_x.lora_down.weight', dtype: 'F16', shape: [2, 3], data: encodeFloats([1, 2, 3, 4, 5, 6], 'F16') },
    { name: 'lora_unet_x.lora_up.weight', dtype: 'F16', shape: [3, 2], data: encodeFloats([1, 0, -1, 0.5, 2, 3], 'F16') },
    { name: 'lora_unet_x.alpha', dtype: 'F32', shape: [], data: encodeFloats([1], 'F32') },
    { name: 'empty', dtype: 'BF16', shape: [0, 4], data: new Uint8Array(0) },
  ], { metadata: { ss_network_dim: '2', note: '{"json": [1, 2]}' }, sshsHashes: true });
  const b = path.join(dir, 'b.safetensors');
  await writeSafetensors(b, [
    { name: 'w', dtype: 'F32', shape: [4], data: encodeFloats([1, 2, 3, 4], 'F32') },
    { name: 'i', dtype: 'I64', shape: [2], data: new Uint8Array(16) },
    { name: 'u', dtype: 'U8', shape: [3], data: new Uint8Array(3) },
  ]);
  return [await readFile(a), await readFile(b)];
}

/** A ByteSource that checks every read stays inside the bytes and counts what it hands out. */
function checkedSource(bytes: Uint8Array, stats: { read: number; outside: number }): ByteSource {
  return {
    sizeBytes: bytes.length,
    async read(offset, length) {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > bytes.length) {
        stats.outside++;
        throw new Error(`read outside the file: ${offset}+${length} of ${bytes.length}`);
      }
      stats.read += length;
      return bytes.slice(offset, offset + length);
    },
    close: async () => undefined,
  };
}

function mutate(seed: Buffer, rnd: ReturnType<typeof seededRandom>): Buffer {
  const pick = (n: number) => Math.floor(rnd.uniform() * n);
  const n = Number(seed.readBigUInt64LE(0));
  const header = seed.subarray(8, 8 + n).toString('utf8');
  const data = seed.subarray(8 + n);
  const withHeader = (text: string, body: Uint8Array = data) => {
    const json = Buffer.from(text, 'utf8');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([prefix, json, body]);
  };
  switch (pick(10)) {
    case 0: {
      const out = Buffer.from(seed);
      for (let i = 0, k = 1 + pick(8); i < k; i++) out[8 + pick(Math.max(1, n))] = pick(256);
      return out;
    }
    case 1: {
      const out = Buffer.from(seed);
      const choices = [0n, 1n, 7n, BigInt(n - 1), BigInt(n + 1), BigInt(seed.length), 100_000_001n, (1n << 64n) - 1n, 1n << 53n, BigInt(pick(1 << 20))];
      out.writeBigUInt64LE(choices[pick(choices.length)] as bigint, 0);
      return out;
    }
    case 2:
      return seed.subarray(0, pick(seed.length));
    case 3:
      return Buffer.concat([seed, Buffer.from(Array.from({ length: 1 + pick(16) }, () => pick(256)))]);
    case 4: {
      const numbers = [...header.matchAll(/-?\d+/g)];
      const m = numbers[pick(numbers.length)];
      if (!m) return seed;
      const values = ['0', '-1', '1e3', '3.5', '9007199254740993', '18446744073709551615', String(pick(64)), '""', 'null', '[]', '{}'];
      return withHeader(header.slice(0, m.index) + values[pick(values.length)] + header.slice((m.index ?? 0) + m[0].length));
    }
    case 5: {
      const dtypes = ['F16', 'F32', 'BF16', 'F64', 'I8', 'BOOL', 'F4', 'F6_E2M3', 'F8_E4M3', 'C64', 'f16', 'F128', '', 'X'.repeat(200)];
      return withHeader(header.replace(/"dtype":"[^"]*"/, `"dtype":"${dtypes[pick(dtypes.length)]}"`));
    }
    case 6: {
      const entries = [...header.matchAll(/"([^"]+)":\{"dtype"[^}]*\}/g)];
      const e = entries[pick(entries.length)];
      if (!e) return seed;
      const edits = [
        () => header.replace(e[0], `${e[0]},${e[0]}`), // duplicate name
        () => header.replace(`${e[0]},`, '').replace(`,${e[0]}`, ''), // drop a tensor
        () => header.replace(e[0], e[0].replace(/"data_offsets":\[(\d+),(\d+)\]/, '"data_offsets":[$2,$1]')),
        () => header.replace(e[0], e[0].replace(/"shape":\[[^\]]*\]/, `"shape":[${pick(5)},${pick(5)}]`)),
        () => header.replace(e[0], `"${e[1]}":{"dtype":"F32","shape":${'['.repeat(pick(200))}`),
        () => header.replace(e[0], e[0].replace('"shape"', '"shapes"')),
      ];
      return withHeader(edits[pick(edits.length)]!());
    }
    case 7: {
      const values = ['1', 'null', '["a"]', '{"x":"y"}', 'true', '"ok"'];
      return withHeader(header.replace(/"__metadata__":\{"([^"]+)":"[^"]*"/, `"__metadata__":{"$1":${values[pick(values.length)]}`));
    }
    case 8:
      return Buffer.from(Array.from({ length: pick(64) }, () => pick(256)));
    default: {
      const out = Buffer.from(withHeader(header));
      const at = 8 + pick(Math.max(1, n));
      out[at] = [0x00, 0x22, 0x5c, 0x7b, 0xc3, 0xff][pick(6)] as number;
      return out;
    }
  }
}

async function exercise(bytes: Uint8Array, stats: { read: number; outside: number }): Promise<'valid' | string> {
  try {
    const st = await openSafetensorsSource(checkedSource(bytes, stats), 'fuzz.safetensors');
    for (const t of st.header.tensors) {
      const raw = await st.readBytes(t);
      assert.equal(raw.length, t.end - t.begin);
      if (['F16', 'F32', 'BF16', 'F64'].includes(t.dtype)) decodeFloats(raw, t.dtype);
    }
    let seen = 0;
    for await (const { tensor, bytes: b } of st.iterate(64)) {
      assert.equal(b.length, tensor.end - tensor.begin);
      seen++;
    }
    assert.equal(seen, st.header.tensors.length);
    for (const t of st.header.tensors) assert.ok(isDtype(t.dtype));
    return 'valid';
  } catch (error) {
    if (error instanceof TackError && Object.hasOwn(loraErrors.table, error.code)) return error.code;
    throw error;
  }
}

test(`${ITERATIONS} mutated headers and files give only typed errors, read inside the file and never hang`, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-fuzz-'));
  try {
    const seeds = await seedFiles(dir);
    const rnd = seededRandom(20240611);
    const stats = { read: 0, outside: 0 };
    const outcomes = new Map<string, number>();
    let slowest = 0;
    let totalInput = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const mutated = mutate(seeds[i % seeds.length] as Buffer, rnd);
      totalInput += mutated.length;
      const started = performance.now();
      const outcome = await exercise(mutated, stats);
      slowest = Math.max(slowest, performance.now() - started);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    assert.equal(stats.outside, 0, 'no read outside the file');
    // Bounded memory: the reader never asks for more than a few times the bytes that exist.
    assert.ok(stats.read <= totalInput * 4, `read ${stats.read} bytes from ${totalInput} bytes of input`);
    assert.ok(slowest < 1000, `slowest case took ${slowest.toFixed(0)} ms`);
    for (const code of ['LORA_NOT_SAFETENSORS', 'LORA_BAD_HEADER', 'LORA_BAD_TENSOR', 'LORA_UNKNOWN_DTYPE', 'LORA_BAD_METADATA']) {
      assert.ok((outcomes.get(code) ?? 0) > 0, `the mutations reached ${code} (outcomes: ${JSON.stringify(Object.fromEntries(outcomes))})`);
    }
    assert.ok((outcomes.get('valid') ?? 0) > 0, 'some mutations stay valid and read back');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('mutated files on disk are refused with typed errors through the file reader', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-fuzz-'));
  try {
    const seeds = await seedFiles(dir);
    const rnd = seededRandom(7);
    const file = path.join(dir, 'mutant.safetensors');
    for (let i = 0; i < 300; i++) {
      await writeFile(file, mutate(seeds[i % 2] as Buffer, rnd));
      try {
        const st = await openSafetensors(file);
        for (const t of st.header.tensors) await st.readBytes(t);
        await st.close();
      } catch (error) {
        assert.ok(error instanceof TackError && Object.hasOwn(loraErrors.table, error.code), `untyped failure: ${String(error)}`);
        assert.match(error.message, /mutant\.safetensors/);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

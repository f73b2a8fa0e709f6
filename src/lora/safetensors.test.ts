import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { TackError } from '../core/index.js';
import { buildHeader, decodeFloats, encodeFloats, memoryByteSource, openSafetensors, openSafetensorsSource, parseJsonStrict, seededRandom, toBfloat16Bits, toHalfBits, writeSafetensors, type Dtype } from './index.js';

const FIXTURES = path.resolve(import.meta.dirname, '..', '..', 'test', 'fixtures', 'sd-scripts');

/** A safetensors file from a header object (written as given) and a data section. */
function rawFile(header: string, data: Uint8Array = new Uint8Array(0), lengthOverride?: bigint): Uint8Array {
  const json = Buffer.from(header, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  return Buffer.concat([prefix, json, data]);
}

async function openBytes(bytes: Uint8Array) {
  return openSafetensorsSource(memoryByteSource(bytes, 'test.safetensors'), 'test.safetensors');
}

async function rejectsWith(bytes: Uint8Array, code: string, pattern?: RegExp) {
  await assert.rejects(openBytes(bytes), (e: unknown) => {
    assert.ok(e instanceof TackError, `expected a TackError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

test('f16 and bf16 encoding rounds to nearest even and saturates to infinity', () => {
  assert.equal(toHalfBits(1), 0x3c00);
  assert.equal(toHalfBits(-2), 0xc000);
  assert.equal(toHalfBits(65504), 0x7bff);
  assert.equal(toHalfBits(65519.99), 0x7bff);
  assert.equal(toHalfBits(65520), 0x7c00);
  assert.equal(toHalfBits(2 ** -24), 0x0001);
  assert.equal(toHalfBits(2 ** -25), 0x0000); // a tie rounds to even (zero)
  assert.equal(toHalfBits(1 + 2 ** -11), 0x3c00); // tie between 1 and 1+2^-10 goes to even
  assert.equal(toHalfBits(1 + 3 * 2 ** -11), 0x3c02);
  assert.equal(toBfloat16Bits(1), 0x3f80);
  assert.equal(toBfloat16Bits(1 + 2 ** -8), 0x3f80);
  const values = [0, -0.5, 3.140625, 1e-3, -65504, 2 ** -20];
  for (const dtype of ['F16', 'BF16', 'F32'] as const) {
    const round = decodeFloats(encodeFloats(values, dtype), dtype);
    const again = decodeFloats(encodeFloats(round, dtype), dtype);
    assert.deepEqual([...again], [...round], `${dtype} values survive a second round trip unchanged`);
  }
});

test('the strict JSON parser reports duplicate keys and deep nesting, keeps key order', () => {
  assert.throws(() => parseJsonStrict('{"a":1,"a":2}'), /duplicate key "a"/);
  assert.throws(() => parseJsonStrict('['.repeat(100) + ']'.repeat(100)), /nesting deeper/);
  const v = parseJsonStrict('{"10":1,"2":2,"b":"\\u00e9\\n"}') as Map<string, unknown>;
  assert.deepEqual([...v.keys()], ['10', '2', 'b']);
  assert.equal(v.get('b'), 'é\n');
});

test('every malformed header is refused with a LORA_ error naming the file and tensor', async () => {
  const t = (offsets: [number, number], shape = '[2]', dtype = 'F32', name = 'w') => `"${name}":{"dtype":"${dtype}","shape":${shape},"data_offsets":[${offsets.join(',')}]}`;
  const eight = new Uint8Array(8);
  await rejectsWith(new Uint8Array(5), 'LORA_NOT_SAFETENSORS', /too short/);
  await rejectsWith(rawFile('{}', eight, 1n << 62n), 'LORA_NOT_SAFETENSORS', /header of \d+ bytes/);
  await rejectsWith(rawFile(`{${t([0, 8])}`, eight), 'LORA_BAD_HEADER', /not valid JSON/);
  await rejectsWith(rawFile(`{${t([0, 8])},${t([0, 8])}}`, eight), 'LORA_BAD_HEADER', /"w" appears twice/);
  await rejectsWith(rawFile(`{${t([0, 8], '[2]', 'F17')}}`, eight), 'LORA_UNKNOWN_DTYPE', /"w" has dtype "F17"/);
  await rejectsWith(rawFile(`{${t([0, 8], '[3]')}}`, eight), 'LORA_BAD_TENSOR', /shape \[3\] of F32 = 12 bytes/);
  await rejectsWith(rawFile(`{${t([0, 16], '[4]')}}`, eight), 'LORA_BAD_TENSOR', /outside the file/);
  await rejectsWith(rawFile(`{${t([0, 8])},${t([4, 12], '[2]', 'F32', 'v')}}`, new Uint8Array(12)), 'LORA_BAD_TENSOR', /overlaps tensor "w"/);
  await rejectsWith(rawFile(`{${t([4, 12])}}`, new Uint8Array(12)), 'LORA_BAD_TENSOR', /leaving bytes \[0, 4\)/);
  await rejectsWith(rawFile(`{${t([0, 8])}}`, new Uint8Array(12)), 'LORA_BAD_HEADER', /4 unexplained bytes/);
  await rejectsWith(rawFile(`{"__metadata__":{"a":1},${t([0, 8])}}`, eight), 'LORA_BAD_METADATA', /metadata "a" is a number/);
  await rejectsWith(rawFile(`{${t([0, 8], '[-2]')}}`, eight), 'LORA_BAD_HEADER', /shape that is not a list of whole numbers/);
  await rejectsWith(rawFile(`{${t([8, 0])}}`, eight), 'LORA_BAD_TENSOR', /end before they begin/);
  await rejectsWith(rawFile(`{${t([0, 9007199254740993])}}`, eight), 'LORA_BAD_HEADER', /data_offsets/);
  await rejectsWith(rawFile('[1,2]'), 'LORA_BAD_HEADER', /not a JSON object/);
  const badUtf8 = Buffer.concat([Buffer.from('{"'), Buffer.from([0xff, 0xfe]), Buffer.from('":1}')]);
  await rejectsWith(rawFile(badUtf8.toString('latin1')).map((b, i) => (i >= 8 ? (badUtf8[i - 8] as number) : b)), 'LORA_BAD_HEADER', /UTF-8/);
});

test('written files read back bit-exact, in the reference layout, with no temp file left', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-st-'));
  const target = path.join(dir, 'out.safetensors');
  const f16 = encodeFloats([1, -2, 0.5, 65504], 'F16');
  const bf16 = encodeFloats([3, 4], 'BF16');
  const f32 = encodeFloats([Math.PI, -0, 1e-30], 'F32');
  await writeSafetensors(target, [
    { name: 'b', dtype: 'F16', shape: [2, 2], data: f16 },
    { name: 'a', dtype: 'F16', shape: [], data: encodeFloats([7], 'F16') },
    { name: 'z', dtype: 'BF16', shape: [2], data: bf16 },
    { name: 'y', dtype: 'F32', shape: [3], data: async () => f32 },
  ], { metadata: { format: 'pt', note: 'é "quoted"' } });
  assert.deepEqual(await readdir(dir), ['out.safetensors']);
  const st = await openSafetensors(target);
  try {
    // largest dtype first (F32, then BF16 before F16), then by name: the safetensors order
    assert.deepEqual(st.header.tensors.map((t) => t.name), ['y', 'z', 'a', 'b']);
    assert.deepEqual(st.header.metadata, Object.assign(Object.create(null), { format: 'pt', note: 'é "quoted"' }));
    assert.deepEqual(await st.readBytes(st.tensor('b')!), f16);
    assert.deepEqual(await st.readBytes(st.tensor('z')!), bf16);
    assert.deepEqual(await st.readBytes(st.tensor('y')!), f32);
    assert.equal(st.header.headerBytes % 8, 0);
  } finally {
    await st.close();
  }
});

test('re-writing the engine\'s LoRA gives the identical file, hashes included', async () => {
  const source = path.join(FIXTURES, 'test_lora.safetensors');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-st-'));
  const target = path.join(dir, 'copy.safetensors');
  const st = await openSafetensors(source);
  try {
    assert.equal(st.header.headerBytes, 302904);
    assert.equal(st.header.tensors.length, 2166);
    const result = await writeSafetensors(target, st.header.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: () => st.readBytes(t) })), { metadata: st.header.metadata, sshsHashes: true });
    assert.equal(result.metadata.sshs_model_hash, '2e4acd85483f4166c21ce883336303e82355d7c6450b88267c405a679d1847c5');
    assert.equal(result.metadata.sshs_legacy_hash, 'aa1a8732');
  } finally {
    await st.close();
  }
  assert.ok(Buffer.compare(await readFile(source), await readFile(target)) === 0, 'byte-identical');
});

test('a write interrupted by Ctrl-C leaves neither output nor temp file', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-st-'));
  const controller = new AbortController();
  const tensors = Array.from({ length: 5 }, (_, i) => ({ name: `t${i}`, dtype: 'F32' as Dtype, shape: [1], data: () => {
    if (i === 2) controller.abort();
    return encodeFloats([i], 'F32');
  } }));
  await assert.rejects(writeSafetensors(path.join(dir, 'x.safetensors'), tensors, { signal: controller.signal }), (e: unknown) => e instanceof TackError && e.code === 'CORE_CANCELLED');
  assert.deepEqual(await readdir(dir), []);
});

test('a file that is shorter than its header promised fails with LORA_TRUNCATED when read', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-st-'));
  const file = path.join(dir, 'x.safetensors');
  const header = buildHeader([{ name: 'w', dtype: 'F32', shape: [4] }], undefined);
  const full = rawFile(Buffer.from(header).toString('utf8'), new Uint8Array(16));
  await writeFile(file, full);
  const st = await openSafetensors(file);
  await writeFile(file, full.subarray(0, full.length - 8));
  await assert.rejects(st.readBytes(st.tensor('w')!), (e: unknown) => e instanceof TackError && e.code === 'LORA_TRUNCATED' && /x\.safetensors/.test(e.message));
  await st.close();
});

test('bulk f16/bf16 encoding rounds every value exactly like the per-value rounding, ties included', () => {
  const rnd = seededRandom(8);
  const values: number[] = [0, -0, NaN, Infinity, -Infinity, 65504, 65519.99, 65520, 65519.9999999, 2 ** -24, 2 ** -25, 2 ** -25 * (1 + 1e-12), 2 ** -14 * (1 - 1e-9), 1e-50, -1e300];
  for (let i = 0; i < 60_000; i++) {
    const x = rnd.normal() * 2 ** (Math.floor(rnd.uniform() * 40) - 25);
    values.push(x);
    // Exact halfway points between two halves, and doubles just beside them (which float32
    // rounds onto the halfway point: the double-rounding case).
    const ulp = 2 ** Math.max(Math.floor(Math.log2(Math.abs(x))) - 10, -24);
    const tie = (Math.floor(Math.abs(x) / ulp) + 0.5) * ulp;
    values.push(tie, tie * (1 + 2 ** -40), tie * (1 - 2 ** -40));
  }
  const half = new Uint16Array(encodeFloats(values, 'F16').buffer);
  const brain = new Uint16Array(encodeFloats(values, 'BF16').buffer);
  values.forEach((v, i) => {
    assert.equal(half[i], toHalfBits(v), `f16 of ${v}`);
    assert.equal(brain[i], toBfloat16Bits(v), `bf16 of ${v}`);
  });
});

test('reading every tensor in chunks through one reused buffer gives each tensor\'s bytes', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-st-'));
  const file = path.join(dir, 'chunks.safetensors');
  const rnd = seededRandom(4);
  const tensors = [1, 300, 7, 4096, 2, 33, 1000].map((n, i) => ({ name: `t${i}`, dtype: 'F32' as const, shape: [n], data: encodeFloats(Array.from({ length: n }, () => rnd.normal()), 'F32') }));
  await writeSafetensors(file, tensors);
  const st = await openSafetensors(file);
  try {
    for (const chunk of [16, 1000, 1 << 20]) {
      const seen: string[] = [];
      for await (const { tensor, bytes } of st.iterate(chunk)) {
        assert.deepEqual([...bytes], [...(await st.readBytes(tensor))], `${tensor.name} with ${chunk}-byte chunks`);
        seen.push(tensor.name);
      }
      assert.equal(seen.length, tensors.length);
    }
  } finally {
    await st.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('header checks hold for keys JSON.parse would hide or reorder', async () => {
  const entry = (begin: number, extra = '') => `{"dtype":"F32","shape":[1],"data_offsets":[${begin},${begin + 4}]${extra}}`;
  // A repeated field inside one tensor's entry.
  await rejectsWith(rawFile(`{"w":${entry(0, ',"dtype":"F16"')}}`, new Uint8Array(4)), 'LORA_BAD_HEADER', /twice/);
  // An escaped spelling of an existing name is the same name.
  await rejectsWith(rawFile(`{"w":${entry(0)},"\\u0077":${entry(4)}}`, new Uint8Array(8)), 'LORA_BAD_HEADER', /"w" appears twice/);
  // Numeric and prototype-like names are ordinary tensor names and metadata keys.
  const st = await openBytes(rawFile(`{"__metadata__":{"b":"1","10":"2","__proto__":"3"},"__proto__":${entry(0)},"7":${entry(4)}}`, new Uint8Array(8)));
  assert.deepEqual(st.header.tensors.map((t) => t.name), ['__proto__', '7']);
  assert.deepEqual(Object.entries(st.header.metadata).map(([k, v]) => `${k}=${v}`).sort(), ['10=2', '__proto__=3', 'b=1']);
});

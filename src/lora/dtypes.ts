/**
 * Safetensors data types: sizes, and conversion of the float types to and from Float64Array.
 * The dtype names and bit widths are those of the safetensors format (its Rust `Dtype` enum);
 * the order of DTYPE_ORDER is that enum's order, which the safetensors writer uses (largest
 * first) to lay out tensors, so a file written by tack has the same data section as one written
 * by the Python library (and so the same `sshs_model_hash`).
 */
import os from 'node:os';

export const DTYPE_ORDER = [
  'BOOL', 'F4', 'F6_E2M3', 'F6_E3M2', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0',
  'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64', 'C64',
] as const;

export type Dtype = (typeof DTYPE_ORDER)[number];

const BITS: Record<Dtype, number> = {
  BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32, C64: 64, F64: 64, I64: 64, U64: 64,
};

/** The float types tack can write (and so resize, merge and convert into). */
export type WritableDtype = 'F32' | 'F16' | 'BF16';

export function isDtype(value: string): value is Dtype {
  return Object.hasOwn(BITS, value);
}

export function dtypeBits(dtype: Dtype): number {
  return BITS[dtype];
}

export function dtypeRank(dtype: Dtype): number {
  return DTYPE_ORDER.indexOf(dtype);
}

/** Dtypes whose values tack decodes (for NaN/zero scans and for the linear algebra). */
export function isDecodable(dtype: Dtype): boolean {
  return dtype === 'F32' || dtype === 'F16' || dtype === 'BF16' || dtype === 'F64';
}

const LITTLE_ENDIAN_HOST = os.endianness() === 'LE';
let halfTable: Float64Array | undefined;

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

function getHalfTable(): Float64Array {
  if (!halfTable) {
    halfTable = new Float64Array(65536);
    for (let i = 0; i < 65536; i++) halfTable[i] = halfToNumber(i);
  }
  return halfTable;
}

/** Decodes little-endian tensor bytes of a float dtype into doubles. */
export function decodeFloats(bytes: Uint8Array, dtype: Dtype): Float64Array {
  const out = new Float64Array(bytes.byteLength / (dtypeBits(dtype) / 8));
  decodeFloatsInto(bytes, dtype, out);
  return out;
}

/** `bytes` as a view of `width`-byte elements (copied first when not aligned for one). */
function aligned(bytes: Uint8Array, width: number): ArrayBuffer {
  if (bytes.byteOffset % width === 0) return bytes.buffer as ArrayBuffer;
  return bytes.slice().buffer as ArrayBuffer;
}

function alignedOffset(bytes: Uint8Array, width: number): number {
  return bytes.byteOffset % width === 0 ? bytes.byteOffset : 0;
}

/**
 * Decodes float tensor bytes into `out` (which must hold them) and tells whether every value
 * is finite. With `rows` and `cols`, the bytes are a row-major rows x cols matrix and `out`
 * receives its transpose (row-major cols x rows), so a caller that needs the other layout
 * saves a pass. F16 goes through a 65536-entry table, BF16 through its float32 bits; both read
 * typed-array views, not bytes, and spot NaN/infinity from the exponent bits on the way.
 */
export function decodeFloatsInto(bytes: Uint8Array, dtype: Dtype, out: Float64Array, rows = 0, cols = 0): boolean {
  const width = dtypeBits(dtype) >>> 3;
  // An int32 count: a loop bound that V8 sees as a double makes the loops 2x slower.
  const n = (bytes.byteLength / width) | 0;
  const transpose = rows > 0 && cols > 0;
  if (!LITTLE_ENDIAN_HOST) {
    // Big-endian hosts: decode element by element through a DataView.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const table = dtype === 'F16' ? getHalfTable() : undefined;
    for (let i = 0; i < n; i++) {
      let v: number;
      if (dtype === 'F32') v = view.getFloat32(i * 4, true);
      else if (dtype === 'F64') v = view.getFloat64(i * 8, true);
      else if (table) v = table[view.getUint16(i * 2, true)] as number;
      else if (dtype === 'BF16') {
        u32[0] = view.getUint16(i * 2, true) << 16;
        v = f32[0] as number;
      } else throw new Error(`decodeFloats: ${dtype} is not a float type tack decodes`);
      out[transpose ? (i % cols) * rows + Math.floor(i / cols) : i] = v;
    }
    let probe = 0;
    for (let i = 0; i < n; i++) probe += (out[i] as number) * 0;
    return probe === 0;
  }
  switch (dtype) {
    case 'F16':
      return decodeHalves(new Uint16Array(aligned(bytes, 2), alignedOffset(bytes, 2), n), getHalfTable(), out, n, rows, cols);
    case 'BF16': {
      const src = new Uint16Array(aligned(bytes, 2), alignedOffset(bytes, 2), n);
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = (src[i] as number) << 16;
      return copyMaybeTransposed(new Float32Array(bits.buffer), out, n, rows, cols);
    }
    case 'F32':
      return copyMaybeTransposed(new Float32Array(aligned(bytes, 4), alignedOffset(bytes, 4), n), out, n, rows, cols);
    case 'F64':
      return copyMaybeTransposed(new Float64Array(aligned(bytes, 8), alignedOffset(bytes, 8), n), out, n, rows, cols);
    default:
      throw new Error(`decodeFloats: ${dtype} is not a float type tack decodes`);
  }
}

// Small loops in their own functions: V8 optimises them far better than inside the switch.
// A half is NaN or infinite when its five exponent bits are all set: adding 0x400 to them then
// carries into bit 15, which `flag` collects.
function decodeHalves(src: Uint16Array, table: Float64Array, out: Float64Array, n: number, rows: number, cols: number): boolean {
  let flag = 0;
  if (!(rows > 0 && cols > 0)) {
    for (let i = 0; i < n; i++) {
      const h = src[i] as number;
      flag |= (h & 0x7c00) + 0x400;
      out[i] = table[h] as number;
    }
    return (flag & 0x8000) === 0;
  }
  // Gather order: sequential writes; the rows read from stay in L1 across columns.
  for (let j = 0, o = 0; j < cols; j++) {
    for (let i = 0, x = j; i < rows; i++, o++, x += cols) {
      const h = src[x] as number;
      flag |= (h & 0x7c00) + 0x400;
      out[o] = table[h] as number;
    }
  }
  return (flag & 0x8000) === 0;
}

function copyMaybeTransposed(src: Float32Array | Float64Array, out: Float64Array, n: number, rows: number, cols: number): boolean {
  // v·0 is 0 for finite v and NaN otherwise, so the sum stays 0 only if every value is finite.
  let probe = 0;
  if (!(rows > 0 && cols > 0)) {
    for (let i = 0; i < n; i++) {
      const v = src[i] as number;
      probe += v * 0;
      out[i] = v;
    }
    return probe === 0;
  }
  for (let j = 0, o = 0; j < cols; j++) {
    for (let i = 0, x = j; i < rows; i++, o++, x += cols) {
      const v = src[x] as number;
      probe += v * 0;
      out[o] = v;
    }
  }
  return probe === 0;
}

const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);
const HI = LITTLE_ENDIAN_HOST ? 1 : 0;
const LO = LITTLE_ENDIAN_HOST ? 0 : 1;

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** IEEE half bits of `x`, rounded to nearest even straight from the double (no double rounding). */
export function toHalfBits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  f64[0] = x;
  const hi = f64Words[HI] as number;
  const lo = f64Words[LO] as number;
  const sign = (hi >>> 16) & 0x8000;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24);
  const e = ((hi >>> 20) & 0x7ff) - 1023;
  let q = (hi >>> 10) & 0x3ff;
  const rest = hi & 0x3ff;
  if (rest & 0x200 && ((rest & 0x1ff) !== 0 || lo !== 0 || q & 1)) q++;
  let he = e + 15;
  if (q === 0x400) {
    q = 0;
    he++;
  }
  if (he >= 31) return sign | 0x7c00;
  return sign | (he << 10) | q;
}

/** bfloat16 bits of `x` (through float32, as torch's conversion does), round to nearest even. */
export function toBfloat16Bits(x: number): number {
  f32One[0] = x;
  if (Number.isNaN(f32One[0] as number)) return 0x7fc0;
  const bits = u32One[0] as number;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

const f32One = new Float32Array(1);
const u32One = new Uint32Array(f32One.buffer);
/** Float32 staging for encodeFloats: one block at a time, small enough to stay in L1. */
const STAGE_VALUES = 2048;
const f32Stage = new Float32Array(STAGE_VALUES);
const u32Stage = new Uint32Array(f32Stage.buffer);

/**
 * Encodes doubles as little-endian bytes of a writable float dtype. F16 and BF16 go through
 * float32 a block at a time (JavaScript converts to float32 in bulk, rounding to nearest even),
 * then integer bit operations per value. Rounding F16 through float32 can round twice, so a
 * value that lands exactly halfway between two halves while the double was not exactly there is
 * re-rounded from the double.
 */
export function encodeFloats(input: ArrayLike<number>, dtype: WritableDtype): Uint8Array {
  return encodeFloatsChecked(input, dtype).bytes;
}

/**
 * encodeFloats, also telling whether every encoded value is finite: false when a value was
 * NaN or infinite, or too large for the dtype (it became infinity), which costs no extra pass.
 */
export function encodeFloatsChecked(input: ArrayLike<number>, dtype: WritableDtype): { bytes: Uint8Array; finite: boolean } {
  // One element type in the loops below (a plain array here too would make them polymorphic).
  const values = input instanceof Float64Array ? input : Float64Array.from(input);
  const n = values.length;
  if (dtype === 'F32') {
    const out = new Float32Array(n);
    let probe = 0;
    for (let i = 0; i < n; i++) {
      const v = Math.fround(values[i] as number);
      probe += v * 0;
      out[i] = v;
    }
    const bytes = new Uint8Array(out.buffer);
    if (!LITTLE_ENDIAN_HOST) swapBytes(bytes, 4);
    return { bytes, finite: probe === 0 };
  }
  const out = new Uint16Array(n);
  let flag = 0;
  for (let start = 0; start < n; start += STAGE_VALUES) {
    const count = Math.min(STAGE_VALUES, n - start);
    for (let i = 0; i < count; i++) f32Stage[i] = values[start + i] as number;
    flag |= dtype === 'BF16' ? encodeBfloat16s(u32Stage, out, start, count) : encodeHalves(values, f32Stage, u32Stage, out, start, count);
  }
  const bytes = new Uint8Array(out.buffer);
  if (!LITTLE_ENDIAN_HOST) swapBytes(bytes, 2);
  return { bytes, finite: flag === 0 };
}

/** Writes bfloat16 bits; returns nonzero if one is NaN or infinite. */
function encodeBfloat16s(bits: Uint32Array, out: Uint16Array, start: number, count: number): number {
  let flag = 0;
  for (let i = 0; i < count; i++) {
    const b = bits[i] as number;
    const h = (b & 0x7fffffff) > 0x7f800000 ? 0x7fc0 : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
    flag |= (h & 0x7f80) + 0x80;
    out[start + i] = h;
  }
  return flag & 0x8000;
}

/**
 * Writes half bits from the float32 bits of a block (`stage` as `bits`), re-rounding from
 * `values` on a tie; returns nonzero if one is NaN or infinite (all five exponent bits set).
 */
function encodeHalves(values: Float64Array, stage: Float32Array, bits: Uint32Array, out: Uint16Array, start: number, count: number): number {
  let flag = 0;
  for (let i = 0; i < count; i++) {
    const b = bits[i] as number;
    const sign = (b >>> 16) & 0x8000;
    const abs = b & 0x7fffffff;
    let h: number;
    let tie: boolean;
    if (abs >= 0x47800000) {
      // 65536 and above (the largest half is 65504; 65520 and up round to infinity), inf, NaN.
      h = abs > 0x7f800000 ? 0x7e00 : sign | 0x7c00;
      tie = false;
    } else if (abs >= 0x38800000) {
      // Normal halves: rebias the exponent (127 -> 15) and round off 13 mantissa bits.
      const m = abs - 0x38000000;
      h = sign | ((m + 0x0fff + ((m >>> 13) & 1)) >>> 13);
      tie = (m & 0x1fff) === 0x1000;
    } else if (abs >= 0x33000000) {
      // Subnormal halves: the value in units of 2^-24, rounded.
      const shift = 126 - (abs >>> 23);
      const mant = (abs & 0x7fffff) | 0x800000;
      const half = 1 << (shift - 1);
      const rest = mant & ((1 << shift) - 1);
      let q = mant >>> shift;
      if (rest > half || (rest === half && q & 1)) q++;
      h = sign | q;
      tie = rest === half;
    } else {
      h = sign;
      tie = false;
    }
    if (tie && (stage[i] as number) !== (values[start + i] as number)) h = toHalfBits(values[start + i] as number);
    flag |= (h & 0x7c00) + 0x400;
    out[start + i] = h;
  }
  return flag & 0x8000;
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

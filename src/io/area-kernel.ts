/**
 * A WebAssembly kernel for the tagger's INTER_AREA shrink of full-size photos (engine-resize.ts),
 * hand-assembled here so no toolchain is needed. Two functions over one memory:
 *
 *   sumRows(src, length, rows, stride, acc)   acc[i] += src[r * stride + i] for r < rows, i < length
 *       16 bytes at a time: i16x8.extend_low/high_i8x16_u then i16x8.add into u16 lanes. Up to
 *       257 rows of bytes fit in u16; an area cell spans at most ceil(scale) + 1 rows.
 *   hpass(src, cells, count, padValue, dst)    the horizontal area pass over one row of u16 RGB
 *       sums: per destination cell, the whole pixels' run summed as integers and weighted once,
 *       the two partial edge pixels weighted, padding pixels valued `padValue`; f64 RGB out.
 *
 * A cell record is 48 bytes: runStart i32, runEnd i32 (byte offsets into the row), runPad i32
 * (padding pixels in the run), edge0 i32, edge1 i32 (byte offsets, -1 for padding), pad, then
 * runWeight f64, edge0Weight f64, edge1Weight f64 (0 for no edge).
 */

export const CELL_BYTES = 48;

export interface AreaKernel {
  readonly memory: { readonly buffer: ArrayBuffer };
  /** Grows the memory to at least `bytes`; views made before must be made again. */
  reserve(bytes: number): void;
  sumRows(src: number, length: number, rows: number, stride: number, acc: number): void;
  hpass(src: number, cells: number, count: number, padValue: number, dst: number): void;
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
const str = (text: string) => [...leb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
const section = (id: number, bytes: number[]) => [id, ...leb(bytes.length), ...bytes];
const [I32, F64, V128] = [0x7f, 0x7c, 0x7b];
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const i32c = (n: number) => [0x41, n]; // 0..63 only (one-byte SLEB128)
const mem = (op: number, offset = 0) => [op, 0x00, ...leb(offset)];
const simd = (op: number) => [0xfd, ...leb(op)];
const OP = {
  add: 0x6a, mul: 0x6c, shl: 0x74, geU: 0x4f, ltS: 0x48, br: 0x0c, brIf: 0x0d, end: 0x0b, else: 0x05,
  i32Load: 0x28, i32Load16U: 0x2f, f64Load: 0x2b, f64Store: 0x39, f64Add: 0xa0, f64Mul: 0xa2, f64FromI32: 0xb7,
};
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const IF = [0x04, 0x40];

/** sumRows params: 0 src, 1 length, 2 rows, 3 stride, 4 acc; locals: 5 r, 6 i, 7 p, 8 a, 9 v (v128). */
function sumRowsBody(): number[] {
  return [
    ...vec([[4, I32], [1, V128]]),
    ...i32c(0), ...set(5),
    ...BLOCK, ...LOOP,
    ...get(5), ...get(2), OP.geU, OP.brIf, 1,
    ...get(0), ...get(5), ...get(3), OP.mul, OP.add, ...set(7),
    ...i32c(0), ...set(6),
    ...BLOCK, ...LOOP,
    ...get(6), ...get(1), OP.geU, OP.brIf, 1,
    ...get(7), ...get(6), OP.add, ...simd(0x00), 0x00, 0x00, ...set(9),
    ...get(4), ...get(6), ...i32c(1), OP.shl, OP.add, ...set(8),
    ...get(8), ...get(8), ...simd(0x00), 0x00, 0x00, ...get(9), ...simd(0x89), ...simd(0x8e), ...simd(0x0b), 0x00, 0x00,
    ...get(8), ...get(8), ...simd(0x00), 0x00, 16, ...get(9), ...simd(0x8a), ...simd(0x8e), ...simd(0x0b), 0x00, 16,
    ...get(6), ...i32c(16), OP.add, ...set(6),
    OP.br, 0,
    OP.end, OP.end,
    ...get(5), ...i32c(1), OP.add, ...set(5),
    OP.br, 0,
    OP.end, OP.end,
    OP.end,
  ];
}

/**
 * hpass params: 0 src, 1 cells, 2 count, 3 padValue (f64), 4 dst;
 * locals: 5 d, 6 c, 7 p, 8 end, 9 r, 10 g, 11 b, 12 o (i32); 13 rf, 14 gf, 15 bf, 16 w (f64).
 */
function hpassBody(): number[] {
  const addEdge = (offsetField: number, weightField: number) => [
    ...get(6), ...mem(OP.i32Load, offsetField), ...set(12),
    ...get(6), ...mem(OP.f64Load, weightField), ...set(16),
    ...get(12), ...i32c(0), OP.ltS,
    ...IF,
    ...[13, 14, 15].flatMap((l) => [...get(l), ...get(3), ...get(16), OP.f64Mul, OP.f64Add, ...set(l)]),
    OP.else,
    ...[13, 14, 15].flatMap((l, k) => [...get(l), ...get(0), ...get(12), OP.add, ...mem(OP.i32Load16U, k * 2), OP.f64FromI32, ...get(16), OP.f64Mul, OP.f64Add, ...set(l)]),
    OP.end,
  ];
  return [
    ...vec([[8, I32], [4, F64]]),
    ...i32c(0), ...set(5),
    ...BLOCK, ...LOOP,
    ...get(5), ...get(2), OP.geU, OP.brIf, 1,
    // c = cells + d * 48
    ...get(1), ...get(5), ...i32c(48), OP.mul, OP.add, ...set(6),
    ...i32c(0), ...set(9), ...i32c(0), ...set(10), ...i32c(0), ...set(11),
    ...get(0), ...get(6), ...mem(OP.i32Load, 0), OP.add, ...set(7),
    ...get(0), ...get(6), ...mem(OP.i32Load, 4), OP.add, ...set(8),
    ...BLOCK, ...LOOP,
    ...get(7), ...get(8), OP.geU, OP.brIf, 1,
    ...[9, 10, 11].flatMap((l, k) => [...get(l), ...get(7), ...mem(OP.i32Load16U, k * 2), OP.add, ...set(l)]),
    ...get(7), ...i32c(6), OP.add, ...set(7),
    OP.br, 0,
    OP.end, OP.end,
    // channel = (sum + runPad * padValue) * runWeight
    ...get(6), ...mem(OP.f64Load, 24), ...set(16),
    ...[
      [9, 13],
      [10, 14],
      [11, 15],
    ].flatMap(([sum, out]) => [
      ...get(sum as number), OP.f64FromI32,
      ...get(6), ...mem(OP.i32Load, 8), OP.f64FromI32, ...get(3), OP.f64Mul,
      OP.f64Add, ...get(16), OP.f64Mul, ...set(out as number),
    ]),
    ...addEdge(12, 32),
    ...addEdge(16, 40),
    // dst + d * 24 <- rf, gf, bf
    ...[13, 14, 15].flatMap((l, k) => [...get(4), ...get(5), ...i32c(24), OP.mul, OP.add, ...get(l), ...mem(OP.f64Store, k * 8)]),
    ...get(5), ...i32c(1), OP.add, ...set(5),
    OP.br, 0,
    OP.end, OP.end,
    OP.end,
  ];
}

function moduleBytes(): Uint8Array {
  const sumRowsType = [0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0];
  const hpassType = [0x60, ...vec([[I32], [I32], [I32], [F64], [I32]]), 0];
  const sumRows = sumRowsBody();
  const hpass = hpassBody();
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec([sumRowsType, hpassType])),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, 0x00, 1]])),
    ...section(3, vec([[0], [1]])),
    ...section(7, vec([[...str('sumRows'), 0x00, 0], [...str('hpass'), 0x00, 1]])),
    ...section(10, vec([[...leb(sumRows.length), ...sumRows], [...leb(hpass.length), ...hpass]])),
  ]);
}

// The WebAssembly API (a Node global; TypeScript's DOM-free lib does not declare it).
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer; grow(pages: number): number };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}

let state: AreaKernel | null | undefined;

/** The kernel, or null where WebAssembly SIMD is unavailable (callers fall back to JavaScript). */
export function areaKernel(): AreaKernel | null {
  if (state !== undefined) return state;
  try {
    const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
    const bytes = moduleBytes();
    if (!wasm || !wasm.validate(bytes)) return (state = null);
    const memory = new wasm.Memory({ initial: 1 });
    const { exports } = new wasm.Instance(new wasm.Module(bytes), { env: { memory } });
    state = {
      memory,
      reserve(bytes) {
        if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
      },
      sumRows: exports.sumRows as AreaKernel['sumRows'],
      hpass: exports.hpass as AreaKernel['hpass'],
    };
  } catch {
    state = null;
  }
  return state;
}

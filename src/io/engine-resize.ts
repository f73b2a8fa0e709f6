/**
 * The WD14 tagger's image preprocessing, pixel for pixel as the engine does it
 * (sd-scripts finetune/tag_images_by_wd14_tagger.py `preprocess_image` and library/utils.py
 * `resize_image`; sd-scripts.md 8.1):
 *   1. transparent pixels composited onto white with PIL's `paste(mask=alpha)` arithmetic;
 *   2. RGB -> BGR;
 *   3. padded to a square with 255, the left/top side getting floor(padding / 2);
 *   4. resized to the model's square size: OpenCV INTER_AREA when the square is at least that
 *      size, Pillow LANCZOS when it is smaller;
 *   5. float32, 0-255 (no normalisation), NHWC.
 * (Pillow's parts, the alpha compositing and LANCZOS, are in pil-image.ts.)
 * INTER_AREA follows OpenCV's resizeArea (its float32 weight table, round half to even; sums
 * are kept in double precision, so a result can differ by 1 only where OpenCV's float32 sum
 * lands on the other side of a rounding tie) and its integer-scale fast path; LANCZOS follows Pillow's fixed-point resampler (22 fraction bits,
 * horizontal pass first). Pure functions: no I/O.
 */

import { areaKernel, CELL_BYTES, type AreaKernel } from './area-kernel.js';
import { lanczosResize } from './pil-image.js';

export interface SquarePadding {
  readonly size: number;
  readonly left: number;
  readonly top: number;
}

/** np.pad amounts of the engine: the left/top side gets the smaller half. */
export function squarePadding(width: number, height: number): SquarePadding {
  const size = Math.max(width, height);
  return { size, left: Math.floor((size - width) / 2), top: Math.floor((size - height) / 2) };
}

/** Rounds like OpenCV's cvRound (lrint: half to even). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && (r & 1) === 1 ? r - 1 : r;
}

function clamp8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

interface AreaTab {
  /** Destination index of each entry. */
  readonly di: Int32Array;
  /** Source index (padded coordinates) of each entry. */
  readonly si: Int32Array;
  /** Weight, a float32 as OpenCV stores it. */
  readonly alpha: Float32Array;
}

/** OpenCV computeResizeAreaTab for one axis. */
function computeAreaTab(ssize: number, dsize: number, scale: number): AreaTab {
  const di: number[] = [];
  const si: number[] = [];
  const alpha: number[] = [];
  for (let dx = 0; dx < dsize; dx++) {
    const fsx1 = dx * scale;
    const fsx2 = fsx1 + scale;
    const cellWidth = Math.min(scale, ssize - fsx1);
    let sx1 = Math.ceil(fsx1);
    let sx2 = Math.floor(fsx2);
    sx2 = Math.min(sx2, ssize - 1);
    sx1 = Math.min(sx1, sx2);
    if (sx1 - fsx1 > 1e-3) {
      di.push(dx);
      si.push(sx1 - 1);
      alpha.push((sx1 - fsx1) / cellWidth);
    }
    for (let sx = sx1; sx < sx2; sx++) {
      di.push(dx);
      si.push(sx);
      alpha.push(1 / cellWidth);
    }
    if (fsx2 - sx2 > 1e-3) {
      di.push(dx);
      si.push(sx2);
      alpha.push(Math.min(Math.min(fsx2 - sx2, 1), cellWidth) / cellWidth);
    }
  }
  return { di: Int32Array.from(di), si: Int32Array.from(si), alpha: Float32Array.from(alpha) };
}

/**
 * Pads an RGB image (conceptually: the padding is never materialised) and shrinks it with
 * OpenCV INTER_AREA to `out` x `out`. Returns RGB uint8.
 */
export function padAndAreaResize(rgb: Uint8Array, width: number, height: number, out: number, options: { readonly simd?: boolean } = {}): Uint8Array {
  const { size, left, top } = squarePadding(width, height);
  if (size < out) throw new RangeError(`INTER_AREA shrinks only (${size} < ${out})`);
  if (size === out) {
    // cv2.resize to the same size is a copy.
    const copy = new Uint8Array(out * out * 3).fill(255);
    for (let y = 0; y < height; y++) copy.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), ((y + top) * out + left) * 3);
    return copy;
  }
  const inv = out / size;
  const scale = 1 / inv;
  const iscale = Math.round(scale);
  if (Math.abs(scale - iscale) < Number.EPSILON) return areaFastInteger(rgb, width, height, left, top, out, iscale);
  const tab = computeAreaTab(size, out, scale);
  const cells = groupCells(tab, out, scale, size);
  const kernel = options.simd === false ? null : areaKernel();
  return kernel ? areaWithKernel(kernel, rgb, width, height, left, top, cells) : areaHorizontalFirst(rgb, width, height, left, top, cells, tab);
}

/**
 * Area resizing is linear and separable, so each destination row is
 *   runWeight * H(sum of the cell's whole rows) + sum(edgeWeight * H(edge row))
 * where H is the horizontal pass. The whole rows (the bulk of the pixels) are summed and H is
 * computed by the WebAssembly kernel (area-kernel.ts); H runs only on those sums and on the
 * edge rows.
 */
function areaWithKernel(kernel: AreaKernel, rgb: Uint8Array, width: number, height: number, left: number, top: number, cells: readonly Cell[]): Uint8Array {
  const out = cells.length;
  const rowBytes = width * 3;
  const paddedRow = Math.ceil(rowBytes / 16) * 16;
  const align = (n: number) => Math.ceil(n / 16) * 16;
  // Memory: a window of source rows (one cell's worth, copied in as needed; the last row is read
  // up to 15 bytes past its end), one u16 row of sums, the cell table, one f64 RGB output row.
  const maxRows = cells.reduce((m, c) => Math.max(m, c.runTo - c.runFrom), 1);
  const accOff = align(maxRows * rowBytes + 32);
  const cellsOff = align(accOff + paddedRow * 2);
  const runOff = align(cellsOff + out * CELL_BYTES);
  kernel.reserve(runOff + out * 3 * 8 + 64);
  const buffer = kernel.memory.buffer;
  const window = new Uint8Array(buffer, 0, maxRows * rowBytes);
  const table = new DataView(buffer, cellsOff, out * CELL_BYTES);
  const edgeOffset = (si: number) => (si - left >= 0 && si - left < width ? (si - left) * 6 : -1);
  cells.forEach((c, d) => {
    const inFrom = Math.min(Math.max(c.runFrom - left, 0), width);
    const inTo = Math.min(Math.max(c.runTo - left, 0), width);
    const o = d * CELL_BYTES;
    table.setInt32(o, inFrom * 6, true);
    table.setInt32(o + 4, inTo * 6, true);
    table.setInt32(o + 8, c.runTo - c.runFrom - (inTo - inFrom), true);
    c.edges.slice(0, 2).forEach(([si, w], e) => {
      table.setInt32(o + 12 + e * 4, edgeOffset(si), true);
      table.setFloat64(o + 32 + e * 8, w, true);
    });
    for (let e = c.edges.length; e < 2; e++) {
      table.setInt32(o + 12 + e * 4, -1, true);
      table.setFloat64(o + 32 + e * 8, 0, true);
    }
    table.setFloat64(o + 24, c.runW, true);
  });
  const acc = new Uint16Array(buffer, accOff, paddedRow);
  const pass = new Float64Array(buffer, runOff, out * 3);
  const constant = horizontalPass(cells, width, left);
  const rowH = (first: number, rows: number, padValue: number, target: Float64Array) => {
    window.set(rgb.subarray(first * rowBytes, (first + rows) * rowBytes));
    acc.fill(0);
    kernel.sumRows(0, paddedRow, rows, rowBytes, accOff);
    kernel.hpass(accOff, cellsOff, out, padValue, runOff);
    target.set(pass);
  };
  const edgeCache = new Map<number, Float64Array>();
  const edgeH = (sy: number): Float64Array => {
    let cached = edgeCache.get(sy);
    if (!cached) {
      cached = new Float64Array(out * 3);
      const y = sy - top;
      if (y < 0 || y >= height) constant(undefined, 0, 255, cached);
      else rowH(y, 1, 255, cached);
      if (edgeCache.size > 4) edgeCache.clear();
      edgeCache.set(sy, cached);
    }
    return cached;
  };
  const dst = new Uint8Array(out * out * 3);
  const line = new Float64Array(out * 3);
  const runH = new Float64Array(out * 3);
  for (let dy = 0; dy < out; dy++) {
    const cell = cells[dy] as Cell;
    // Rows [runFrom, runTo) split into padding above, image rows, padding below.
    const firstImage = Math.min(Math.max(cell.runFrom - top, 0), height);
    const endImage = Math.min(Math.max(cell.runTo - top, 0), height);
    const imageRows = Math.max(0, endImage - firstImage);
    const padRows = cell.runTo - cell.runFrom - imageRows;
    line.fill(0);
    if (imageRows + padRows > 0) {
      // Padding rows are all 255; so are the padding columns of every summed row.
      if (imageRows > 0) rowH(firstImage, imageRows, 255 * (imageRows + padRows), runH);
      else constant(undefined, 0, 255 * padRows, runH);
      if (imageRows > 0 && padRows > 0) addPaddingRows(runH, cells, width, left, 255 * padRows);
      for (let i = 0; i < line.length; i++) line[i] = (runH[i] as number) * cell.runW;
    }
    for (const [sy, weight] of cell.edges) {
      const e = edgeH(sy);
      for (let i = 0; i < line.length; i++) line[i] = (line[i] as number) + (e[i] as number) * weight;
    }
    const o = dy * out * 3;
    for (let i = 0; i < out * 3; i++) dst[o + i] = clamp8(roundHalfEven(line[i] as number));
  }
  return dst;
}

/** The same result without WebAssembly: each source row through H, then rows weighted into their cells. */
function areaHorizontalFirst(rgb: Uint8Array, width: number, height: number, left: number, top: number, cells: readonly Cell[], tab: AreaTab): Uint8Array {
  const out = cells.length;
  const rowW = out * 3;
  const h = horizontalPass(cells, width, left);
  const padRow = new Float64Array(rowW);
  h(undefined, 0, 255, padRow);
  const sum = new Float64Array(out * rowW);
  const row = new Float64Array(rowW);
  for (let j = 0; j < tab.di.length; j++) {
    const beta = tab.alpha[j] as number;
    const o = (tab.di[j] as number) * rowW;
    const y = (tab.si[j] as number) - top;
    let src: Float64Array;
    if (y < 0 || y >= height) {
      src = padRow;
    } else {
      // A source row overlapping two destination rows comes twice in a row in the table.
      if (j === 0 || tab.si[j - 1] !== tab.si[j]) h(rgb, y * width * 3, 255, row);
      src = row;
    }
    for (let i = 0; i < rowW; i++) sum[o + i] = (sum[o + i] as number) + beta * (src[i] as number);
  }
  const dst = new Uint8Array(out * rowW);
  for (let i = 0; i < dst.length; i++) dst[i] = clamp8(roundHalfEven(sum[i] as number));
  return dst;
}

interface Cell {
  /** Source pixels [runFrom, runTo) (padded coordinates) are wholly inside the cell; weight runW. */
  readonly runFrom: number;
  readonly runTo: number;
  readonly runW: number;
  /** Pixels partly inside the cell: [source index, weight]. */
  readonly edges: readonly (readonly [number, number])[];
}

/** OpenCV's area table grouped by destination cell: one weight for whole pixels, the partial ends. */
function groupCells(tab: AreaTab, out: number, scale: number, size: number): Cell[] {
  const cells: Cell[] = [];
  let k = 0;
  for (let d = 0; d < out; d++) {
    const whole = Math.fround(1 / Math.min(scale, size - d * scale));
    const edges: [number, number][] = [];
    let runFrom = 0;
    let runTo = 0;
    for (; k < tab.di.length && tab.di[k] === d; k++) {
      const si = tab.si[k] as number;
      if (tab.alpha[k] === whole) {
        if (runTo === 0) runFrom = si;
        runTo = si + 1;
      } else {
        edges.push([si, tab.alpha[k] as number]);
      }
    }
    cells.push({ runFrom, runTo, runW: whole, edges });
  }
  return cells;
}

type HorizontalPass = (src: Uint8Array | Uint16Array | undefined, base: number, padValue: number, target: Float64Array) => void;

/**
 * The horizontal area pass over one row (RGB interleaved) of `width` pixels starting at `base`
 * in `src`; pixels in the padding columns (or every pixel, when `src` is undefined) are `padValue`.
 */
function horizontalPass(cells: readonly Cell[], width: number, left: number): HorizontalPass {
  const n = cells.length;
  const runStart = new Int32Array(n);
  const runEnd = new Int32Array(n);
  const runPad = new Int32Array(n);
  const runW = new Float64Array(n);
  const edgeOffsets: Int32Array[] = [];
  const edgeWeights: Float64Array[] = [];
  cells.forEach((c, d) => {
    const inFrom = Math.min(Math.max(c.runFrom - left, 0), width);
    const inTo = Math.min(Math.max(c.runTo - left, 0), width);
    runStart[d] = inFrom * 3;
    runEnd[d] = inTo * 3;
    runPad[d] = c.runTo - c.runFrom - (inTo - inFrom);
    runW[d] = c.runW;
    edgeOffsets.push(Int32Array.from(c.edges, ([si]) => (si - left >= 0 && si - left < width ? (si - left) * 3 : -1)));
    edgeWeights.push(Float64Array.from(c.edges, ([, w]) => w));
  });
  return (src, base, padValue, target) => {
    for (let d = 0; d < n; d++) {
      let r = (runPad[d] as number) * padValue;
      let g = r;
      let b = r;
      if (src) {
        const end = base + (runEnd[d] as number);
        for (let s = base + (runStart[d] as number); s < end; s += 3) {
          r += src[s] as number;
          g += src[s + 1] as number;
          b += src[s + 2] as number;
        }
      } else {
        const count = ((runEnd[d] as number) - (runStart[d] as number)) / 3;
        r += count * padValue;
        g += count * padValue;
        b += count * padValue;
      }
      const w = runW[d] as number;
      r *= w;
      g *= w;
      b *= w;
      const offsets = edgeOffsets[d] as Int32Array;
      const weights = edgeWeights[d] as Float64Array;
      for (let e = 0; e < offsets.length; e++) {
        const o = offsets[e] as number;
        const ew = weights[e] as number;
        if (o < 0 || !src) {
          r += padValue * ew;
          g += padValue * ew;
          b += padValue * ew;
        } else {
          r += (src[base + o] as number) * ew;
          g += (src[base + o + 1] as number) * ew;
          b += (src[base + o + 2] as number) * ew;
        }
      }
      target[d * 3] = r;
      target[d * 3 + 1] = g;
      target[d * 3 + 2] = b;
    }
  };
}

/** Adds `value` for every image-column pixel of each horizontal cell (rows of padding summed into a run). */
function addPaddingRows(target: Float64Array, cells: readonly Cell[], width: number, left: number, value: number): void {
  cells.forEach((c, d) => {
    const inFrom = Math.min(Math.max(c.runFrom - left, 0), width);
    const inTo = Math.min(Math.max(c.runTo - left, 0), width);
    let v = (inTo - inFrom) * value * c.runW;
    for (const [si, w] of c.edges) if (si - left >= 0 && si - left < width) v += value * w;
    target[d * 3] = (target[d * 3] as number) + v;
    target[d * 3 + 1] = (target[d * 3 + 1] as number) + v;
    target[d * 3 + 2] = (target[d * 3 + 2] as number) + v;
  });
}

/**
 * OpenCV's resizeAreaFast for an integer scale: the mean of each scale x scale block. The
 * 2x case is vectorised in OpenCV as (a + b + c + d + 2) >> 2; other scales round
 * sum * (1/area) half to even.
 */
function areaFastInteger(rgb: Uint8Array, width: number, height: number, left: number, top: number, out: number, scale: number): Uint8Array {
  const dst = new Uint8Array(out * out * 3);
  const area = scale * scale;
  const inv = Math.fround(1 / area);
  const at = (x: number, y: number, c: number) => {
    const ix = x - left;
    const iy = y - top;
    return ix >= 0 && ix < width && iy >= 0 && iy < height ? (rgb[(iy * width + ix) * 3 + c] as number) : 255;
  };
  for (let dy = 0; dy < out; dy++) {
    for (let dx = 0; dx < out; dx++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let ky = 0; ky < scale; ky++) for (let kx = 0; kx < scale; kx++) sum += at(dx * scale + kx, dy * scale + ky, c);
        dst[(dy * out + dx) * 3 + c] = scale === 2 ? (sum + 2) >> 2 : clamp8(roundHalfEven(Math.fround(sum * inv)));
      }
    }
  }
  return dst;
}

/** Pads an RGB image to a square with 255 (materialised; used for small images only). */
export function padToSquare(rgb: Uint8Array, width: number, height: number): { data: Uint8Array; size: number } {
  const { size, left, top } = squarePadding(width, height);
  const data = new Uint8Array(size * size * 3).fill(255);
  for (let y = 0; y < height; y++) data.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), ((y + top) * size + left) * 3);
  return { data, size };
}

/**
 * The tagger input for one RGB image: padded, resized to `size` with the engine's rule, BGR,
 * float32 0-255, HWC. Writes into `out` (length size*size*3) when given.
 */
export function taggerTensorFromRgb(rgb: Uint8Array, width: number, height: number, size: number, out: Float32Array = new Float32Array(size * size * 3)): Float32Array {
  const padded = squarePadding(width, height);
  let resized: Uint8Array;
  if (padded.size >= size) {
    resized = padAndAreaResize(rgb, width, height, size);
  } else {
    const square = padToSquare(rgb, width, height);
    resized = lanczosResize(square.data, square.size, square.size, size, size);
  }
  for (let p = 0; p < size * size; p++) {
    out[p * 3] = resized[p * 3 + 2] as number;
    out[p * 3 + 1] = resized[p * 3 + 1] as number;
    out[p * 3 + 2] = resized[p * 3] as number;
  }
  return out;
}

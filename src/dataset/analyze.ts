/**
 * Pixel measurements for the doctor, from one decode of each photo at a normalised size (long
 * side ANALYSIS_SIDE_PX). Pure functions over raw pixels; the decode is in analysis-cache.ts.
 */

/**
 * 800 rather than the 1024 the trainer uses: a 12 MP photo then decodes at half size straight
 * from the JPEG (shrink-on-load), which makes the doctor's first run a third faster, and blur
 * still separates as cleanly (bench/sharpness.ts: every calibration photo lands in the same
 * class as when measured at 1024, with the thresholds scaled by the measured 2.4x).
 */
export const ANALYSIS_SIDE_PX = 800;
/** Bump when a measurement changes, so cached results are recomputed. */
export const ANALYSIS_VERSION = 4;

export interface PixelStats {
  /**
   * Sharpness: mean Laplacian variance of the sharpest quarter of 8x8 tiles (the in-focus part),
   * with low-contrast images levelled first so a dark but sharp photo does not read as blurry.
   */
  readonly sharpness: number;
  /** Laplacian variance of the whole image. */
  readonly sharpnessGlobal: number;
  /** Mean luma, 0-255. */
  readonly meanLuma: number;
  /** Share of pixels with luma below 16 (crushed shadows). */
  readonly darkFraction: number;
  /** Share of pixels with luma 250 or more (blown highlights). */
  readonly clippedFraction: number;
  /** Mean of max(R,G,B) - min(R,G,B): near 0 for black-and-white photos. */
  readonly colorfulness: number;
  /** 64-bit DCT perceptual hash (hex). */
  readonly phash: string;
  /** 64-bit difference hash (hex). */
  readonly dhash: string;
  /** 8x8 RGB thumbnail (hex, 192 bytes): tells look-alike compositions from true copies. */
  readonly thumb: string;
}

export const THUMB_SIDE = 8;

const TILE_GRID = 8;

function bitsToHex(bits: boolean[]): string {
  let hex = '';
  for (let i = 0; i < bits.length; i += 4) {
    hex += ((bits[i] ? 8 : 0) | (bits[i + 1] ? 4 : 0) | (bits[i + 2] ? 2 : 0) | (bits[i + 3] ? 1 : 0)).toString(16);
  }
  return hex;
}

const DCT_N = 32;
const DCT_COS: Float64Array = (() => {
  const table = new Float64Array(DCT_N * DCT_N);
  for (let k = 0; k < DCT_N; k++) for (let n = 0; n < DCT_N; n++) table[k * DCT_N + n] = Math.cos((Math.PI / DCT_N) * (n + 0.5) * k);
  return table;
})();

/** pHash: 32x32 luma -> 2-D DCT-II -> the 8x8 lowest frequencies vs their median (DC excluded). */
export function perceptualHash(small: ArrayLike<number>): string {
  const coeffs: number[] = [];
  for (let u = 0; u < 8; u++) {
    for (let v = 0; v < 8; v++) {
      let sum = 0;
      for (let y = 0; y < DCT_N; y++) {
        const cy = DCT_COS[u * DCT_N + y] as number;
        for (let x = 0; x < DCT_N; x++) sum += cy * (DCT_COS[v * DCT_N + x] as number) * (small[y * DCT_N + x] as number);
      }
      coeffs.push(sum);
    }
  }
  const sorted = coeffs.slice(1).sort((a, b) => a - b);
  const median = ((sorted[31] as number) + (sorted[32] as number)) / 2;
  return bitsToHex(coeffs.map((c) => c > median));
}

/** dHash: 9x8 luma, each pixel brighter than its right neighbour. */
export function differenceHash(small: ArrayLike<number>): string {
  const bits: boolean[] = [];
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) bits.push((small[y * 9 + x] as number) > (small[y * 9 + x + 1] as number));
  return bitsToHex(bits);
}

/** A 64-bit hash as two 32-bit halves, for fast comparison of many pairs. */
export function hashWords(hex: string): [number, number] {
  return [parseInt(hex.slice(0, 8), 16) >>> 0, parseInt(hex.slice(8, 16), 16) >>> 0];
}

function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export function hammingWords(a: readonly [number, number], b: readonly [number, number]): number {
  return popcount32((a[0] ^ b[0]) >>> 0) + popcount32((a[1] ^ b[1]) >>> 0);
}

export function hammingDistance(a: string, b: string): number {
  if (a.length === 16 && b.length === 16) return hammingWords(hashWords(a), hashWords(b));
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    let x = parseInt(a[i] as string, 16) ^ parseInt(b[i] as string, 16);
    while (x) {
      d += x & 1;
      x >>= 1;
    }
  }
  return d;
}

function thumbnailHex(means: Float64Array): string {
  let hex = '';
  for (let i = 0; i < means.length; i++) hex += Math.round(means[i] as number).toString(16).padStart(2, '0');
  return hex;
}

export function thumbValues(hex: string): number[] {
  const values: number[] = [];
  for (let i = 0; i + 1 < hex.length; i += 2) values.push(parseInt(hex.slice(i, i + 2), 16));
  const mean = values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
  return values.map((v) => v - mean);
}

/**
 * Mean absolute difference (0-255) between two thumbnails after removing each one's overall
 * brightness, so a brightened copy still matches while different colours do not.
 */
export function thumbnailDistance(a: string, b: string): number {
  return thumbValueDistance(thumbValues(a), thumbValues(b));
}

export function thumbValueDistance(va: readonly number[], vb: readonly number[]): number {
  const n = Math.min(va.length, vb.length);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs((va[i] as number) - (vb[i] as number));
  return n ? sum / n : 255;
}

/**
 * How much to stretch the luma range (1st to 99th percentile) to a normal photo's ~200 levels:
 * only boosts low-contrast images (at most 8x), never reduces.
 */
function contrastGain(histogram: Uint32Array, total: number): number {
  const at = (fraction: number) => {
    let seen = 0;
    const target = fraction * total;
    for (let v = 0; v < 256; v++) {
      seen += histogram[v] as number;
      if (seen >= target) return v;
    }
    return 255;
  };
  const range = at(0.99) - at(0.01);
  return Math.min(8, Math.max(1, 200 / Math.max(range, 1)));
}

/** For each index along a side of `length` pixels, the grid cell (of `cells`) it falls in, times `stride`. */
function cellIndex(length: number, cells: number, stride: number): Int32Array {
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.min(cells - 1, Math.floor((i * cells) / length)) * stride;
  return out;
}

function cellMeans(sums: Float64Array, counts: Uint32Array, channels: number): Float64Array {
  const out = new Float64Array(sums.length);
  for (let c = 0; c < counts.length; c++) {
    const n = Math.max(1, counts[c] as number);
    for (let k = 0; k < channels; k++) out[c * channels + k] = (sums[c * channels + k] as number) / n;
  }
  return out;
}

/** Luma of one row of 8-bit RGB into `out`. */
function lumaRow(rgb: Uint8Array, width: number, y: number, out: Float32Array): void {
  for (let x = 0, p = y * width * 3; x < width; x++, p += 3) out[x] = 0.299 * (rgb[p] as number) + 0.587 * (rgb[p + 1] as number) + 0.114 * (rgb[p + 2] as number);
}

/**
 * Laplacian (4-neighbour) sums over one row, split at the tile boundaries `tileStarts` (x0 of
 * each of TILE_GRID tiles, then the end), added into the row's tiles from `tileBase`.
 */
function laplacianRow(above: Float32Array, here: Float32Array, below: Float32Array, tileStarts: Int32Array, tileBase: number, sum: Float64Array, sumSq: Float64Array, count: Float64Array): void {
  for (let tc = 0; tc < TILE_GRID; tc++) {
    const x0 = tileStarts[tc] as number;
    const x1 = tileStarts[tc + 1] as number;
    let s = 0;
    let q = 0;
    for (let x = x0; x < x1; x++) {
      const lap = (here[x - 1] as number) + (here[x + 1] as number) + (above[x] as number) + (below[x] as number) - 4 * (here[x] as number);
      s += lap;
      q += lap * lap;
    }
    const t = tileBase + tc;
    sum[t] = (sum[t] as number) + s;
    sumSq[t] = (sumSq[t] as number) + q;
    count[t] = (count[t] as number) + Math.max(0, x1 - x0);
  }
}

/**
 * All measurements from an 8-bit RGB image (already at the normalised size), in one pass over
 * its rows: each row's luma is computed once and serves both the Laplacian (every pixel) and
 * the statistics (brightness, colour and the hash grids), which read every second pixel of
 * every second row: the same figures at a quarter of the cost.
 */
export function measurePixels(rgb: Uint8Array, width: number, height: number): PixelStats {
  const histogram = new Uint32Array(256);
  const dctSums = new Float64Array(DCT_N * DCT_N);
  const dctCounts = new Uint32Array(DCT_N * DCT_N);
  const dSums = new Float64Array(9 * 8);
  const dCounts = new Uint32Array(9 * 8);
  const thumbSums = new Float64Array(THUMB_SIDE * THUMB_SIDE * 3);
  const thumbCounts = new Uint32Array(THUMB_SIDE * THUMB_SIDE);
  const dctCol = cellIndex(width, DCT_N, 1);
  const dctRow = cellIndex(height, DCT_N, DCT_N);
  const dCol = cellIndex(width, 9, 1);
  const dRow = cellIndex(height, 8, 9);
  const thumbCol = cellIndex(width, THUMB_SIDE, 1);
  const thumbRow = cellIndex(height, THUMB_SIDE, THUMB_SIDE);
  let lumaSum = 0;
  let dark = 0;
  let clipped = 0;
  let chroma = 0;
  let sampled = 0;

  const tileW = Math.max(1, Math.floor((width - 2) / TILE_GRID));
  const tileH = Math.max(1, Math.floor((height - 2) / TILE_GRID));
  const tileStarts = new Int32Array(TILE_GRID + 1);
  for (let tc = 0; tc < TILE_GRID; tc++) tileStarts[tc] = 1 + tc * tileW;
  for (let tc = 0; tc < TILE_GRID; tc++) tileStarts[tc + 1] = tc === TILE_GRID - 1 ? width - 1 : Math.min(width - 1, (tileStarts[tc] as number) + tileW);
  const tiles = TILE_GRID * TILE_GRID;
  const sum = new Float64Array(tiles);
  const sumSq = new Float64Array(tiles);
  const count = new Float64Array(tiles);
  const rows = [new Float32Array(width), new Float32Array(width), new Float32Array(width)];

  for (let y = 0; y < height; y++) {
    const luma = rows[y % 3] as Float32Array;
    lumaRow(rgb, width, y, luma);
    if (y % 2 === 0) {
      const dctBase = dctRow[y] as number;
      const dBase = dRow[y] as number;
      const thumbBase = thumbRow[y] as number;
      for (let x = 0, p = y * width * 3; x < width; x += 2, p += 6) {
        const r = rgb[p] as number;
        const g = rgb[p + 1] as number;
        const b = rgb[p + 2] as number;
        const l = luma[x] as number;
        lumaSum += l;
        if (l < 16) dark++;
        if (l >= 250) clipped++;
        const bin = l < 255 ? (l + 0.5) | 0 : 255;
        histogram[bin] = (histogram[bin] as number) + 1;
        const hi = r > g ? (r > b ? r : b) : g > b ? g : b;
        const lo = r < g ? (r < b ? r : b) : g < b ? g : b;
        chroma += hi - lo;
        const c1 = dctBase + (dctCol[x] as number);
        dctSums[c1] = (dctSums[c1] as number) + l;
        dctCounts[c1] = (dctCounts[c1] as number) + 1;
        const c2 = dBase + (dCol[x] as number);
        dSums[c2] = (dSums[c2] as number) + l;
        dCounts[c2] = (dCounts[c2] as number) + 1;
        const c3 = thumbBase + (thumbCol[x] as number);
        thumbSums[c3 * 3] = (thumbSums[c3 * 3] as number) + r;
        thumbSums[c3 * 3 + 1] = (thumbSums[c3 * 3 + 1] as number) + g;
        thumbSums[c3 * 3 + 2] = (thumbSums[c3 * 3 + 2] as number) + b;
        thumbCounts[c3] = (thumbCounts[c3] as number) + 1;
        sampled++;
      }
    }
    // The Laplacian of the row above, now that the row below it is known.
    if (y >= 2) {
      const tileBase = Math.min(TILE_GRID - 1, Math.floor((y - 2) / tileH)) * TILE_GRID;
      laplacianRow(rows[(y - 2) % 3] as Float32Array, rows[(y - 1) % 3] as Float32Array, luma, tileStarts, tileBase, sum, sumSq, count);
    }
  }

  const variances: number[] = [];
  let gSum = 0;
  let gSq = 0;
  let gCount = 0;
  for (let t = 0; t < tiles; t++) {
    const n = count[t] as number;
    gSum += sum[t] as number;
    gSq += sumSq[t] as number;
    gCount += n;
    if (n > 0) variances.push((sumSq[t] as number) / n - ((sum[t] as number) / n) ** 2);
  }
  variances.sort((a, b) => b - a);
  const top = variances.slice(0, Math.max(1, Math.floor(variances.length / 4)));
  const total = Math.max(1, sampled);
  const gain = contrastGain(histogram, total) ** 2;
  return {
    sharpness: (top.reduce((acc, v) => acc + v, 0) / Math.max(1, top.length)) * gain,
    sharpnessGlobal: (gCount ? gSq / gCount - (gSum / gCount) ** 2 : 0) * gain,
    meanLuma: lumaSum / total,
    darkFraction: dark / total,
    clippedFraction: clipped / total,
    colorfulness: chroma / total,
    phash: perceptualHash(cellMeans(dctSums, dctCounts, 1)),
    dhash: differenceHash(cellMeans(dSums, dCounts, 1)),
    thumb: thumbnailHex(cellMeans(thumbSums, thumbCounts, 3)),
  };
}

/**
 * Pixel measurements for the doctor, from one decode of each photo at a normalised size (long
 * side ANALYSIS_SIDE_PX). Pure functions over raw pixels; the decode is in doctor.ts.
 */

export const ANALYSIS_SIDE_PX = 1024;
/** Bump when a measurement changes, so cached results are recomputed. */
export const ANALYSIS_VERSION = 3;

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

/** Box-sum accumulator: maps every source pixel to one cell of a w x h grid. */
class GridSum {
  readonly sums: Float64Array;
  readonly counts: Uint32Array;
  private readonly colBin: Uint16Array;
  private readonly rowBin: Uint16Array;
  constructor(
    readonly w: number,
    readonly h: number,
    width: number,
    height: number,
    readonly channels: number,
  ) {
    this.sums = new Float64Array(w * h * channels);
    this.counts = new Uint32Array(w * h);
    this.colBin = Uint16Array.from({ length: width }, (_, x) => Math.min(w - 1, Math.floor((x * w) / width)));
    this.rowBin = Uint16Array.from({ length: height }, (_, y) => Math.min(h - 1, Math.floor((y * h) / height)));
  }
  cell(x: number, y: number): number {
    return (this.rowBin[y] as number) * this.w + (this.colBin[x] as number);
  }
  mean(): Float64Array {
    const out = new Float64Array(this.sums.length);
    for (let c = 0; c < this.counts.length; c++) {
      const n = Math.max(1, this.counts[c] as number);
      for (let k = 0; k < this.channels; k++) out[c * this.channels + k] = (this.sums[c * this.channels + k] as number) / n;
    }
    return out;
  }
}

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

/** Laplacian (4-neighbour) variance overall and per tile. */
/** Luma of one row of 8-bit RGB into `out`. */
function lumaRow(rgb: Uint8Array, width: number, y: number, out: Float32Array): void {
  for (let x = 0, p = y * width * 3; x < width; x++, p += 3) out[x] = 0.299 * (rgb[p] as number) + 0.587 * (rgb[p + 1] as number) + 0.114 * (rgb[p + 2] as number);
}

/**
 * Laplacian (4-neighbour) variance overall and per tile of an 8x8 grid, straight from RGB:
 * luma is computed a row at a time into three reused rows, and sums are kept in locals over
 * each tile's stretch of a row, so there is no full-size luma image and no per-pixel array write.
 */
function laplacianStats(rgb: Uint8Array, width: number, height: number): { global: number; topQuarter: number } {
  const tileW = Math.max(1, Math.floor((width - 2) / TILE_GRID));
  const tileH = Math.max(1, Math.floor((height - 2) / TILE_GRID));
  const tiles = TILE_GRID * TILE_GRID;
  const sum = new Float64Array(tiles);
  const sumSq = new Float64Array(tiles);
  const count = new Float64Array(tiles);
  let above = new Float32Array(width);
  let here = new Float32Array(width);
  let below = new Float32Array(width);
  if (height >= 3) {
    lumaRow(rgb, width, 0, above);
    lumaRow(rgb, width, 1, here);
  }
  for (let y = 1; y < height - 1; y++) {
    lumaRow(rgb, width, y + 1, below);
    const rowTile = Math.min(TILE_GRID - 1, Math.floor((y - 1) / tileH)) * TILE_GRID;
    for (let tc = 0; tc < TILE_GRID; tc++) {
      const x0 = 1 + tc * tileW;
      const x1 = tc === TILE_GRID - 1 ? width - 1 : Math.min(width - 1, x0 + tileW);
      let s = 0;
      let q = 0;
      for (let x = x0; x < x1; x++) {
        const lap = (here[x - 1] as number) + (here[x + 1] as number) + (above[x] as number) + (below[x] as number) - 4 * (here[x] as number);
        s += lap;
        q += lap * lap;
      }
      const t = rowTile + tc;
      sum[t] = (sum[t] as number) + s;
      sumSq[t] = (sumSq[t] as number) + q;
      count[t] = (count[t] as number) + Math.max(0, x1 - x0);
    }
    const recycled = above;
    above = here;
    here = below;
    below = recycled;
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
  return {
    global: gCount ? gSq / gCount - (gSum / gCount) ** 2 : 0,
    topQuarter: top.reduce((acc, v) => acc + v, 0) / top.length,
  };
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

/** All measurements from an 8-bit RGB image (already at the normalised size). */
export function measurePixels(rgb: Uint8Array, width: number, height: number): PixelStats {
  const n = width * height;
  // Brightness, colour and the hash grids are statistics: every second pixel in each direction
  // gives the same figures at a quarter of the cost. Only the Laplacian needs every pixel.
  const histogram = new Uint32Array(256);
  const dctGrid = new GridSum(DCT_N, DCT_N, width, height, 1);
  const dGrid = new GridSum(9, 8, width, height, 1);
  const thumbGrid = new GridSum(THUMB_SIDE, THUMB_SIDE, width, height, 3);
  let lumaSum = 0;
  let dark = 0;
  let clipped = 0;
  let chroma = 0;
  let sampled = 0;
  for (let y = 0; y < height; y += 2) {
    for (let x = 0; x < width; x += 2) {
      const i = y * width + x;
      const p = i * 3;
      const r = rgb[p] as number;
      const g = rgb[p + 1] as number;
      const b = rgb[p + 2] as number;
      const l = 0.299 * r + 0.587 * g + 0.114 * b;
      sampled++;
      lumaSum += l;
      if (l < 16) dark++;
      if (l >= 250) clipped++;
      const bin = l < 255 ? (l + 0.5) | 0 : 255;
      histogram[bin] = (histogram[bin] as number) + 1;
      const hi = r > g ? (r > b ? r : b) : g > b ? g : b;
      const lo = r < g ? (r < b ? r : b) : g < b ? g : b;
      chroma += hi - lo;
      const c1 = dctGrid.cell(x, y);
      dctGrid.sums[c1] = (dctGrid.sums[c1] as number) + l;
      dctGrid.counts[c1] = (dctGrid.counts[c1] as number) + 1;
      const c2 = dGrid.cell(x, y);
      dGrid.sums[c2] = (dGrid.sums[c2] as number) + l;
      dGrid.counts[c2] = (dGrid.counts[c2] as number) + 1;
      const c3 = thumbGrid.cell(x, y);
      thumbGrid.sums[c3 * 3] = (thumbGrid.sums[c3 * 3] as number) + r;
      thumbGrid.sums[c3 * 3 + 1] = (thumbGrid.sums[c3 * 3 + 1] as number) + g;
      thumbGrid.sums[c3 * 3 + 2] = (thumbGrid.sums[c3 * 3 + 2] as number) + b;
      thumbGrid.counts[c3] = (thumbGrid.counts[c3] as number) + 1;
    }
  }
  const total = Math.max(1, sampled);
  const lap = laplacianStats(rgb, width, height);
  const gain = contrastGain(histogram, total) ** 2;
  return {
    sharpness: lap.topQuarter * gain,
    sharpnessGlobal: lap.global * gain,
    meanLuma: lumaSum / total,
    darkFraction: dark / total,
    clippedFraction: clipped / total,
    colorfulness: chroma / total,
    phash: perceptualHash(dctGrid.mean()),
    dhash: differenceHash(dGrid.mean()),
    thumb: thumbnailHex(thumbGrid.mean()),
  };
}

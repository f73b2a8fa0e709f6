/**
 * Pixel measurements for the doctor, from one decode of each photo at a normalised size (long
 * side ANALYSIS_SIDE_PX). Pure functions over raw pixels; the decode is in doctor.ts.
 */

export const ANALYSIS_SIDE_PX = 1024;
/** Bump when a measurement changes, so cached results are recomputed. */
export const ANALYSIS_VERSION = 2;

export interface PixelStats {
  /** Sharpness: mean Laplacian variance of the sharpest quarter of 8x8 tiles (the in-focus part). */
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

function lumaOf(rgb: Uint8Array, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  for (let i = 0, p = 0; i < out.length; i++, p += 3) {
    out[i] = 0.299 * (rgb[p] as number) + 0.587 * (rgb[p + 1] as number) + 0.114 * (rgb[p + 2] as number);
  }
  return out;
}

/** Box-filter downsample of a single-channel image to w x h (area average). */
export function downsample(src: Float32Array, width: number, height: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor((y * height) / h);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * height) / h));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor((x * width) / w);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * width) / w));
      let sum = 0;
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += src[yy * width + xx] as number;
      out[y * w + x] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
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
export function perceptualHash(luma: Float32Array, width: number, height: number): string {
  const small = downsample(luma, width, height, DCT_N, DCT_N);
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
export function differenceHash(luma: Float32Array, width: number, height: number): string {
  const small = downsample(luma, width, height, 9, 8);
  const bits: boolean[] = [];
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) bits.push((small[y * 9 + x] as number) > (small[y * 9 + x + 1] as number));
  return bitsToHex(bits);
}

export function hammingDistance(a: string, b: string): number {
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
function laplacianStats(luma: Float32Array, width: number, height: number): { global: number; topQuarter: number } {
  const tileW = Math.max(1, Math.floor((width - 2) / TILE_GRID));
  const tileH = Math.max(1, Math.floor((height - 2) / TILE_GRID));
  const tiles = TILE_GRID * TILE_GRID;
  const sum = new Float64Array(tiles);
  const sumSq = new Float64Array(tiles);
  const count = new Float64Array(tiles);
  let gSum = 0;
  let gSq = 0;
  let gCount = 0;
  for (let y = 1; y < height - 1; y++) {
    const ty = Math.min(TILE_GRID - 1, Math.floor((y - 1) / tileH));
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const lap = (luma[i - 1] as number) + (luma[i + 1] as number) + (luma[i - width] as number) + (luma[i + width] as number) - 4 * (luma[i] as number);
      const t = ty * TILE_GRID + Math.min(TILE_GRID - 1, Math.floor((x - 1) / tileW));
      sum[t] = (sum[t] as number) + lap;
      sumSq[t] = (sumSq[t] as number) + lap * lap;
      count[t] = (count[t] as number) + 1;
      gSum += lap;
      gSq += lap * lap;
      gCount++;
    }
  }
  const variances: number[] = [];
  for (let t = 0; t < tiles; t++) {
    const n = count[t] as number;
    if (n > 0) variances.push((sumSq[t] as number) / n - ((sum[t] as number) / n) ** 2);
  }
  variances.sort((a, b) => b - a);
  const top = variances.slice(0, Math.max(1, Math.floor(variances.length / 4)));
  return {
    global: gCount ? gSq / gCount - (gSum / gCount) ** 2 : 0,
    topQuarter: top.reduce((s, v) => s + v, 0) / top.length,
  };
}

function rgbThumbnail(rgb: Uint8Array, width: number, height: number): string {
  let hex = '';
  const planes = [0, 1, 2].map((c) => {
    const plane = new Float32Array(width * height);
    for (let i = 0; i < plane.length; i++) plane[i] = rgb[i * 3 + c] as number;
    return downsample(plane, width, height, THUMB_SIDE, THUMB_SIDE);
  });
  for (let i = 0; i < THUMB_SIDE * THUMB_SIDE; i++) {
    for (const plane of planes) hex += Math.round(plane[i] as number).toString(16).padStart(2, '0');
  }
  return hex;
}

function thumbValues(hex: string): number[] {
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
  const va = thumbValues(a);
  const vb = thumbValues(b);
  const n = Math.min(va.length, vb.length);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs((va[i] as number) - (vb[i] as number));
  return n ? sum / n : 255;
}

/** All measurements from an 8-bit RGB image (already at the normalised size). */
export function measurePixels(rgb: Uint8Array, width: number, height: number): PixelStats {
  const luma = lumaOf(rgb, width, height);
  let lumaSum = 0;
  let dark = 0;
  let clipped = 0;
  let chroma = 0;
  for (let i = 0, p = 0; i < luma.length; i++, p += 3) {
    const l = luma[i] as number;
    lumaSum += l;
    if (l < 16) dark++;
    if (l >= 250) clipped++;
    const r = rgb[p] as number;
    const g = rgb[p + 1] as number;
    const b = rgb[p + 2] as number;
    chroma += Math.max(r, g, b) - Math.min(r, g, b);
  }
  const n = Math.max(1, luma.length);
  const lap = laplacianStats(luma, width, height);
  return {
    sharpness: lap.topQuarter,
    sharpnessGlobal: lap.global,
    meanLuma: lumaSum / n,
    darkFraction: dark / n,
    clippedFraction: clipped / n,
    colorfulness: chroma / n,
    phash: perceptualHash(luma, width, height),
    dhash: differenceHash(luma, width, height),
    thumb: rgbThumbnail(rgb, width, height),
  };
}

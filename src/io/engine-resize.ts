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
 * INTER_AREA follows OpenCV's resizeArea (float32 weights, per-row and per-cell sums stored as
 * float32, round half to even: results can differ by 1 only where a sum lands on a rounding tie)
 * and its integer-scale fast path; LANCZOS follows Pillow's fixed-point resampler (22 fraction bits,
 * horizontal pass first). Pure functions: no I/O.
 */

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

/**
 * Composites RGBA onto white as Pillow's `Image.paste(im, mask=alpha)` does:
 * out = DIV255(255 * (255 - a) + c * a) with DIV255(x) = ((x + 128) >> 8 + x + 128) >> 8.
 */
export function compositeOnWhite(rgba: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const a = rgba[p * 4 + 3] as number;
    for (let c = 0; c < 3; c++) {
      const t = 255 * (255 - a) + (rgba[p * 4 + c] as number) * a + 128;
      out[p * 3 + c] = ((t >> 8) + t) >> 8;
    }
  }
  return out;
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
export function padAndAreaResize(rgb: Uint8Array, width: number, height: number, out: number): Uint8Array {
  const { size, left, top } = squarePadding(width, height);
  if (size < out) throw new RangeError(`INTER_AREA shrinks only (${size} < ${out})`);
  const dst = new Uint8Array(out * out * 3);
  if (size === out) {
    // cv2.resize to the same size is a copy.
    dst.fill(255);
    for (let y = 0; y < height; y++) dst.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), ((y + top) * out + left) * 3);
    return dst;
  }
  const inv = out / size;
  const scale = 1 / inv;
  const iscale = Math.round(scale);
  if (Math.abs(scale - iscale) < Number.EPSILON) return areaFastInteger(rgb, width, height, left, top, out, iscale);
  const tab = computeAreaTab(size, out, scale);
  const n = tab.di.length;
  // Entries are grouped by destination column: [first[dx], first[dx + 1]).
  const first = new Int32Array(out + 1);
  for (let k = n - 1; k >= 0; k--) first[tab.di[k] as number] = k;
  first[out] = n;
  // Each entry's source column in the unpadded image (times 3), or -1 inside the padding.
  const col = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const x = (tab.si[k] as number) - left;
    col[k] = x >= 0 && x < width ? x * 3 : -1;
  }
  const rowW = out * 3;
  const buf = new Float32Array(rowW);
  const sum = new Float32Array(rowW);
  const alpha = tab.alpha;
  const horizontal = (base: number, target: Float32Array) => {
    for (let dx = 0; dx < out; dx++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const end = first[dx + 1] as number;
      for (let k = first[dx] as number; k < end; k++) {
        const a = alpha[k] as number;
        const c = col[k] as number;
        if (c < 0) {
          r += 255 * a;
          g += 255 * a;
          b += 255 * a;
        } else {
          const s = base + c;
          r += (rgb[s] as number) * a;
          g += (rgb[s + 1] as number) * a;
          b += (rgb[s + 2] as number) * a;
        }
      }
      target[dx * 3] = r;
      target[dx * 3 + 1] = g;
      target[dx * 3 + 2] = b;
    }
  };
  // A padding row is all 255: its horizontal pass is the same every time.
  const padRow = new Float32Array(rowW);
  for (let dx = 0; dx < out; dx++) {
    let v = 0;
    for (let k = first[dx] as number; k < (first[dx + 1] as number); k++) v += 255 * (alpha[k] as number);
    padRow.fill(v, dx * 3, dx * 3 + 3);
  }
  const ytab = tab;
  let prevDy = ytab.di[0] as number;
  for (let j = 0; j < ytab.di.length; j++) {
    const beta = ytab.alpha[j] as number;
    const dy = ytab.di[j] as number;
    const y = (ytab.si[j] as number) - top;
    let row: Float32Array;
    if (y < 0 || y >= height) {
      row = padRow;
    } else {
      horizontal(y * width * 3, buf);
      row = buf;
    }
    if (dy !== prevDy) {
      const o = prevDy * rowW;
      for (let i = 0; i < rowW; i++) {
        dst[o + i] = clamp8(roundHalfEven(sum[i] as number));
        sum[i] = beta * (row[i] as number);
      }
      prevDy = dy;
    } else {
      for (let i = 0; i < rowW; i++) sum[i] = (sum[i] as number) + beta * (row[i] as number);
    }
  }
  const o = prevDy * rowW;
  for (let i = 0; i < rowW; i++) dst[o + i] = clamp8(roundHalfEven(sum[i] as number));
  return dst;
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

const PRECISION_BITS = 32 - 8 - 2;

function lanczos(x: number): number {
  const sinc = (v: number) => (v === 0 ? 1 : Math.sin(v * Math.PI) / (v * Math.PI));
  return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for LANCZOS along one axis. */
function lanczosCoeffs(inSize: number, outSize: number): { bounds: Int32Array; kk: Int32Array; ksize: number } {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 3 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const kk = new Int32Array(outSize * ksize);
  const bounds = new Int32Array(outSize * 2);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    const k = new Float64Array(xmax);
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = lanczos((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? (k[x] as number) / ww : (k[x] as number);
      kk[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { bounds, kk, ksize };
}

function clipFixed(v: number): number {
  const s = v >> PRECISION_BITS;
  return s < 0 ? 0 : s > 255 ? 255 : s;
}

/** Pillow `Image.resize(size, LANCZOS)` of an RGB uint8 image (no reducing_gap). */
export function lanczosResize(rgb: Uint8Array, width: number, height: number, outW: number, outH: number): Uint8Array {
  let src = rgb;
  let w = width;
  if (outW !== width) {
    const { bounds, kk, ksize } = lanczosCoeffs(width, outW);
    const tmp = new Uint8Array(outW * height * 3);
    for (let y = 0; y < height; y++) {
      for (let xx = 0; xx < outW; xx++) {
        const xmin = bounds[xx * 2] as number;
        const xmax = bounds[xx * 2 + 1] as number;
        for (let c = 0; c < 3; c++) {
          let ss = 1 << (PRECISION_BITS - 1);
          for (let x = 0; x < xmax; x++) ss += (src[(y * w + x + xmin) * 3 + c] as number) * (kk[xx * ksize + x] as number);
          tmp[(y * outW + xx) * 3 + c] = clipFixed(ss);
        }
      }
    }
    src = tmp;
    w = outW;
  }
  if (outH === height) return src;
  const { bounds, kk, ksize } = lanczosCoeffs(height, outH);
  const dst = new Uint8Array(w * outH * 3);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2] as number;
    const ymax = bounds[yy * 2 + 1] as number;
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let ss = 1 << (PRECISION_BITS - 1);
        for (let y = 0; y < ymax; y++) ss += (src[((y + ymin) * w + x) * 3 + c] as number) * (kk[yy * ksize + y] as number);
        dst[(yy * w + x) * 3 + c] = clipFixed(ss);
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

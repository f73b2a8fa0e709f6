/**
 * The two Pillow operations of the engine's tagger preprocessing, with Pillow's arithmetic
 * (sd-scripts.md 8.1): compositing a transparent image onto white (`Image.paste` with the alpha
 * as mask) and `Image.resize(size, LANCZOS)` used to enlarge images smaller than the model's
 * input. Pure functions.
 */

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


/**
 * Five-point face alignment, the InsightFace convention every ArcFace-family model is trained
 * on: a similarity transform (rotation, uniform scale, shift) that puts the eyes, nose tip and
 * mouth corners onto a fixed template, sampled bilinearly. Used by the bundled tfjs models
 * (face-human-worker.ts) and by the ONNX route (face-onnx.ts), so both see faces the same way.
 */
import { normalizeEmbedding, type RgbPixels } from './face-types.js';

/** InsightFace's 112x112 alignment template (arcface_torch / insightface utils face_align). */
export const TEMPLATE_112: ReadonlyArray<readonly [number, number]> = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/** Least-squares similarity transform (rotation, uniform scale, shift) from `from` points to `to` points. */
export function similarityTransform(from: ReadonlyArray<readonly [number, number]>, to: ReadonlyArray<readonly [number, number]>): { a: number; b: number; tx: number; ty: number } {
  const n = from.length;
  const mean = (pts: ReadonlyArray<readonly [number, number]>, k: 0 | 1) => pts.reduce((s, p) => s + p[k], 0) / n;
  const fu = mean(from, 0);
  const fv = mean(from, 1);
  const tu = mean(to, 0);
  const tv = mean(to, 1);
  let num1 = 0;
  let num2 = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const u = (from[i] as readonly [number, number])[0] - fu;
    const v = (from[i] as readonly [number, number])[1] - fv;
    const x = (to[i] as readonly [number, number])[0] - tu;
    const y = (to[i] as readonly [number, number])[1] - tv;
    num1 += u * x + v * y;
    num2 += u * y - v * x;
    den += u * u + v * v;
  }
  const a = num1 / (den || 1);
  const b = num2 / (den || 1);
  return { a, b, tx: tu - a * fu + b * fv, ty: tv - b * fu - a * fv };
}

export interface AlignOptions {
  /** Tensor layout of the result. */
  readonly layout: 'nchw' | 'nhwc';
  /** 'signed': (x - 127.5) / 127.5 (InsightFace models); 'byte': 0..255 (models that normalise inside). */
  readonly range: 'signed' | 'byte';
  /** Also append the mirror image (batch of 2): averaging both embeddings steadies the result. */
  readonly mirror?: boolean;
}

/** The face warped onto the template scaled to `size`, as the model's input tensor (batch 1, or 2 with `mirror`). */
export function alignFace(image: RgbPixels, landmarks: readonly number[], size: number, options: AlignOptions): Float32Array {
  const src: Array<[number, number]> = [];
  for (let i = 0; i < 5; i++) src.push([landmarks[2 * i] as number, landmarks[2 * i + 1] as number]);
  const k = size / 112;
  const template = TEMPLATE_112.map(([x, y]) => [x * k, y * k] as [number, number]);
  // Map output pixels back into the source image.
  const t = similarityTransform(template, src);
  const plane = size * size;
  const out = new Float32Array(3 * plane * (options.mirror ? 2 : 1));
  const { data, width, height } = image;
  const signed = options.range === 'signed';
  const px = (xx: number, yy: number, c: number) => (xx < 0 || yy < 0 || xx >= width || yy >= height ? 0 : (data[(yy * width + xx) * 3 + c] as number));
  const index = (batch: number, x: number, y: number, c: number) => batch * 3 * plane + (options.layout === 'nchw' ? c * plane + y * size + x : (y * size + x) * 3 + c);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sx = t.a * x - t.b * y + t.tx;
      const sy = t.b * x + t.a * y + t.ty;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let c = 0; c < 3; c++) {
        const v = (1 - fy) * ((1 - fx) * px(x0, y0, c) + fx * px(x0 + 1, y0, c)) + fy * ((1 - fx) * px(x0, y0 + 1, c) + fx * px(x0 + 1, y0 + 1, c));
        const value = signed ? (v - 127.5) / 127.5 : v;
        out[index(0, x, y, c)] = value;
        if (options.mirror) out[index(1, size - 1 - x, y, c)] = value;
      }
    }
  }
  return out;
}

/** Mean of `count` embeddings stored one after another, L2-normalised. */
export function meanEmbedding(values: ArrayLike<number>, count: number): Float32Array {
  const dims = Math.floor(values.length / count);
  const sum = new Float32Array(dims);
  for (let i = 0; i < dims * count; i++) sum[i % dims] = (sum[i % dims] as number) + (values[i] as number);
  return normalizeEmbedding(sum);
}

/**
 * An ArcFace-style ONNX face-recognition model (InsightFace convention: a 112x112 RGB face
 * aligned on five landmarks, pixels scaled to (x - 127.5) / 127.5, one embedding out) as an
 * optional stronger alternative to the bundled model. Faces and landmarks still come from the
 * bundled Human model (its mesh gives the eyes, nose tip and mouth corners); the ONNX model only
 * embeds. The model file is the user's choice: a path, or a URL downloaded once into tack's
 * cache and checked against its SHA-256.
 */
import { createWriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { hashBytes, hashFile, pathExists, throwIfCancelled } from '../core/index.js';
import { faceErrors } from './face-errors.js';
import { startHumanPool, type HumanFaceOptions } from './face-human.js';
import { normalizeEmbedding, type DetectedFace, type FaceEmbedder, type LikenessAnchors, type RgbPixels } from './face-types.js';
import { openOnnxSession } from './onnx-session.js';

/** InsightFace's 112x112 alignment template (arcface_torch / insightface utils face_align). */
const TEMPLATE_112: ReadonlyArray<readonly [number, number]> = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/**
 * ArcFace-style models put different people near cosine 0 and photos of one person around
 * 0.5-0.7 (the usual verification thresholds of InsightFace models are 0.3-0.4). Used only
 * until the project's own photos give the same-person value.
 */
export const ARCFACE_LIKENESS_ANCHORS: LikenessAnchors = { stranger: 0.05, samePerson: 0.55 };

export function onnxFaceModelId(sha256: string): string {
  return `onnx-${sha256.slice(0, 16)}-arcface112-v1`;
}

export interface ResolveOnnxOptions {
  readonly cacheDir: string;
  readonly sha256?: string;
  readonly signal?: AbortSignal;
}

/** A local path as is, or an http(s) URL downloaded once into the cache (atomic, checksummed). */
export async function resolveOnnxFaceModel(source: string, options: ResolveOnnxOptions): Promise<{ readonly file: string; readonly sha256: string }> {
  const expected = options.sha256?.toLowerCase();
  if (!/^https?:\/\//.test(source)) {
    if (!(await pathExists(source))) {
      throw faceErrors.create('FACE_MODEL_LOAD_FAILED', `The ONNX face model ${source} does not exist.`, 'Fix [samples] onnx_model in tack.toml (a path relative to the project, or an https:// URL).', { details: { file: source } });
    }
    const sha256 = await hashFile(source, options.signal);
    if (expected && sha256 !== expected) {
      throw faceErrors.create('FACE_MODEL_CHECKSUM', `${source} has SHA-256 ${sha256}, not the expected ${expected}.`, 'Use the right file or fix onnx_model_sha256.', { details: { file: source, sha256, expected } });
    }
    return { file: source, sha256 };
  }
  const name = path.basename(new URL(source).pathname) || 'model.onnx';
  const file = path.join(options.cacheDir, 'face', `${hashBytes(source).slice(0, 12)}-${name.endsWith('.onnx') ? name : `${name}.onnx`}`);
  if (await pathExists(file)) {
    const sha256 = await hashFile(file, options.signal);
    if (!expected || sha256 === expected) return { file, sha256 };
    await fsp.rm(file, { force: true });
  }
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.part-${process.pid}`;
  try {
    throwIfCancelled(options.signal);
    const response = await fetch(source, options.signal ? { signal: options.signal } : {});
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), createWriteStream(tmp));
  } catch (cause) {
    await fsp.rm(tmp, { force: true });
    throwIfCancelled(options.signal);
    throw faceErrors.create('FACE_MODEL_DOWNLOAD_FAILED', `Could not download the ONNX face model from ${source}: ${cause instanceof Error ? cause.message : String(cause)}.`, 'Check the URL and your connection, or download the file yourself and set onnx_model to its path.', {
      cause,
      details: { url: source },
    });
  }
  const sha256 = await hashFile(tmp);
  if (expected && sha256 !== expected) {
    await fsp.rm(tmp, { force: true });
    throw faceErrors.create('FACE_MODEL_CHECKSUM', `The download from ${source} has SHA-256 ${sha256}, not the expected ${expected}; it was deleted.`, 'Check onnx_model_sha256, or that the URL points at the intended model.', {
      details: { url: source, sha256, expected },
    });
  }
  await fsp.rename(tmp, file);
  return { file, sha256 };
}

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

/** The face warped onto the template, as the model's input tensor (NCHW or NHWC), values (x - 127.5) / 127.5. */
export function alignFace(image: RgbPixels, landmarks: readonly number[], size: number, layout: 'nchw' | 'nhwc'): Float32Array {
  const src: Array<[number, number]> = [];
  for (let i = 0; i < 5; i++) src.push([landmarks[2 * i] as number, landmarks[2 * i + 1] as number]);
  const k = size / 112;
  const template = TEMPLATE_112.map(([x, y]) => [x * k, y * k] as [number, number]);
  // Map output pixels back into the source image.
  const t = similarityTransform(template, src);
  const out = new Float32Array(3 * size * size);
  const { data, width, height } = image;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sx = t.a * x - t.b * y + t.tx;
      const sy = t.b * x + t.a * y + t.ty;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let c = 0; c < 3; c++) {
        const px = (xx: number, yy: number) => (xx < 0 || yy < 0 || xx >= width || yy >= height ? 0 : (data[(yy * width + xx) * 3 + c] as number));
        const v = (1 - fy) * ((1 - fx) * px(x0, y0) + fx * px(x0 + 1, y0)) + fy * ((1 - fx) * px(x0, y0 + 1) + fx * px(x0 + 1, y0 + 1));
        const idx = layout === 'nchw' ? c * size * size + y * size + x : (y * size + x) * 3 + c;
        out[idx] = (v - 127.5) / 127.5;
      }
    }
  }
  return out;
}

export interface OnnxFaceOptions extends HumanFaceOptions {
  readonly modelId: string;
}

export async function loadOnnxFaceEmbedder(file: string, options: OnnxFaceOptions): Promise<FaceEmbedder> {
  const session = await openOnnxSession(file, { threads: 1 });
  const input = session.inputs[0];
  const output = session.outputs[0];
  const shape = input?.shape ?? [];
  const layout: 'nchw' | 'nhwc' | undefined = shape.length === 4 ? (shape[1] === 3 ? 'nchw' : shape[3] === 3 ? 'nhwc' : undefined) : undefined;
  if (!input || !output || !layout) {
    await session.close();
    throw faceErrors.create('FACE_MODEL_BAD', `${file} does not look like a face-recognition model: its input is ${JSON.stringify(shape)}, expected [N, 3, 112, 112] or [N, 112, 112, 3].`, 'Use an ArcFace-style model (e.g. an InsightFace recognition model exported to ONNX).', {
      details: { file, shape },
    });
  }
  const sideDim = layout === 'nchw' ? shape[2] : shape[1];
  const size = typeof sideDim === 'number' && sideDim > 0 ? sideDim : 112;
  const pool = await startHumanPool(options);
  let dimensions = 0;
  return {
    modelId: options.modelId,
    get dimensions() {
      return dimensions;
    },
    async analyze(image, signal) {
      const located = await pool.analyze(image, false, signal);
      const started = performance.now();
      const faces: DetectedFace[] = [];
      for (const face of located.faces) {
        if (!face.landmarks) continue;
        const tensor = alignFace(image, face.landmarks, size, layout);
        const result = await session.run({ [input.name]: { data: tensor, dims: layout === 'nchw' ? [1, 3, size, size] : [1, size, size, 3] } });
        const out = result[output.name] ?? Object.values(result)[0];
        if (!out) continue;
        dimensions = out.data.length;
        faces.push({ box: face.box, score: face.score, landmarks: face.landmarks, embedding: normalizeEmbedding(out.data) });
      }
      return { width: image.width, height: image.height, faces, modelMs: located.modelMs + performance.now() - started };
    },
    async close() {
      await pool.close();
      await session.close();
    },
  };
}

/**
 * An ArcFace-style ONNX face-recognition model (InsightFace convention: a 112x112 RGB face
 * aligned on five landmarks, pixels scaled to (x - 127.5) / 127.5, one embedding out) as an
 * optional stronger alternative to the bundled model. Faces and landmarks still come from the
 * bundled Human model (its mesh gives the eyes, nose tip and mouth corners); the ONNX model only
 * embeds. The model file is the user's choice: a path, or a URL downloaded once into tack's
 * cache and checked against its SHA-256.
 */
import path from 'node:path';
import { hashBytes, hashFile, pathExists } from '../core/index.js';
import { alignFace } from './face-align.js';
import { fetchVerified } from './face-download.js';
import { faceErrors } from './face-errors.js';
import { startHumanPool, type HumanFaceOptions } from './face-human.js';
import { normalizeEmbedding, type DetectedFace, type FaceEmbedder, type ModelCalibration } from './face-types.js';
import { openOnnxSession } from './onnx-session.js';

/**
 * Typical similarities of ArcFace-family models (InsightFace's usual verification thresholds are
 * 0.3-0.4 between a same-person mean around 0.55-0.7 and a different-person mean near 0): not
 * measured here, since no such model can be downloaded on the build machine. Used until the
 * project's own photos give the same-person value; the bench measures a real model given with --onnx.
 */
export const ARCFACE_CALIBRATION: ModelCalibration = {
  samePerson: { mean: 0.55, sd: 0.12, pairs: 0 },
  different: { mean: 0.05, sd: 0.08, pairs: 0 },
  people: 1,
  source: 'typical values of ArcFace-family models (not measured by tack)',
};

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
  const sha256 = await fetchVerified(source, file, { ...(expected ? { sha256: expected } : {}), ...(options.signal ? { signal: options.signal } : {}), settingHint: 'set [samples] onnx_model to its path, or fix onnx_model_sha256' });
  return { file, sha256 };
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
        const tensor = alignFace(image, face.landmarks, size, { layout, range: 'signed' });
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

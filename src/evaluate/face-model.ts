/**
 * Chooses the face model from [samples] face_model: a tfjs recognition model run next to
 * Human's detector (faceres, bundled and offline, the default; faceres-deep or mobileface,
 * downloaded once and SHA-256 checked), or an ArcFace-style ONNX model given as a file or a
 * URL. The model id is known before loading, so cached embeddings are used without starting
 * the model at all.
 */
import os from 'node:os';
import path from 'node:path';
import {
  ARCFACE_CALIBRATION,
  loadOnnxFaceEmbedder,
  loadTfjsFaceEmbedder,
  onnxFaceModelId,
  resolveOnnxFaceModel,
  resolveTfjsFaceModel,
  TFJS_FACE_MODEL_SPECS,
  tfjsFaceModelId,
  type FaceEmbedder,
  type ModelCalibration,
  type TfjsFaceModelName,
} from '../io/index.js';
import type { ProjectConfig } from '../project/index.js';
import { evalErrors } from './errors.js';

export interface FaceModelChoice {
  /** The [samples] face_model name ("faceres", "onnx", ...). */
  readonly name: string;
  readonly modelId: string;
  /** The model's measured same-person and different-person similarities (the likeness scale). */
  readonly calibration: ModelCalibration;
  /** Loads the model (once); later calls return the same instance. */
  readonly load: () => Promise<FaceEmbedder>;
  /** Stops the model if it was loaded. */
  readonly close: () => Promise<void>;
  readonly description: string;
}

export interface FaceModelOptions {
  /** Worker threads for the face model. */
  readonly workers?: number;
  /** Folder for downloaded models (default ~/.cache/tack/models or $TACK_CACHE_DIR/models). */
  readonly cacheDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
}

export function defaultModelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TACK_CACHE_DIR) return path.join(env.TACK_CACHE_DIR, 'models');
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'tack', 'models');
}

type SampleSettings = Pick<ProjectConfig['samples'], 'face_model' | 'onnx_model' | 'onnx_model_sha256'> & { readonly face_model_url?: string };

export async function chooseFaceModel(settings: SampleSettings, projectRoot: string, options: FaceModelOptions = {}): Promise<FaceModelChoice> {
  let instance: Promise<FaceEmbedder> | undefined;
  const close = async () => {
    if (instance) await (await instance.catch(() => undefined))?.close();
    instance = undefined;
  };
  const cacheDir = options.cacheDir ?? defaultModelCacheDir(options.env);
  const workers = options.workers ? { workers: options.workers } : {};
  if (settings.face_model === 'onnx') {
    if (!settings.onnx_model) {
      throw evalErrors.create('EVAL_BACKEND_SETUP', 'face_model = "onnx" but [samples] onnx_model is empty.', 'Set onnx_model to an ArcFace-style .onnx file or an https:// URL, or use face_model = "faceres".');
    }
    const source = /^https?:\/\//.test(settings.onnx_model) ? settings.onnx_model : path.resolve(projectRoot, settings.onnx_model);
    const resolved = await resolveOnnxFaceModel(source, {
      cacheDir,
      ...(settings.onnx_model_sha256 ? { sha256: settings.onnx_model_sha256 } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const modelId = onnxFaceModelId(resolved.sha256);
    return {
      name: 'onnx',
      modelId,
      calibration: ARCFACE_CALIBRATION,
      description: `ONNX face model ${path.basename(resolved.file)} (sha256 ${resolved.sha256.slice(0, 12)}), 5-point aligned 112x112`,
      load: () => (instance ??= loadOnnxFaceEmbedder(resolved.file, { modelId, ...workers })),
      close,
    };
  }
  // "human" is the name older tack.toml files use for the bundled model.
  const name: TfjsFaceModelName = settings.face_model === 'human' ? 'faceres' : settings.face_model;
  const spec = TFJS_FACE_MODEL_SPECS[name];
  // A downloadable model is fetched (or found in the cache) only when something needs embedding.
  let resolved: ReturnType<typeof resolveTfjsFaceModel> | undefined;
  const resolve = () =>
    (resolved ??= resolveTfjsFaceModel(name, { cacheDir, ...(settings.face_model_url ? { baseUrl: settings.face_model_url } : {}), ...(options.signal ? { signal: options.signal } : {}) }));
  return {
    name,
    modelId: tfjsFaceModelId(name),
    calibration: spec.calibration,
    description: spec.description,
    load: () => (instance ??= resolve().then((model) => loadTfjsFaceEmbedder(model, workers))),
    close,
  };
}

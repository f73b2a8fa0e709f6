/**
 * Chooses the face model from [samples] face_model: the bundled Human model (offline) or an
 * ArcFace-style ONNX model given as a file or downloaded once into tack's cache. The model id
 * is known before loading, so cached embeddings are used without starting the model at all.
 */
import os from 'node:os';
import path from 'node:path';
import { ARCFACE_LIKENESS_ANCHORS, HUMAN_FACE_MODEL_ID, HUMAN_LIKENESS_ANCHORS, loadHumanFaceEmbedder, loadOnnxFaceEmbedder, onnxFaceModelId, resolveOnnxFaceModel, type FaceEmbedder, type LikenessAnchors } from '../io/index.js';
import type { ProjectConfig } from '../project/index.js';
import { evalErrors } from './errors.js';

export interface FaceModelChoice {
  readonly modelId: string;
  /** The model's typical stranger and same-person similarities (the likeness scale's 0 and 1). */
  readonly anchors: LikenessAnchors;
  /** Loads the model (once); later calls return the same instance. */
  readonly load: () => Promise<FaceEmbedder>;
  /** Stops the model if it was loaded. */
  readonly close: () => Promise<void>;
  readonly description: string;
}

export interface FaceModelOptions {
  /** Worker threads for the bundled model. */
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

export async function chooseFaceModel(settings: ProjectConfig['samples'], projectRoot: string, options: FaceModelOptions = {}): Promise<FaceModelChoice> {
  let instance: Promise<FaceEmbedder> | undefined;
  const close = async () => {
    if (instance) await (await instance.catch(() => undefined))?.close();
    instance = undefined;
  };
  if (settings.face_model === 'onnx') {
    if (!settings.onnx_model) {
      throw evalErrors.create('EVAL_BACKEND_SETUP', 'face_model = "onnx" but [samples] onnx_model is empty.', 'Set onnx_model to an ArcFace-style .onnx file or an https:// URL, or use face_model = "human".');
    }
    const source = /^https?:\/\//.test(settings.onnx_model) ? settings.onnx_model : path.resolve(projectRoot, settings.onnx_model);
    const resolved = await resolveOnnxFaceModel(source, {
      cacheDir: options.cacheDir ?? defaultModelCacheDir(options.env),
      ...(settings.onnx_model_sha256 ? { sha256: settings.onnx_model_sha256 } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const modelId = onnxFaceModelId(resolved.sha256);
    return {
      modelId,
      anchors: ARCFACE_LIKENESS_ANCHORS,
      description: `ONNX face model ${path.basename(resolved.file)} (sha256 ${resolved.sha256.slice(0, 12)})`,
      load: () => (instance ??= loadOnnxFaceEmbedder(resolved.file, { modelId, ...(options.workers ? { workers: options.workers } : {}) })),
      close,
    };
  }
  return {
    modelId: HUMAN_FACE_MODEL_ID,
    anchors: HUMAN_LIKENESS_ANCHORS,
    description: 'bundled face model (@vladmandic/human faceres, 1024-d)',
    load: () => (instance ??= loadHumanFaceEmbedder(options.workers ? { workers: options.workers } : {})),
    close,
  };
}

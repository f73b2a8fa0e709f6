/**
 * Face detection, landmarks and identity embeddings on tfjs (WebAssembly) in worker threads
 * (face-human-worker.ts), one per core, each taking one image at a time: @vladmandic/human's
 * detector and face mesh find faces and their eyes, nose and mouth; the chosen recognition
 * model (face-models.ts; HSE FaceRes by default, shipped inside @vladmandic/human, so scoring
 * runs offline) embeds each face aligned on those five points.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorkerThread, throwIfCancelled } from '../core/index.js';
import { faceErrors } from './face-errors.js';
import type { FaceWorkerData, FaceWorkerReply, FaceWorkerRequest } from './face-human-worker.js';
import { tfjsFaceModelId, type ResolvedTfjsFaceModel } from './face-models.js';
import type { DetectedFace, FaceAnalysis, FaceEmbedder, RgbPixels } from './face-types.js';

export interface HumanFaceOptions {
  /** Worker threads (default: one per core, at most 4). */
  readonly workers?: number;
  /** Give up loading after this long (default 60 s). */
  readonly loadTimeoutMs?: number;
}

export interface HumanPoolOptions extends HumanFaceOptions {
  /** The recognition model each worker loads; without it the pool only finds faces and landmarks. */
  readonly embedding?: FaceWorkerData['embedding'];
}

interface Slot {
  readonly worker: Worker;
  busy: boolean;
}

interface Pending {
  readonly resolve: (value: FaceAnalysis) => void;
  readonly reject: (error: unknown) => void;
  readonly width: number;
  readonly height: number;
  readonly slot: Slot;
}

function loadFailed(message: string) {
  return faceErrors.create('FACE_MODEL_LOAD_FAILED', `The face model could not be loaded: ${message}.`, 'Reinstall tack (npm ci) so @vladmandic/human and @tensorflow/tfjs-backend-wasm are complete; a downloaded model is checked again on the next run.');
}

/** A pool of Human workers; `analyze(image, embed)` with embed false only locates faces and landmarks. */
export interface HumanPool {
  readonly loadMs: number;
  analyze(image: RgbPixels, embed: boolean, signal?: AbortSignal): Promise<FaceAnalysis>;
  close(): Promise<void>;
}

/** Starts the face workers with `model` and waits until every one has loaded it. */
export async function loadTfjsFaceEmbedder(model: ResolvedTfjsFaceModel, options: HumanFaceOptions = {}): Promise<FaceEmbedder & { readonly loadMs: number }> {
  const pool = await startHumanPool({ ...options, embedding: { jsonFile: model.jsonFile, binFile: model.binFile, size: model.spec.size, ...(model.spec.output ? { output: model.spec.output } : {}) } });
  return {
    modelId: tfjsFaceModelId(model.spec.name),
    dimensions: model.spec.dimensions,
    loadMs: pool.loadMs,
    analyze: (image, signal) => pool.analyze(image, true, signal),
    close: () => pool.close(),
  };
}

/** Starts the workers and waits until every one has loaded the models. */
export async function startHumanPool(options: HumanPoolOptions = {}): Promise<HumanPool> {
  const count = Math.max(1, Math.min(4, options.workers ?? os.availableParallelism()));
  const started = performance.now();
  const slots: Slot[] = [];
  const pending = new Map<number, Pending>();
  const queue: Array<() => void> = [];
  let nextId = 1;
  let closed = false;

  const release = (slot: Slot) => {
    slot.busy = false;
    queue.shift()?.();
  };

  const ready = Array.from({ length: count }, () => {
    const worker = startWorkerThread(new URL('./face-human-worker.js', import.meta.url), { ...(options.embedding ? { embedding: options.embedding } : {}) } satisfies FaceWorkerData);
    const slot: Slot = { worker, busy: false };
    slots.push(slot);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(loadFailed(`no answer within ${(options.loadTimeoutMs ?? 60_000) / 1000} s`)), options.loadTimeoutMs ?? 60_000);
      worker.on('message', (reply: FaceWorkerReply) => {
        if (reply.kind === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (reply.kind === 'fatal') {
          clearTimeout(timer);
          reject(loadFailed(reply.message));
        } else {
          const job = pending.get(reply.id);
          if (!job) return;
          pending.delete(reply.id);
          release(job.slot);
          if (reply.kind === 'error') {
            job.reject(faceErrors.create('FACE_ANALYSIS_FAILED', `The face model failed on an image: ${reply.message}.`, 'Check the image opens in a viewer; rerun with TACK_DEBUG=1 for details.'));
          } else {
            const faces: DetectedFace[] = reply.faces.map((f) => ({ box: f.box, score: f.score, embedding: f.embedding, ...(f.landmarks.length === 10 ? { landmarks: f.landmarks } : {}) }));
            job.resolve({ width: job.width, height: job.height, faces, modelMs: reply.modelMs });
          }
        }
      });
      worker.on('error', (error) => {
        clearTimeout(timer);
        reject(loadFailed(error.message));
        for (const [id, job] of pending) {
          if (job.slot === slot) {
            pending.delete(id);
            job.reject(loadFailed(error.message));
          }
        }
      });
    });
  });

  const close = async () => {
    closed = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
  };

  try {
    await Promise.all(ready);
  } catch (error) {
    await close();
    throw error;
  }
  const loadMs = performance.now() - started;

  const acquire = async (signal?: AbortSignal): Promise<Slot> => {
    for (;;) {
      throwIfCancelled(signal);
      if (closed) throw faceErrors.create('FACE_ANALYSIS_FAILED', 'The face model was closed.', 'This is a bug in tack: please report it.');
      const free = slots.find((s) => !s.busy);
      if (free) {
        free.busy = true;
        return free;
      }
      await new Promise<void>((resolve) => queue.push(resolve));
    }
  };

  return {
    loadMs,
    async analyze(image: RgbPixels, embed: boolean, signal?: AbortSignal): Promise<FaceAnalysis> {
      const slot = await acquire(signal);
      const id = nextId++;
      return new Promise<FaceAnalysis>((resolve, reject) => {
        pending.set(id, { resolve, reject, width: image.width, height: image.height, slot });
        const copy = new Uint8Array(image.data);
        const request: FaceWorkerRequest = { id, data: copy, width: image.width, height: image.height, embed };
        slot.worker.postMessage(request, [copy.buffer]);
      });
    },
    close,
  };
}

/**
 * Worker thread body of the tagger input pool: decodes a photo and runs the engine's
 * preprocessing (model-input.ts), then hands the float32 tensor back without copying. Run off
 * the main thread so it overlaps inference, which blocks the main thread while it computes.
 */
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { configureImageThreads, type ImageProbe } from './image.js';
import { readTaggerInput } from './model-input.js';

export interface TaggerInputRequest {
  readonly id: number;
  readonly file: string;
  readonly probe: ImageProbe;
  readonly size: number;
}

export type TaggerInputReply =
  | { readonly id: number; readonly ok: true; readonly data: Float32Array }
  | { readonly id: number; readonly ok: false; readonly error: { code?: string; category?: string; message: string; hint?: string; details?: Record<string, unknown> } };

configureImageThreads(1);
// Each photo is read once: libvips' operation cache would only hold on to decoded pixels.
sharp.cache(false);

parentPort?.on('message', (request: TaggerInputRequest) => {
  readTaggerInput(request.file, request.probe, request.size).then(
    (data) => parentPort?.postMessage({ id: request.id, ok: true, data } satisfies TaggerInputReply, [data.buffer as ArrayBuffer]),
    (error: unknown) => {
      const e = error as { code?: string; category?: string; message?: string; hint?: string; details?: Record<string, unknown> };
      parentPort?.postMessage({
        id: request.id,
        ok: false,
        error: { ...(e.code ? { code: e.code } : {}), ...(e.category ? { category: e.category } : {}), message: e.message ?? String(error), ...(e.hint ? { hint: e.hint } : {}), ...(e.details ? { details: e.details } : {}) },
      } satisfies TaggerInputReply);
    },
  );
});

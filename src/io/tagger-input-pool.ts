/**
 * Tagger inputs prepared on worker threads. ONNX Runtime blocks the main thread for the whole
 * of a model run, so preprocessing done there (the full-resolution INTER_AREA shrink is the
 * costly part) would wait for inference instead of overlapping it.
 */
import { Worker } from 'node:worker_threads';
import { startWorkerThread, TackError, type ErrorCategory } from '../core/index.js';
import type { ImageProbe } from './image.js';
import { readTaggerInput } from './model-input.js';
import type { TaggerInputReply, TaggerInputRequest } from './tagger-input-worker.js';

export interface TaggerInputPool {
  /** Decodes and preprocesses one photo (see readTaggerInput). */
  read(file: string, probe: ImageProbe, size: number): Promise<Float32Array>;
  close(): Promise<void>;
}

function startWorker(): Worker {
  return startWorkerThread(new URL('./tagger-input-worker.js', import.meta.url));
}

function toError(reply: Extract<TaggerInputReply, { ok: false }>): Error {
  const e = reply.error;
  if (e.code && e.category) return new TackError(e.code, e.category as ErrorCategory, e.message, e.hint ?? '', e.details ?? {});
  return new Error(e.message);
}

/**
 * A pool of `threads` workers; 0 prepares on the main thread (no overlap, no worker start-up).
 * Requests are spread over the workers in turn; each worker handles its requests in order.
 */
export function startTaggerInputPool(threads = 1): TaggerInputPool {
  if (threads <= 0) return { read: (file, probe, size) => readTaggerInput(file, probe, size), close: async () => undefined };
  const pending = new Map<number, { resolve: (t: Float32Array) => void; reject: (e: unknown) => void }>();
  let failure: Error | undefined;
  const workers = Array.from({ length: threads }, () => {
    const worker = startWorker();
    worker.on('message', (reply: TaggerInputReply) => {
      const waiter = pending.get(reply.id);
      if (!waiter) return;
      pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.data);
      else waiter.reject(toError(reply));
    });
    worker.on('error', (error) => {
      failure = error;
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
    return worker;
  });
  let next = 0;
  let turn = 0;
  return {
    read(file, probe, size) {
      if (failure) return Promise.reject(failure);
      const id = next++;
      const worker = workers[turn++ % workers.length] as Worker;
      return new Promise<Float32Array>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, file, probe, size } satisfies TaggerInputRequest);
      });
    },
    async close() {
      failure ??= new Error('the tagger input pool is closed');
      for (const waiter of pending.values()) waiter.reject(failure);
      pending.clear();
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

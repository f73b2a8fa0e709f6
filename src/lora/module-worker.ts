/**
 * Worker thread body of the module pool (module-pool.ts): for each job of a batch, reads its
 * factor bytes with pread on the descriptors the calling thread keeps open and runs it; hands
 * the encoded tensors back without copying them.
 */
import { parentPort } from 'node:worker_threads';
import { readFactorBytesSync } from './module-io.js';
import { jobInputs, runModuleJob, type ModuleJob, type ModuleJobResult } from './module-job.js';

export interface ModuleWorkerError {
  readonly code?: string;
  readonly category?: string;
  readonly message: string;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;
}

/** The results of a batch, in order, up to its first failure (which ends the batch). */
export interface ModuleWorkerReply {
  readonly results: readonly ModuleJobResult[];
  readonly failure?: { readonly index: number; readonly error: ModuleWorkerError };
}

parentPort?.on('message', (batch: readonly ModuleJob[]) => {
  const results: ModuleJobResult[] = [];
  const transfer: ArrayBuffer[] = [];
  let failure: ModuleWorkerReply['failure'];
  for (const job of batch) {
    try {
      const result = runModuleJob(job, jobInputs(job).map(readFactorBytesSync));
      results.push(result);
      transfer.push(result.down.buffer as ArrayBuffer, result.up.buffer as ArrayBuffer, result.alpha.buffer as ArrayBuffer);
    } catch (error) {
      const e = error as { code?: string; category?: string; message?: string; hint?: string; details?: Record<string, unknown> };
      failure = { index: job.index, error: { ...(e.code ? { code: e.code } : {}), ...(e.category ? { category: e.category } : {}), message: e.message ?? String(error), ...(e.hint ? { hint: e.hint } : {}), ...(e.details ? { details: e.details } : {}) } };
      break;
    }
  }
  parentPort?.postMessage({ results, ...(failure ? { failure } : {}) } satisfies ModuleWorkerReply, transfer);
});

/**
 * Runs the per-module jobs of a resize or merge, on the calling thread or on worker threads
 * (one per core). Workers read their tensors themselves through the input files' open
 * descriptors, so the calling thread only hands out jobs and collects the encoded results.
 * Results come back in job order whatever order the workers finish in, so the output file is
 * the same for any number of threads; each worker holds at most two batches of consecutive
 * jobs, so memory stays bounded by the results themselves.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorkerThread, TackError, throwIfCancelled, type ErrorCategory } from '../core/index.js';
import { jobInputs, jobSize, runModuleJob, type FactorBytes, type FactorInput, type ModuleJob, type ModuleJobResult } from './module-job.js';
import type { ModuleWorkerError, ModuleWorkerReply } from './module-worker.js';

/**
 * Below this many factor values (about 8 MB of F16) the whole job takes well under a second
 * on one thread, less than starting workers costs.
 */
export const PARALLEL_MIN_VALUES = 4_000_000;

/** Batches queued on one worker at a time: one running, one waiting, so it never idles. */
const BATCHES_PER_WORKER = 2;

/**
 * Consecutive jobs travel to a worker together, up to about this many factor values (and at
 * most 16 jobs): one message each way per batch instead of per module.
 */
const BATCH_VALUES = 1_000_000;

export interface RunModuleJobsOptions {
  /** Worker threads; 0 or 1 runs on the calling thread. */
  readonly threads: number;
  readonly signal?: AbortSignal;
  /** Called as each job finishes (in finishing order), with the count finished so far. */
  readonly onResult?: (result: ModuleJobResult, done: number) => void;
  /** Reads one input's factor bytes on the calling thread (the path without workers). */
  readonly read: (input: FactorInput) => Promise<FactorBytes>;
}

/**
 * The thread count for these jobs: `requested` (default: one per core), but 0 (the calling
 * thread) when the work is small or an input is not a file workers can read.
 */
export function threadsFor(jobs: readonly ModuleJob[], requested: number | undefined): number {
  const threads = requested ?? os.availableParallelism();
  if (threads <= 1 || jobs.length < 2) return 0;
  if (jobs.some((j) => jobInputs(j).some((i) => i.fd === undefined))) return 0;
  if (requested === undefined && jobs.reduce((s, j) => s + jobSize(j), 0) < PARALLEL_MIN_VALUES) return 0;
  return Math.min(threads, jobs.length);
}

export async function runModuleJobs(jobs: readonly ModuleJob[], options: RunModuleJobsOptions): Promise<ModuleJobResult[]> {
  if (options.threads <= 1) {
    const results: ModuleJobResult[] = [];
    for (const job of jobs) {
      throwIfCancelled(options.signal);
      const bytes: FactorBytes[] = [];
      for (const input of jobInputs(job)) bytes.push(await options.read(input));
      const result = runModuleJob(job, bytes);
      results.push(result);
      options.onResult?.(result, results.length);
    }
    return results;
  }
  return runOnWorkers(jobs, options);
}

function toError(e: ModuleWorkerError): Error {
  if (e.code && e.category) return new TackError(e.code, e.category as ErrorCategory, e.message, e.hint ?? '', e.details ?? {});
  return new Error(e.message);
}

/**
 * Consecutive runs of jobs, in order, each about BATCH_VALUES of work, and enough of them that
 * every worker gets several (a short list is sent one job at a time).
 */
function batchesOf(jobs: readonly ModuleJob[], threads: number): ModuleJob[][] {
  const maxJobs = Math.max(1, Math.min(16, Math.floor(jobs.length / (threads * 4))));
  const batches: ModuleJob[][] = [];
  let batch: ModuleJob[] = [];
  let size = 0;
  for (const job of jobs) {
    batch.push(job);
    size += jobSize(job);
    if (size >= BATCH_VALUES || batch.length >= maxJobs) {
      batches.push(batch);
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

function runOnWorkers(jobs: readonly ModuleJob[], options: RunModuleJobsOptions): Promise<ModuleJobResult[]> {
  const batches = batchesOf(jobs, options.threads);
  const results = new Array<ModuleJobResult>(jobs.length);
  const failures = new Map<number, Error>();
  const workers = Array.from({ length: options.threads }, () => startWorkerThread(new URL('./module-worker.js', import.meta.url)));
  let next = 0;
  let inFlight = 0;
  let done = 0;
  let stopped = false;
  let fatal: Error | undefined;
  return new Promise<ModuleJobResult[]>((resolve, reject) => {
    let finished = false;
    const finish = () => {
      if (finished || inFlight > 0 || (!stopped && next < batches.length)) return;
      finished = true;
      options.signal?.removeEventListener('abort', onAbort);
      void Promise.all(workers.map((w) => w.terminate())).then(() => {
        try {
          throwIfCancelled(options.signal);
        } catch (cancelled) {
          reject(cancelled);
          return;
        }
        if (fatal) reject(fatal);
        // The first failing module in job order: the same error a run on one thread reports,
        // since every job before it was started (batches are handed out in order, a batch
        // runs in order and stops at its first failure) and finished.
        else if (failures.size > 0) reject(failures.get(Math.min(...failures.keys())));
        else resolve(results);
      });
    };
    const dispatch = (worker: Worker) => {
      if (stopped || next >= batches.length) return finish();
      inFlight++;
      worker.postMessage(batches[next++]);
    };
    const onAbort = () => {
      stopped = true;
      // Running jobs are abandoned: terminating the workers stops them mid-computation.
      inFlight = 0;
      finish();
    };
    options.signal?.addEventListener('abort', onAbort);
    for (const worker of workers) {
      worker.on('message', (reply: ModuleWorkerReply) => {
        if (finished) return;
        inFlight--;
        for (const result of reply.results) {
          results[result.index] = result;
          options.onResult?.(result, ++done);
        }
        if (reply.failure) {
          failures.set(reply.failure.index, toError(reply.failure.error));
          stopped = true;
        }
        dispatch(worker);
      });
      worker.on('error', (error) => {
        if (finished) return;
        fatal ??= error;
        stopped = true;
        inFlight = 0;
        finish();
      });
      worker.on('exit', (code) => {
        if (finished) return;
        fatal ??= new Error(`a LoRA worker thread stopped unexpectedly (exit code ${code})`);
        stopped = true;
        inFlight = 0;
        finish();
      });
    }
    if (options.signal?.aborted) return onAbort();
    for (let round = 0; round < BATCHES_PER_WORKER; round++) for (const worker of workers) dispatch(worker);
  });
}

import { Worker } from 'node:worker_threads';
import { throwIfCancelled } from './errors.js';

/**
 * Runs `fn` over `items` with at most `limit` calls in flight and returns results in input
 * order. Stops starting new work once `signal` is aborted (work in flight finishes).
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      throwIfCancelled(signal);
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Waits `ms`, or less when `signal` aborts (it resolves then: the caller checks the signal). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Starts a worker thread on `entry`, the built worker file next to the caller:
 * `startWorkerThread(new URL('./x-worker.js', import.meta.url))`. Under tsx (tests, benchmarks)
 * the sources are .ts files and the worker must load its .ts entry through tsx too.
 */
export function startWorkerThread(entry: URL, workerData?: unknown): Worker {
  const data = workerData === undefined ? {} : { workerData };
  if (import.meta.url.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api');
    const source = entry.href.replace(/\.js$/, '.ts');
    return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`, { eval: true, ...data });
  }
  return new Worker(entry, data);
}

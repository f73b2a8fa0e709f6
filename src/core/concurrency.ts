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

/**
 * How running work reports into the store: progress (throttled, the newest value always
 * lands), events (every one, in order), the run id, and the heartbeat that keeps the job
 * "running". A store that is briefly locked by another writer delays a write, never loses it
 * and never stops the work: failed writes stay queued and are retried.
 */
import { isSqliteBusy } from '../io/index.js';
import { JOB_HEARTBEAT_MS } from './status.js';
import type { JobStore } from './store.js';
import type { JobProgress } from './types.js';

/** What a job's work sees of its job. */
export interface JobReporter {
  readonly id: number;
  /** Aborted when someone cancels the job (the studio's Stop, tack jobs cancel). */
  readonly signal: AbortSignal;
  progress(progress: JobProgress): void;
  event(type: string, data?: Readonly<Record<string, unknown>>): void;
  setRunId(runId: string): void;
}

/** Progress is written at most this often (the page shows a new line within half a second). */
export const PROGRESS_INTERVAL_MS = 150;

type Pending = { readonly kind: 'event'; readonly type: string; readonly data: Readonly<Record<string, unknown>> } | { readonly kind: 'run'; readonly runId: string };

export interface StoreReporter extends JobReporter {
  /** Writes everything still pending and stops the timers. */
  close(): void;
}

/** A reporter for job `id` that writes into `store` and keeps its heartbeat while open. */
export function storeReporter(store: JobStore, id: number, options: { readonly heartbeatMs?: number } = {}): StoreReporter {
  const controller = new AbortController();
  const queue: Pending[] = [];
  let latest: JobProgress | undefined;
  let lastProgressAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const cancel = () => controller.abort(); // a no-op once aborted
  const write = (fn: () => void): boolean => {
    try {
      fn();
      return true;
    } catch (error) {
      if (isSqliteBusy(error) || !store.db.open) return false;
      throw error;
    }
  };
  // Pending progress goes first: it was reported before any event still in the queue.
  const flush = () => {
    timer = undefined;
    if (latest) {
      const progress = latest;
      if (!write(() => store.setProgress(id, progress))) return schedule(500);
      latest = undefined;
      lastProgressAt = Date.now();
    }
    while (queue.length) {
      const item = queue[0] as Pending;
      const ok = write(() => (item.kind === 'event' ? store.appendEvent(id, item.type, item.data) : store.setRunId(id, item.runId)));
      if (!ok) return schedule(500);
      queue.shift();
    }
  };
  function schedule(ms: number): void {
    if (closed || timer) return;
    timer = setTimeout(flush, ms);
  }
  const heartbeat = setInterval(() => {
    write(() => {
      if (store.heartbeat(id).cancelRequested) cancel();
    });
  }, options.heartbeatMs ?? JOB_HEARTBEAT_MS);
  heartbeat.unref();

  return {
    id,
    signal: controller.signal,
    progress(progress) {
      latest = progress;
      const wait = PROGRESS_INTERVAL_MS - (Date.now() - lastProgressAt);
      if (wait <= 0 && queue.length === 0) flush();
      else schedule(Math.max(0, wait));
    },
    event(type, data = {}) {
      queue.push({ kind: 'event', type, data });
      flush();
    },
    setRunId(runId) {
      queue.push({ kind: 'run', runId });
      flush();
    },
    close() {
      clearInterval(heartbeat);
      if (timer) clearTimeout(timer);
      timer = undefined;
      flush();
      closed = true;
    },
  };
}

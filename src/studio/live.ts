/**
 * The studio's live feed. Job events are written to the job store by whichever process runs
 * the job (a worker, a `tack train` in a terminal); the hub reads new ones every `pollMs`
 * (SQLite in WAL mode: reading never waits for a writer) and hands them to every open page
 * (Server-Sent Events). The store's event number is the SSE id, so a page that reconnects gets
 * what it missed. Changes the studio makes itself (a caption saved, a setting changed) are
 * announced at once as studio events.
 */
import type { JobEvent, JobStore } from '../jobs/index.js';

export type StudioEvent =
  | { readonly kind: 'job'; readonly event: JobEvent }
  | { readonly kind: 'studio'; readonly type: string; readonly data: Readonly<Record<string, unknown>> };

type Listener = (event: StudioEvent) => void;

export class EventHub {
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | undefined;
  private seq: number;
  private readonly onJobEvents: ((events: readonly JobEvent[]) => void) | undefined;

  constructor(
    private readonly store: JobStore,
    options: { readonly pollMs?: number; readonly onJobEvents?: (events: readonly JobEvent[]) => void } = {},
  ) {
    this.seq = store.lastEventSeq();
    this.pollMs = options.pollMs ?? 100;
    this.onJobEvents = options.onJobEvents;
  }

  private readonly pollMs: number;

  /** The newest job event number seen. */
  get lastSeq(): number {
    return this.seq;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.poll(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  /** Reads and delivers new job events now (also called after the studio writes one). */
  poll(): void {
    let events: JobEvent[];
    try {
      events = this.store.eventsSince(this.seq, { limit: 2000 });
    } catch {
      return; // briefly locked or closing: the next poll catches up
    }
    if (events.length === 0) return;
    this.seq = (events.at(-1) as JobEvent).seq;
    this.onJobEvents?.(events);
    for (const event of events) this.emit({ kind: 'job', event });
  }

  /** Announces a change the studio made (e.g. {type: "captions", data: {project}}). */
  publish(type: string, data: Readonly<Record<string, unknown>>): void {
    this.emit({ kind: 'studio', type, data });
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StudioEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        /* one broken page must not stop the others */
      }
    }
  }
}

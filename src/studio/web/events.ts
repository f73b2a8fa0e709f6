/**
 * The live feed: one EventSource for the whole page. Job events (progress, state, epochs,
 * samples, likeness ...) and studio events (a caption saved, photos removed) reach every
 * component that listens; the browser reconnects by itself and, through the event ids, gets
 * the events it missed.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { JobEvent } from './types.js';

export type FeedEvent = { readonly kind: 'job'; readonly event: JobEvent } | { readonly kind: 'studio'; readonly type: string; readonly project?: string };

type Listener = (event: FeedEvent) => void;
const listeners = new Set<Listener>();
let source: EventSource | undefined;
let state: 'connecting' | 'open' | 'lost' = 'connecting';
const stateListeners = new Set<(s: typeof state) => void>();

function setState(next: typeof state): void {
  state = next;
  for (const l of stateListeners) l(next);
}

export function connectFeed(): void {
  if (source) return;
  source = new EventSource('/api/events');
  source.addEventListener('open', () => setState('open'));
  source.addEventListener('error', () => setState(source?.readyState === EventSource.CLOSED ? 'lost' : 'connecting'));
  source.addEventListener('job', (e) => {
    const event = JSON.parse((e as MessageEvent<string>).data) as JobEvent;
    for (const l of listeners) l({ kind: 'job', event });
  });
  source.addEventListener('studio', (e) => {
    const data = JSON.parse((e as MessageEvent<string>).data) as { type: string; project?: string };
    for (const l of listeners) l({ kind: 'studio', type: data.type, ...(data.project ? { project: data.project } : {}) });
  });
}

/** Calls `handler` with every feed event while the component is shown. */
export function useFeed(handler: Listener): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const l: Listener = (e) => ref.current(e);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
}

export function useFeedState(): typeof state {
  const [s, set] = useState(state);
  useEffect(() => {
    stateListeners.add(set);
    return () => void stateListeners.delete(set);
  }, []);
  return s;
}

/**
 * Reloads with `load` when the feed says something that `matches` happened (a burst of events
 * causes one reload), and once at first.
 */
export function useLive<T>(load: () => Promise<T>, matches: (e: FeedEvent) => boolean, deps: readonly unknown[]): { data: T | undefined; error: unknown; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const timer = useRef<number | undefined>(undefined);
  const generation = useRef(0);
  const run = () => {
    const mine = ++generation.current;
    load().then(
      (d) => {
        if (mine === generation.current) {
          setData(d);
          setError(undefined);
        }
      },
      (e: unknown) => mine === generation.current && setError(e),
    );
  };
  useEffect(() => {
    setData(undefined);
    run();
    return () => {
      generation.current++;
      if (timer.current) clearTimeout(timer.current);
    };
  }, deps);
  useFeed((e) => {
    if (!matches(e)) return;
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(run, 120) as unknown as number;
  });
  return { data, error, reload: run };
}

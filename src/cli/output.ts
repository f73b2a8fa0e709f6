/** How commands write: text for people on stdout, progress and errors on stderr, or JSON. */
import type { ProgressEvent, ProgressListener } from '../core/index.js';
import { formatDuration } from '../core/index.js';

export interface Output {
  write(text: string): void;
  readonly isTTY: boolean;
  readonly columns: number;
}

export function streamOutput(stream: NodeJS.WriteStream): Output {
  return {
    write: (text) => void stream.write(text),
    get isTTY() {
      return Boolean(stream.isTTY);
    },
    get columns() {
      return stream.columns ?? 80;
    },
  };
}

/** Collects everything written, for tests. */
export function memoryOutput(isTTY = false): Output & { text(): string } {
  let buffer = '';
  return { write: (text) => void (buffer += text), isTTY, columns: 100, text: () => buffer };
}

export interface ProgressBar extends ProgressListener {
  /** Clears the bar (TTY) and prints nothing more. */
  finish(): void;
}

const BAR_WIDTH = 24;

/** The ETA needs this much measured work: a first tick (often a 2-byte tensor) predicts nothing. */
const ETA_MIN_ELAPSED_MS = 1000;

/**
 * A progress bar on stderr with count, percent and ETA. On a terminal it redraws one line; in a
 * log file (not a TTY) it prints a line at most every `intervalMs`, so CI logs stay short. The
 * ETA is the rate since the first tick applied to what is left, shown once a second of work
 * has been measured (before that it is --:--, never a guess from one tick).
 */
export function progressBar(out: Output, label: string, options: { readonly intervalMs?: number; readonly enabled?: boolean; readonly now?: () => number } = {}): ProgressBar {
  const clock = options.now ?? Date.now;
  const started = clock();
  let lastPrint = 0;
  let drawn = false;
  let first: { at: number; done: number } | undefined;
  const enabled = options.enabled ?? true;
  const interval = options.intervalMs ?? (out.isTTY ? 100 : 2000);
  const listener = (event: ProgressEvent) => {
    if (!enabled) return;
    const now = clock();
    first ??= { at: now, done: event.done };
    const finished = event.done >= event.total;
    if (!finished && now - lastPrint < interval) return;
    lastPrint = now;
    const fraction = event.total > 0 ? Math.min(1, event.done / event.total) : 1;
    const elapsed = now - started;
    const measuredMs = now - first.at;
    const measured = event.done - first.done;
    const eta = measuredMs >= ETA_MIN_ELAPSED_MS && measured > 0 ? (measuredMs / measured) * (event.total - event.done) : NaN;
    const count = event.unit === 'bytes' ? `${(event.done / 1048576).toFixed(1)}/${(event.total / 1048576).toFixed(1)} MB` : `${event.done}/${event.total}`;
    const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
    const timing = finished ? `in ${formatDuration(elapsed)}` : `ETA ${formatDuration(eta)}`;
    if (out.isTTY) {
      const filled = Math.round(fraction * BAR_WIDTH);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
      let line = `${label} ${bar} ${count} ${pct} ${timing}`;
      if (event.item && !finished) line += `  ${event.item}`;
      out.write(`\r\x1b[2K${line.slice(0, Math.max(20, out.columns - 1))}`);
      drawn = true;
    } else if (!finished || drawn || event.total > 0) {
      out.write(`${label} ${count} ${pct.trim()} ${timing}\n`);
    }
  };
  return Object.assign(listener, {
    finish() {
      if (drawn && out.isTTY) out.write('\r\x1b[2K');
      drawn = false;
    },
  });
}

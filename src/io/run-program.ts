/**
 * Runs an external program (the engine's generation script) as an argument array, never
 * through a shell, with its output kept (last lines for error messages) and passed on line by
 * line. Ctrl-C (the signal) sends SIGINT to the program's process group, then SIGKILL after a
 * grace period, so a Python script with worker processes stops as a whole.
 */
import { spawn } from 'node:child_process';

export interface RunProgramOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  readonly onLine?: (line: string) => void;
  readonly graceMs?: number;
  /** Lines kept for the result (default 40). */
  readonly keepLines?: number;
}

export type ProgramOutcome =
  | { readonly kind: 'exited'; readonly code: number; readonly lastLines: readonly string[] }
  | { readonly kind: 'signalled'; readonly signal: string; readonly lastLines: readonly string[] }
  | { readonly kind: 'cancelled'; readonly lastLines: readonly string[] }
  | { readonly kind: 'not-started'; readonly message: string };

export function runProgram(command: string, args: readonly string[], options: RunProgramOptions = {}): Promise<ProgramOutcome> {
  return new Promise((resolve) => {
    const keep = options.keepLines ?? 40;
    const lines: string[] = [];
    let cancelled = false;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, [...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    } catch (error) {
      resolve({ kind: 'not-started', message: error instanceof Error ? error.message : String(error) });
      return;
    }
    const take = (chunk: Buffer, rest: { text: string }) => {
      rest.text += chunk.toString('utf8');
      const parts = rest.text.split(/\r?\n|\r/);
      rest.text = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > keep) lines.shift();
        options.onLine?.(line);
      }
    };
    const out = { text: '' };
    const err = { text: '' };
    child.stdout?.on('data', (c: Buffer) => take(c, out));
    child.stderr?.on('data', (c: Buffer) => take(c, err));
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (signal: NodeJS.Signals) => {
      try {
        if (child.pid && process.platform !== 'win32') process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        /* already gone */
      }
    };
    const onAbort = () => {
      cancelled = true;
      kill('SIGINT');
      killTimer = setTimeout(() => kill('SIGKILL'), options.graceMs ?? 10_000);
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ kind: 'not-started', message: error.message });
    });
    child.on('close', (code, signal) => {
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      for (const rest of [out, err]) if (rest.text) lines.push(rest.text);
      const lastLines = lines.slice(-keep);
      if (cancelled) resolve({ kind: 'cancelled', lastLines });
      else if (signal) resolve({ kind: 'signalled', signal, lastLines });
      else resolve({ kind: 'exited', code: code ?? 1, lastLines });
    });
  });
}

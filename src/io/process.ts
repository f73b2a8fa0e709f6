/**
 * Child processes, started from an argument array and never through a shell, each in its own
 * process group so that Ctrl-C in the terminal reaches only tack and tack decides how to stop
 * them; if tack itself exits, the group is killed with it. Three shapes:
 *   - `runCaptured`: short commands (probes, git, pip): output kept, SIGKILL on timeout or cancel;
 *   - `spawnSupervised`: the trainer: output handed on as it arrives; stopped with SIGINT to the
 *     whole group (accelerate and the training script), then SIGKILL after a grace period;
 *   - `runProgram`: the same supervision run to its end (the engine's generation script), output
 *     handed on line by line and the last lines kept for error messages.
 * `openInDefaultApp` starts a program that is meant to outlive tack (the browser of `tack report --open` and `tack studio`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { sleep } from '../core/index.js';

export interface CapturedResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  /** Set when the program could not be started at all (ENOENT ...). */
  readonly spawnError?: NodeJS.ErrnoException;
}

export interface CapturedOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Each chunk of output as it arrives (both streams). */
  readonly onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
  /** Keep at most this many characters of each stream (the tail). */
  readonly maxChars?: number;
}

/** A signal to the child's whole process group (the child alone on Windows). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    /* the group is gone */
  }
}

/** SIGKILL to the child's process group. */
export function killGroup(child: ChildProcess): void {
  signalGroup(child, 'SIGKILL');
}

/** Spawns a program with pipes in its own process group; the group is killed if tack exits first. */
export function spawnInGroup(argv: readonly string[], options: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string; readonly stdin?: 'pipe' | 'ignore' } = {}): ChildProcess {
  const [file, ...args] = argv as [string, ...string[]];
  const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
  const onExit = () => killGroup(child);
  process.once('exit', onExit);
  child.once('close', () => process.removeListener('exit', onExit));
  child.once('error', () => process.removeListener('exit', onExit));
  return child;
}

export interface RunToEndOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Bytes fed to stdin (then closed); without it stdin is closed from the start. */
  readonly input?: string | Uint8Array;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onStdout?: (chunk: Buffer) => void;
  readonly onStderr?: (chunk: Buffer) => void;
}

export interface RunToEndResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly spawnError?: NodeJS.ErrnoException;
}

/**
 * Runs a program to its end in its own process group (spawnInGroup), its output handed on as it
 * arrives; the group is killed on timeout or abort. Never rejects: a program that cannot start
 * comes back as `spawnError`.
 */
export function runToEnd(argv: readonly string[], options: RunToEndOptions = {}): Promise<RunToEndResult> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawnInGroup(argv, { ...(options.env ? { env: options.env } : {}), ...(options.cwd ? { cwd: options.cwd } : {}), stdin: options.input === undefined ? 'ignore' : 'pipe' });
    } catch (error) {
      resolve({ code: null, signal: null, timedOut: false, spawnError: error as NodeJS.ErrnoException });
      return;
    }
    let timedOut = false;
    let settled = false;
    child.stdout?.on('data', (chunk: Buffer) => options.onStdout?.(chunk));
    child.stderr?.on('data', (chunk: Buffer) => options.onStderr?.(chunk));
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          killGroup(child);
        }, options.timeoutMs)
      : undefined;
    const onAbort = () => killGroup(child);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
    const finish = (result: Pick<RunToEndResult, 'code' | 'signal' | 'spawnError'>) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ ...result, timedOut });
    };
    child.once('error', (error) => finish({ code: null, signal: null, spawnError: error as NodeJS.ErrnoException }));
    child.once('close', (code, signal) => finish({ code, signal }));
  });
}

/** Whether any process of group `pgid` is still running (zombies waiting to be reaped do not count). */
function groupRunning(pgid: number): boolean {
  if (process.platform === 'linux') {
    let names: string[];
    try {
      names = readdirSync('/proc');
    } catch {
      names = [];
    }
    if (names.length > 0) {
      for (const name of names) {
        if (name.charCodeAt(0) > 57) continue;
        try {
          const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
          // Fields after "(comm) ": state, ppid, pgrp, ...
          const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          if (Number(pgrp) === pgid && state !== 'Z') return true;
        } catch {
          /* the process ended while reading */
        }
      }
      return false;
    }
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (up to `timeoutMs`) until every process of the group has ended after a SIGKILL. */
async function groupGone(pgid: number, timeoutMs = 3000): Promise<void> {
  if (process.platform === 'win32') return;
  const until = Date.now() + timeoutMs;
  while (groupRunning(pgid) && Date.now() < until) await sleep(20);
}

/** Runs a command to completion and returns its output (the tail, for chatty commands). */
export async function runCaptured(argv: readonly string[], options: CapturedOptions = {}): Promise<CapturedResult> {
  const max = options.maxChars ?? 1_000_000;
  const out = { stdout: '', stderr: '' };
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  const take = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    const text = decoders[stream].write(chunk);
    options.onOutput?.(text, stream);
    out[stream] = (out[stream] + text).slice(-max);
  };
  const result = await runToEnd(argv, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onStdout: take('stdout'),
    onStderr: take('stderr'),
  });
  return { ...result, ...out };
}

export interface SupervisedExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SupervisedProcess {
  readonly pid: number;
  /** Resolves when the process and every holder of its output pipes are gone. */
  readonly exited: Promise<SupervisedExit>;
  /** SIGINT to the group now, SIGKILL after `graceMs` if it is still there. */
  stop(graceMs: number): void;
  /** SIGKILL to the group now. */
  kill(): void;
  readonly stopRequestedAt: number | undefined;
  /** The grace period ran out and the group got SIGKILL. */
  readonly killedAfterGrace: boolean;
}

export interface SupervisedOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Raw output chunks in arrival order (for the log file). */
  readonly onChunk?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  /** Decoded text in whole lines (ending with \n or \r), per stream, for the parser. */
  readonly onLines: (text: string, stream: 'stdout' | 'stderr') => void;
  /**
   * The unterminated end of a stream after each chunk. A progress bar (tqdm) starts each redraw
   * with \r and never ends it, so its newest state would otherwise wait for the next redraw.
   */
  readonly onPartial?: (text: string, stream: 'stdout' | 'stderr') => void;
}

export interface LineSplitter {
  push(chunk: Buffer): void;
  /** Hands on the last partial line (ending it with a line break). */
  end(): void;
}

/** Decodes UTF-8 output (even split inside a character) and hands it on in whole lines (ending with \n or \r). */
export function createLineSplitter(onLines: (text: string) => void, onPartial?: (text: string) => void): LineSplitter {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  return {
    push(chunk) {
      const text = pending + decoder.write(chunk);
      let cut = -1;
      for (let i = text.length - 1; i >= 0; i--) {
        const c = text.charCodeAt(i);
        if (c === 10 || c === 13) {
          cut = i;
          break;
        }
      }
      if (cut >= 0) {
        onLines(text.slice(0, cut + 1));
        pending = text.slice(cut + 1);
      } else pending = text;
      if (pending) onPartial?.(pending);
    },
    end() {
      const rest = pending + decoder.end();
      pending = '';
      if (rest) onLines(`${rest}\n`);
    },
  };
}

/** Whole lines of UTF-8 output, one call each, without their line break (JSON lines, rsync's list). */
export function createLineReader(onLine: (line: string) => void): LineSplitter {
  return createLineSplitter((text) => {
    for (const line of text.split(/\r\n|\n|\r/).slice(0, -1)) onLine(line);
  });
}

/** Starts a program (the trainer) in its own process group with piped output. Throws on spawn failure. */
export async function spawnSupervised(argv: readonly string[], options: SupervisedOptions): Promise<SupervisedProcess> {
  const [file, ...args] = argv as [string, ...string[]];
  const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const pid = child.pid as number;
  const onExit = () => signalGroup(child, 'SIGKILL');
  process.once('exit', onExit);
  let stopRequestedAt: number | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let killedAfterGrace = false;
  for (const stream of ['stdout', 'stderr'] as const) {
    const onPartial = options.onPartial;
    const lines = createLineSplitter((text) => options.onLines(text, stream), onPartial ? (text) => onPartial(text, stream) : undefined);
    const source = child[stream];
    source?.on('data', (chunk: Buffer) => {
      options.onChunk?.(chunk, stream);
      lines.push(chunk);
    });
    source?.on('end', () => lines.end());
  }
  const exited = new Promise<SupervisedExit>((resolve) => {
    let exit: SupervisedExit | undefined;
    let fallback: NodeJS.Timeout | undefined;
    const done = (value: SupervisedExit) => {
      if (killTimer) clearTimeout(killTimer);
      if (fallback) clearTimeout(fallback);
      process.removeListener('exit', onExit);
      // Anything left in the group (a grandchild that ignored SIGINT) goes too, and is gone
      // before the outcome is known: a stopped trainer has let go of the GPU.
      signalGroup(child, 'SIGKILL');
      void groupGone(pid).then(() => resolve(value));
    };
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      // A grandchild may still hold the pipes; give it a moment, then stop waiting for them.
      fallback = setTimeout(() => {
        if (stopRequestedAt === undefined) return done(exit as SupervisedExit);
        signalGroup(child, 'SIGKILL');
        child.stdout?.destroy();
        child.stderr?.destroy();
        done(exit as SupervisedExit);
      }, 30_000);
      fallback.unref();
    });
    child.once('close', (code, signal) => done(exit ?? { code, signal }));
  });
  return {
    pid,
    exited,
    get stopRequestedAt() {
      return stopRequestedAt;
    },
    get killedAfterGrace() {
      return killedAfterGrace;
    },
    stop(graceMs: number) {
      if (stopRequestedAt !== undefined) return;
      stopRequestedAt = Date.now();
      signalGroup(child, 'SIGINT');
      killTimer = setTimeout(() => {
        killedAfterGrace = true;
        signalGroup(child, 'SIGKILL');
      }, graceMs);
      killTimer.unref();
    },
    kill() {
      signalGroup(child, 'SIGKILL');
    },
  };
}

export interface RunProgramOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Stops the program: SIGINT to its group, SIGKILL after `graceMs` (default 10 s). */
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

/** Runs a program under supervision to its end; its output (both streams) goes by line to `onLine`. */
export async function runProgram(command: string, args: readonly string[], options: RunProgramOptions = {}): Promise<ProgramOutcome> {
  const keep = options.keepLines ?? 40;
  const lines: string[] = [];
  const onLines = (text: string) => {
    const parts = text.split(/\r?\n|\r/);
    parts.pop(); // the text ends with a line break
    for (const line of parts) {
      lines.push(line);
      if (lines.length > keep) lines.shift();
      options.onLine?.(line);
    }
  };
  let child: SupervisedProcess;
  try {
    child = await spawnSupervised([command, ...args], { cwd: options.cwd ?? process.cwd(), env: options.env ?? process.env, onLines });
  } catch (error) {
    return { kind: 'not-started', message: error instanceof Error ? error.message : String(error) };
  }
  const onAbort = () => child.stop(options.graceMs ?? 10_000);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const exit = await child.exited;
  options.signal?.removeEventListener('abort', onAbort);
  if (child.stopRequestedAt !== undefined) return { kind: 'cancelled', lastLines: lines };
  if (exit.signal) return { kind: 'signalled', signal: exit.signal, lastLines: lines };
  return { kind: 'exited', code: exit.code ?? 1, lastLines: lines };
}

/**
 * Opens a file or URL in the user's default application (the browser for `tack report --open`
 * and `tack studio`) through open / explorer / xdg-open, started so that it outlives tack: in its
 * own process group, without pipes, neither waited for nor stopped.
 */
export function openInDefaultApp(target: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(opener, [target], { stdio: 'ignore', detached: process.platform !== 'win32' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    /* no opener: the report's path is printed anyway */
  }
}

/** True when a process with this pid exists (EPERM: exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

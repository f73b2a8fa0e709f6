/**
 * Processes that outlive the process that started them: job workers. A worker is started
 * detached (its own session and process group, no pipes to its parent), with its output going
 * to a log file, so closing the studio or the terminal neither stops it nor breaks its output.
 * Liveness is checked by pid plus the process start time, because pids are reused.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface WorkerSpawnOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Both output streams are appended here. */
  readonly logFile: string;
}

/** Starts `argv` detached with its output in `logFile`; returns its pid. Throws when it cannot start. */
export function spawnWorkerProcess(argv: readonly string[], options: WorkerSpawnOptions): number {
  const [file, ...args] = argv as [string, ...string[]];
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', fd, fd], detached: process.platform !== 'win32' });
    if (child.pid === undefined) throw new Error(`could not start ${file}`);
    child.on('error', () => undefined);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * When the process started, in clock ticks since boot (Linux /proc/<pid>/stat field 22), or
 * undefined where that cannot be read. Together with the pid it names one process for good.
 */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm) " start at field 3 (state); starttime is field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const value = Number(fields[19]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Sends `signal` to one process; false when it does not exist (or is not ours). */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

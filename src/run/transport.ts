/**
 * Where the trainer runs. The supervisor (supervise.ts), the log parser and the typed outcome
 * are the same for every run; a transport only starts the trainer and hands its output back:
 * this machine spawns it (localTransport), a remote runs it under tack's helper there and
 * streams the log and the output files home (src/remote).
 */
import os from 'node:os';
import type { LaunchCommand } from '../engine/index.js';
import { spawnSupervised } from '../io/index.js';

export type StopReason = 'cancelled' | 'nan-loss' | 'stalled';

export interface TrainerExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** The far side stopped the trainer by itself (it watched for a stall or a NaN loss), or its run folder vanished. */
  readonly stopReason?: StopReason | 'remote-gone';
  readonly killedAfterGrace?: boolean;
  /** Times recorded where the trainer ran (a remote run followed after the fact). */
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** tack stopped following; the trainer goes on (a remote run). */
  readonly detached?: boolean;
  /** The run ended without a record of how (a remote machine restarted, a bundle's log just stops): what is known, in words. */
  readonly lost?: { readonly message: string; readonly hint?: string };
}

export interface TrainerOutput {
  /** Raw output in arrival order (appended to log.txt). */
  onChunk(chunk: Buffer): void;
  /** The same output decoded, in whole lines (for the parser). */
  onLines(text: string): void;
  /**
   * The unterminated end of the output after each chunk: a progress bar (tqdm) starts each
   * redraw with \r and never ends it, so its newest state would otherwise wait for the next one.
   */
  onPartial?(text: string): void;
  /** New files are in the run folder's output/ (remote runs: pulled home). */
  onFiles(): void;
  /** Something worth telling the user about the link (a dropped connection, a reconnect). */
  onNotice(message: string): void;
}

export interface StartedTrainer {
  readonly pid: number;
  /** Who keeps the run going: this tack process, or the helper on a remote. */
  readonly supervisor: { readonly pid: number; readonly hostname: string };
  readonly startedAt?: string;
  readonly exited: Promise<TrainerExit>;
  /** Stops the trainer: SIGINT to its process group, SIGKILL after `graceMs`. */
  stop(reason: StopReason, graceMs: number): void;
  /** Stops following and leaves the trainer going (remote runs only). */
  detach?(): void;
  readonly killedAfterGrace: boolean;
}

export interface TrainerStartOptions {
  readonly stallTimeoutMs: number;
  readonly stopGraceMs: number;
  /** A line for log.txt before the trainer's output (a resumed attempt). */
  readonly banner?: string;
  /** Follow a trainer that is already running (re-attaching) instead of starting one. */
  readonly attach: boolean;
}

export interface TrainerTransport {
  /** "local" or the remote's name. */
  readonly where: string;
  /** Output files appear in the run folder whole (pulled and renamed), so they need no size-stability wait. */
  readonly filesArriveWhole: boolean;
  /** The far side watches for a stall itself (a dropped connection must not look like one). */
  readonly watchesStall: boolean;
  /** The far side writes log.txt (banner included); the local log.txt is its copy. */
  readonly writesLog: boolean;
  /** What tack being closed (SIGHUP, SIGTERM) means: stop the trainer, or leave it going. */
  readonly onHangup: 'stop' | 'detach';
  start(command: LaunchCommand, output: TrainerOutput, options: TrainerStartOptions): Promise<StartedTrainer>;
}

/** The trainer as a child process of this tack (its own process group). */
export const localTransport: TrainerTransport = {
  where: 'local',
  filesArriveWhole: false,
  watchesStall: false,
  writesLog: false,
  onHangup: 'stop',
  async start(command, output) {
    const child = await spawnSupervised(command.argv, {
      cwd: command.cwd,
      env: { ...process.env, ...command.env },
      onChunk: (chunk) => output.onChunk(chunk),
      onLines: (text) => output.onLines(text),
      onPartial: (text) => output.onPartial?.(text),
    });
    return {
      pid: child.pid,
      supervisor: { pid: process.pid, hostname: os.hostname() },
      exited: child.exited,
      stop: (_reason, graceMs) => child.stop(graceMs),
      get killedAfterGrace() {
        return child.killedAfterGrace;
      },
    };
  },
};

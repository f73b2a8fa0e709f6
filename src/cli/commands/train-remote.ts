/**
 * The remote side of `tack train --on <remote>`, `tack train --resume` of a remote run, and
 * `tack attach`: the same live display and outcome as a local run, plus what a remote adds
 * (sync and download progress, link notices) and Ctrl-C that asks whether to stop the remote
 * run or to leave it going.
 */
import { formatBytes, type ProgressEvent } from '../../core/index.js';
import type { DatasetManifest } from '../../dataset/index.js';
import type { DeviceSetting } from '../../engine/index.js';
import type { Project } from '../../project/index.js';
import { lockFollow, prepareRemoteResume, prepareRemoteRun, type LinkStats, type PreparedRemoteRun, type RemoteProgressKind, type RemoteTransport } from '../../remote/index.js';
import { resumeRun, startRun, type ResumePlan, type SupervisorEvent, type TrainResult } from '../../run/index.js';
import type { CommandContext, OptionValues } from '../command.js';
import { choiceOption, stringOption } from '../command.js';
import type { ProgressBar } from '../output.js';

export type InterruptMode = 'ask' | 'stop' | 'detach';

/** The terminal's keys (process.stdin; a test passes its own). */
export interface KeyInput {
  readonly isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
  resume(): unknown;
  pause(): unknown;
  on(event: 'data', listener: (key: Buffer) => void): unknown;
  removeListener(event: 'data', listener: (key: Buffer) => void): unknown;
}

export interface Interrupts {
  readonly stop: AbortSignal;
  readonly detach: AbortSignal;
  dispose(): void;
}

/**
 * What Ctrl-C means for a remote run. On a terminal tack asks (s: stop the run there,
 * d: leave it going); otherwise --on-interrupt decides (default stop, like a local run).
 */
export function remoteInterrupts(ctx: Pick<CommandContext, 'signal' | 'stderr'>, mode: InterruptMode, remote: string, projectArg: string, stdin: KeyInput = process.stdin): Interrupts {
  const stop = new AbortController();
  const detach = new AbortController();
  let asking = false;
  const decide = (choice: 'stop' | 'detach') => (choice === 'stop' ? stop : detach).abort();
  const ask = () => {
    asking = true;
    ctx.stderr.write(`\nThe run goes on on ${remote} while you choose: [s] stop it there, [d] detach (tack attach ${projectArg} follows it again)? `);
    stdin.setRawMode?.(true);
    stdin.resume();
    const onKey = (key: Buffer) => {
      const k = key.toString().toLowerCase();
      if (k !== 's' && k !== 'd' && k !== '\u0003') return;
      stdin.removeListener('data', onKey);
      stdin.setRawMode?.(false);
      stdin.pause();
      ctx.stderr.write(k === 's' ? 'stop\n' : 'detach\n');
      decide(k === 's' ? 'stop' : 'detach');
    };
    stdin.on('data', onKey);
  };
  const onAbort = () => {
    if (asking) return;
    if (mode === 'ask' && stdin.isTTY && typeof stdin.setRawMode === 'function') ask();
    else decide(mode === 'detach' ? 'detach' : 'stop');
  };
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });
  return { stop: stop.signal, detach: detach.signal, dispose: () => ctx.signal.removeEventListener('abort', onAbort) };
}

export function interruptMode(values: OptionValues): InterruptMode {
  return choiceOption<InterruptMode>(values, 'on-interrupt', ['ask', 'stop', 'detach']) ?? 'ask';
}

/** Progress bars for the model download/upload and the sync, one at a time. */
function remoteProgress(ctx: CommandContext): { onProgress: (kind: RemoteProgressKind, event: ProgressEvent) => void; finish(): void } {
  const labels: Record<RemoteProgressKind, string> = { download: 'Downloading the base model there', upload: 'Uploading the base model', sync: 'Syncing' };
  let bar: { kind: RemoteProgressKind; bar: ProgressBar } | undefined;
  return {
    onProgress(kind, event) {
      if (event.total <= 0) return;
      if (bar?.kind !== kind) {
        bar?.bar.finish();
        bar = { kind, bar: ctx.progress(labels[kind]) };
      }
      bar.bar(event);
    },
    finish() {
      bar?.bar.finish();
    },
  };
}

/** One line on what came home from the remote (text mode). */
export function printLink(ctx: CommandContext, remote: string, stats: LinkStats): void {
  ctx.print(`  from ${remote}: ${stats.pulledFiles} file(s) brought home (${formatBytes(stats.pulledBytes)})${stats.reconnects ? `, ${stats.reconnects} reconnect(s)` : ''}`);
}

export function linkJson(stats: LinkStats) {
  return { pulledFiles: stats.pulledFiles, pulledBytes: stats.pulledBytes, removedFiles: stats.removedFiles, reconnects: stats.reconnects };
}

export interface RemoteTrainInput {
  readonly project: Project;
  readonly projectArg: string;
  readonly manifest: DatasetManifest;
  readonly remote: string;
  readonly values: OptionValues;
  readonly presetName?: string;
  readonly gpuProfile?: string;
  readonly device?: DeviceSetting;
  readonly onEvent?: (event: SupervisorEvent) => void;
}

/** tack train --on, first half: doctor, model, run folder and sync (printed before the launch). */
export async function prepareOnRemote(ctx: CommandContext, input: RemoteTrainInput): Promise<PreparedRemoteRun> {
  const progress = remoteProgress(ctx);
  try {
    return await prepareRemoteRun({
      project: input.project,
      manifest: input.manifest,
      env: ctx.env,
      remote: input.remote,
      signal: ctx.signal,
      uploadModel: Boolean(input.values['upload-model']),
      detach: Boolean(input.values.detach),
      ...(input.presetName ? { presetName: input.presetName } : {}),
      ...(input.gpuProfile ? { gpuProfile: input.gpuProfile } : {}),
      ...(input.device ? { device: input.device } : {}),
      onStep: (text) => {
        progress.finish();
        if (!ctx.json) ctx.stderr.write(`${text}...\n`);
      },
      onProgress: progress.onProgress,
    });
  } finally {
    progress.finish();
  }
}

/** tack train --on, second half: launch there and follow (or leave it going at once with --detach). */
export async function launchOnRemote(ctx: CommandContext, remote: PreparedRemoteRun, input: RemoteTrainInput): Promise<TrainResult> {
  const release = await lockFollow(remote.prepared.paths.dir);
  const interrupts = remoteInterrupts(ctx, interruptMode(input.values), input.remote, input.projectArg);
  try {
    return await startRun(remote.prepared, {
      project: input.project,
      projectArg: input.projectArg,
      signal: interrupts.stop,
      detachSignal: interrupts.detach,
      transport: remote.transport,
      ...(input.onEvent ? { onEvent: input.onEvent } : {}),
    });
  } finally {
    interrupts.dispose();
    await release();
  }
}

/** tack train --resume of a remote run: continue it there from its newest saved state. */
export async function resumeOnRemote(ctx: CommandContext, input: { project: Project; projectArg: string; plan: ResumePlan; values: OptionValues; onEvent?: (event: SupervisorEvent) => void }): Promise<{ result: TrainResult; transport: RemoteTransport; plan: ResumePlan }> {
  const { plan, transport } = await prepareRemoteResume(input.plan, { project: input.project, env: ctx.env, projectArg: input.projectArg, signal: ctx.signal, ...(stringOption(input.values, 'on') ? { on: stringOption(input.values, 'on') as string } : {}) });
  const release = await lockFollow(plan.paths.dir);
  const interrupts = remoteInterrupts(ctx, interruptMode(input.values), transport.where, input.projectArg);
  try {
    const result = await resumeRun(plan, { project: input.project, projectArg: input.projectArg, signal: interrupts.stop, detachSignal: interrupts.detach, transport, ...(input.onEvent ? { onEvent: input.onEvent } : {}) });
    return { result, transport, plan };
  } finally {
    interrupts.dispose();
    await release();
  }
}

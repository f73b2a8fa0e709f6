/**
 * Supervises one launch of the trainer: starts it in its own process group, copies its output
 * unchanged to log.txt, parses it into events (metrics.jsonl), watches output/ for checkpoints
 * and samples as they appear, keeps run.json's heartbeat fresh, and turns the end into a typed
 * outcome. It stops the trainer itself when the loss turns NaN (the engine would go on
 * training garbage: sd-scripts.md 10.6), when it prints nothing for too long, or when the
 * user presses Ctrl-C (SIGINT to the group, SIGKILL after the grace period; what was saved is
 * kept). Where the trainer runs is the transport's business (transport.ts): this machine, or a
 * remote whose log and files come home as they appear; a remote run can also be left going
 * (detached) and followed again later (attach), with its log replayed into the parser first.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import type { EngineEvent, FailureKind, LaunchCommand, TrainerEngine, TrainingPhase } from '../engine/index.js';
import { isTackError, writeJsonAtomic } from '../core/index.js';
import { runErrors } from './errors.js';
import { describeFailure, pickFailure, type FailureReason, type RunOutcome, type TrainResult } from './outcome.js';
import { writeRunMeta, type RunMeta, type RunPaths, type RunProgress } from './run-folder.js';
import { localTransport, type StartedTrainer, type TrainerTransport } from './transport.js';

export type SupervisorEvent =
  | { readonly kind: 'started'; readonly pid: number; readonly where: string; readonly attached: boolean }
  | { readonly kind: 'progress'; readonly progress: RunProgress; readonly etaSec: number | null }
  | { readonly kind: 'phase'; readonly phase: TrainingPhase; readonly done?: number; readonly total?: number }
  | { readonly kind: 'epoch'; readonly epoch: number; readonly totalEpochs: number }
  | { readonly kind: 'checkpoint'; readonly epoch: number; readonly file: string; readonly final: boolean; readonly sizeBytes: number }
  | { readonly kind: 'sample'; readonly epoch: number; readonly promptIndex: number; readonly file: string }
  | { readonly kind: 'warning'; readonly message: string }
  | { readonly kind: 'stopping'; readonly reason: 'cancelled' | 'nan-loss' | 'stalled' }
  | { readonly kind: 'link'; readonly message: string };

export interface SuperviseOptions {
  readonly engine: TrainerEngine;
  readonly command: LaunchCommand;
  readonly run: RunPaths;
  readonly meta: RunMeta;
  readonly stallTimeoutMs: number;
  readonly stopGraceMs: number;
  /** Steps already done before this launch (a resumed run's bar counts from 0 again). */
  readonly stepOffset?: number;
  readonly resumedFrom?: string;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: SupervisorEvent) => void;
  readonly pollMs?: number;
  readonly heartbeatMs?: number;
  /** How the project was named on the command line, for hints. */
  readonly projectArg: string;
  /** Where the trainer runs (default: this machine). */
  readonly transport?: TrainerTransport;
  /** Aborted to stop following a remote run and leave it going. */
  readonly detachSignal?: AbortSignal;
  /** Follow a trainer that is already running: the local log.txt (its copy so far) is replayed into the parser first. */
  readonly attach?: boolean;
}

interface FileSeen {
  size: number;
  reported: boolean;
}

function jsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => stream.end(resolve));
}

export async function superviseRun(options: SuperviseOptions): Promise<TrainResult> {
  const { engine, run, command } = options;
  const transport = options.transport ?? localTransport;
  const attach = options.attach ?? false;
  const outputName = options.meta.outputName;
  const totalSteps = options.meta.plan.totalSteps;
  const totalEpochs = options.meta.plan.epochs;
  const stepOffset = options.stepOffset ?? 0;
  const pollMs = options.pollMs ?? 2000;
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const emit = options.onEvent ?? (() => undefined);
  await fsp.mkdir(run.sampleDir, { recursive: true });
  const log = createWriteStream(run.logFile, { flags: 'a' });
  const metrics = createWriteStream(run.metricsFile, { flags: 'a' });
  const lastAttempt = attach ? options.meta.attempts.at(-1) : undefined;
  let startedAt = lastAttempt ? new Date(lastAttempt.startedAt) : new Date();
  const banner = options.resumedFrom !== undefined ? `\n==== tack: resumed ${startedAt.toISOString()} from ${options.resumedFrom || 'the beginning'} ====\n` : undefined;
  if (banner && !transport.writesLog) log.write(banner);

  let meta: RunMeta = options.meta;
  let metaWrite: Promise<void> = Promise.resolve();
  const saveMeta = (patch: Partial<RunMeta>) => {
    meta = { ...meta, ...patch } as RunMeta;
    const snapshot = meta;
    metaWrite = metaWrite.then(() => writeRunMeta(run, snapshot)).catch(() => undefined);
    return metaWrite;
  };

  const failures = new Map<FailureKind, string>();
  const warnings: string[] = [];
  let progress: RunProgress = { step: stepOffset, totalSteps, epoch: 0, totalEpochs, loss: null, itPerSec: null, phase: 'starting' };
  let lastMetric = '';
  let stopReason: 'cancelled' | 'nan-loss' | 'stalled' | undefined;
  let lastOutputAt = Date.now();
  let child: StartedTrainer | undefined;
  // While an attached run's earlier output is replayed, events only rebuild state: their
  // metrics lines were written when they first came.
  let replaying = false;
  const record = (value: unknown) => {
    if (!replaying) metrics.write(jsonLine(value));
  };
  const tell = (event: SupervisorEvent) => {
    if (!replaying) emit(event);
  };

  const stop = (reason: 'cancelled' | 'nan-loss' | 'stalled') => {
    if (stopReason) return;
    stopReason = reason;
    tell({ kind: 'stopping', reason });
    record({ time: new Date().toISOString(), kind: 'stop', reason });
    child?.stop(reason, options.stopGraceMs);
  };

  const onEngineEvent = (event: EngineEvent) => {
    const time = new Date().toISOString();
    switch (event.kind) {
      case 'progress': {
        // After a resume the engine's bar counts from 0 again: sd-scripts 48d368fa skips the
        // done epochs but restarts global_step at 0 under a bar of max_train_steps (older ones
        // showed only the steps left). Either way, the steps done before come first.
        const step = stepOffset > 0 ? Math.min(totalSteps, event.step + stepOffset) : event.step;
        const total = stepOffset > 0 ? totalSteps : event.totalSteps;
        const loss = event.loss === null || Number.isNaN(event.loss) ? null : event.loss;
        progress = { ...progress, step, totalSteps: total, loss: event.loss === null ? progress.loss : loss, itPerSec: event.itPerSec, phase: 'training' };
        const key = `${step}|${event.loss}`;
        if (key !== lastMetric) {
          lastMetric = key;
          record({ time, step, totalSteps: total, epoch: progress.epoch, loss, itPerSec: event.itPerSec, ...(Number.isNaN(event.loss ?? 0) ? { lossNaN: true } : {}) });
        }
        tell({ kind: 'progress', progress, etaSec: event.remainingSec });
        break;
      }
      case 'epoch':
        progress = { ...progress, epoch: event.epoch, totalEpochs: event.totalEpochs };
        record({ time, kind: 'epoch', epoch: event.epoch, totalEpochs: event.totalEpochs });
        tell({ kind: 'epoch', epoch: event.epoch, totalEpochs: event.totalEpochs });
        break;
      case 'phase':
        progress = { ...progress, phase: event.phase };
        tell({ kind: 'phase', phase: event.phase });
        break;
      case 'phase-progress':
        tell({ kind: 'phase', phase: event.phase, done: event.done, total: event.total });
        break;
      case 'plan': {
        const { kind: _plan, ...numbers } = event;
        record({ time, kind: 'engine-plan', ...numbers });
        break;
      }
      case 'sampling':
        record({ time, kind: 'sampling', step: event.step, epoch: progress.epoch });
        break;
      case 'checkpoint-saving':
        record({ time, kind: 'checkpoint-saving', file: event.file, epoch: progress.epoch });
        break;
      case 'model-saved':
        record({ time, kind: 'model-saved' });
        break;
      case 'warning':
        if (!warnings.includes(event.message)) {
          warnings.push(event.message);
          record({ time, kind: 'warning', code: event.code, message: event.message });
          tell({ kind: 'warning', message: event.message });
        }
        break;
      case 'failure':
        // A chained traceback names the same kind twice (ModuleNotFoundError, then the
        // engine's own ImportError): the last explains best. The first NaN step is the one to report.
        if (!failures.has(event.failure) || (event.failure !== 'nan-loss' && failures.get(event.failure) !== event.message)) {
          failures.set(event.failure, event.message);
          record({ time, kind: 'failure', failure: event.failure, message: event.message });
        }
        if (event.failure === 'nan-loss') stop('nan-loss');
        break;
    }
  };
  const parser = engine.createLogParser(onEngineEvent);

  // Output files appear while the trainer runs; a file is reported once its size stops changing.
  const checkpoints = new Map<string, FileSeen & { epoch: number; final: boolean }>();
  const samples = new Map<string, FileSeen & { epoch: number; promptIndex: number }>();
  const scan = async (final: boolean) => {
    for (const [dir, isSample] of [
      [run.outputDir, false],
      [run.sampleDir, true],
    ] as const) {
      let names: string[];
      try {
        names = await fsp.readdir(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        if ((isSample ? samples : checkpoints).get(name)?.reported) continue;
        const parsedCk = isSample ? undefined : engine.parseCheckpointName(outputName, name);
        const parsedSample = isSample ? engine.parseSampleName(outputName, name) : undefined;
        if (!parsedCk && !parsedSample) continue;
        let size: number;
        try {
          size = (await fsp.stat(path.join(dir, name))).size;
        } catch {
          continue;
        }
        const table = isSample ? samples : checkpoints;
        const seen = table.get(name);
        if (!seen) {
          if (parsedCk) checkpoints.set(name, { size, reported: false, epoch: parsedCk.epoch ?? totalEpochs, final: parsedCk.final });
          if (parsedSample) samples.set(name, { size, reported: false, epoch: parsedSample.epoch, promptIndex: parsedSample.promptIndex });
          if (!final) continue;
        }
        const entry = table.get(name) as FileSeen & { epoch: number };
        const stable = entry.size === size && size > 0;
        entry.size = size;
        if (entry.reported || !(stable || (final && size > 0))) continue;
        entry.reported = true;
        const rel = path.relative(run.dir, path.join(dir, name));
        const time = new Date().toISOString();
        if (parsedCk) {
          const ck = entry as FileSeen & { epoch: number; final: boolean };
          metrics.write(jsonLine({ time, kind: 'checkpoint', epoch: ck.epoch, file: rel, final: ck.final, sizeBytes: size }));
          emit({ kind: 'checkpoint', epoch: ck.epoch, file: rel, final: ck.final, sizeBytes: size });
        } else if (parsedSample) {
          metrics.write(jsonLine({ time, kind: 'sample', epoch: parsedSample.epoch, promptIndex: parsedSample.promptIndex, file: rel }));
          emit({ kind: 'sample', epoch: parsedSample.epoch, promptIndex: parsedSample.promptIndex, file: rel });
        }
      }
    }
  };

  // Files already in output/ (a resumed run, or files pulled before a re-attach) are known, not new.
  await scan(false);
  for (const table of [checkpoints, samples] as const) for (const entry of table.values()) entry.reported = true;
  const whole = transport.filesArriveWhole;

  if (attach) {
    const before = await fsp.readFile(run.logFile, 'utf8').catch(() => '');
    replaying = true;
    parser.push(before);
    replaying = false;
  }
  let polling = false;
  const poll = () => {
    if (polling) return;
    polling = true;
    scan(whole)
      .catch(() => undefined)
      .finally(() => (polling = false));
  };
  try {
    child = await transport.start(
      command,
      {
        onChunk: (chunk) => {
          lastOutputAt = Date.now();
          log.write(chunk);
        },
        onLines: (text) => parser.push(text),
        onPartial: (text) => parser.peek(text),
        onFiles: poll,
        onNotice: (message) => {
          metrics.write(jsonLine({ time: new Date().toISOString(), kind: 'link', message }));
          emit({ kind: 'link', message });
        },
      },
      { stallTimeoutMs: options.stallTimeoutMs, stopGraceMs: options.stopGraceMs, attach, ...(banner ? { banner } : {}) },
    );
  } catch (error) {
    await Promise.all([closeStream(log), closeStream(metrics)]);
    if (isTackError(error)) throw error;
    const message = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${command.argv[0]} was not found.` : (error as Error).message;
    throw runErrors.create('RUN_SPAWN_FAILED', `Could not start the trainer: ${message}`, 'Run tack engine doctor: it checks the Python and sd-scripts tack found.', { cause: error, details: { argv: command.argv } });
  }
  const trainer = child;
  if (trainer.startedAt && !attach) startedAt = new Date(trainer.startedAt);
  const attempts = attach ? [...meta.attempts] : [...meta.attempts, { startedAt: startedAt.toISOString(), ...(options.resumedFrom !== undefined ? { resumedFrom: options.resumedFrom } : {}), ...(stepOffset ? { stepOffset } : {}) }];
  await saveMeta({
    status: 'running',
    trainer: { pid: trainer.pid },
    supervisor: { ...trainer.supervisor, startedAt: startedAt.toISOString(), heartbeatAt: new Date().toISOString() },
    attempts,
    progress,
  });
  emit({ kind: 'started', pid: trainer.pid, where: transport.where, attached: attach });
  // A NaN seen while replaying, before this tack could ask for the stop.
  if (stopReason) trainer.stop(stopReason, options.stopGraceMs);

  const onAbort = () => stop('cancelled');
  const onDetach = () => trainer.detach?.();
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.detachSignal?.aborted) onDetach();
  options.detachSignal?.addEventListener('abort', onDetach, { once: true });
  // A terminal closed (SIGHUP) or a service stop (SIGTERM) stops a local trainer like Ctrl-C, so
  // it can finish a checkpoint instead of dying mid-write when its output pipe closes; a remote
  // run goes on (that is what it is for) and can be followed again with tack attach.
  const onHangup = transport.onHangup === 'detach' ? onDetach : onAbort;
  process.on('SIGTERM', onHangup);
  process.on('SIGHUP', onHangup);
  const poller = setInterval(() => {
    poll();
    if (!transport.watchesStall && !stopReason && Date.now() - lastOutputAt > options.stallTimeoutMs) stop('stalled');
  }, pollMs);
  const heartbeat = setInterval(() => {
    void saveMeta({ supervisor: { ...(meta.supervisor as NonNullable<RunMeta['supervisor']>), heartbeatAt: new Date().toISOString() }, progress });
  }, heartbeatMs);

  const exit = await trainer.exited;
  clearInterval(poller);
  clearInterval(heartbeat);
  options.signal?.removeEventListener('abort', onAbort);
  options.detachSignal?.removeEventListener('abort', onDetach);
  process.removeListener('SIGTERM', onHangup);
  process.removeListener('SIGHUP', onHangup);
  while (polling) await new Promise((r) => setTimeout(r, 20));
  if (exit.detached) {
    await scan(true);
    await Promise.all([closeStream(log), closeStream(metrics)]);
    await saveMeta({ progress });
    await metaWrite;
    return {
      kind: 'detached',
      where: transport.where,
      message: `Detached at step ${progress.step}/${totalSteps}: the run goes on on ${transport.where}.`,
      hint: `Follow it again and bring its results home with: tack attach ${options.projectArg}`,
    };
  }
  parser.end();
  await scan(true);
  if (!stopReason && exit.stopReason && exit.stopReason !== 'remote-gone') stopReason = exit.stopReason;
  const killedAfterGrace = trainer.killedAfterGrace || exit.killedAfterGrace === true;

  const endedAt = exit.endedAt ? new Date(exit.endedAt) : new Date();
  const ckList = [...checkpoints.entries()]
    .filter(([, v]) => v.size > 0)
    .map(([name, v]) => ({ epoch: v.epoch, file: path.join('output', name), final: v.final }))
    .sort((a, b) => a.epoch - b.epoch || Number(a.final) - Number(b.final));
  const hasFinal = ckList.some((c) => c.final);
  const epochsDone = hasFinal ? totalEpochs : Math.max(0, ...ckList.map((c) => c.epoch));
  const common = {
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    durationMs: endedAt.getTime() - startedAt.getTime(),
    exitCode: exit.code,
    signal: exit.signal,
    steps: { done: progress.step, total: totalSteps },
    epochs: { done: epochsDone, total: totalEpochs },
    checkpoints: ckList,
    samples: [...samples.values()].filter((s) => s.size > 0).length,
    finalLoss: progress.loss,
    warnings,
  };
  const ctx = { stallMinutes: Math.round((options.stallTimeoutMs / 60000) * 100) / 100, exitCode: exit.code, signal: exit.signal, checkpoints: ckList.length, projectArg: options.projectArg };
  let outcome: RunOutcome;
  const engineError = parser.engineError;
  const fail = (reason: FailureReason, engineMessage?: string): RunOutcome => ({
    kind: 'failed',
    reason,
    ...describeFailure(reason, engineMessage, ctx),
    ...(engineError ? { engineError } : {}),
    lastLines: parser.recent.slice(-15),
    ...common,
  });
  if (exit.lost && !stopReason && !pickFailure(failures)) {
    outcome = {
      kind: 'interrupted',
      message: `${exit.lost.message} at step ${progress.step}/${totalSteps}; ${ckList.length} checkpoint(s) were kept.`,
      hint: exit.lost.hint ?? `Continue with: tack train ${options.projectArg} --resume`,
      ...common,
    };
  } else if (exit.stopReason === 'remote-gone') outcome = fail('remote-gone');
  else if (stopReason === 'cancelled') {
    outcome = {
      kind: 'cancelled',
      message: `Stopped by the user at step ${progress.step}/${totalSteps}${ckList.length ? `; ${ckList.length} checkpoint(s) kept` : ''}${killedAfterGrace ? `; the trainer ignored SIGINT for ${options.stopGraceMs / 1000} s and was killed` : ''}.`,
      hint: `Continue with: tack train ${options.projectArg} --resume`,
      ...common,
    };
  } else if (stopReason === 'nan-loss') outcome = fail('nan-loss', failures.get('nan-loss'));
  else if (stopReason === 'stalled') outcome = fail('stalled');
  else if (failures.has('no-data')) outcome = fail('no-data', failures.get('no-data'));
  else if (exit.code === 0 && hasFinal) {
    outcome = { kind: 'succeeded', message: `Trained ${totalSteps} steps in ${totalEpochs} epoch(s): ${ckList.length} checkpoint(s), ${common.samples} sample image(s).`, ...common };
  } else if (exit.code === 0) outcome = fail('missing-output');
  else {
    const known = pickFailure(failures);
    if (known) outcome = fail(known.kind, known.message);
    else if (exit.signal === 'SIGKILL' || exit.signal === 'SIGTERM') outcome = fail('killed');
    else outcome = fail('crashed', engineError);
  }
  if (killedAfterGrace) metrics.write(jsonLine({ time: endedAt.toISOString(), kind: 'killed', afterGraceMs: options.stopGraceMs }));
  metrics.write(jsonLine({ time: endedAt.toISOString(), kind: 'end', outcome: outcome.kind, ...(outcome.kind === 'failed' ? { reason: outcome.reason } : {}), exitCode: exit.code, signal: exit.signal }));
  await Promise.all([closeStream(log), closeStream(metrics)]);
  const doneAttempts = attempts.map((a, i) => (i === attempts.length - 1 ? { ...a, endedAt: endedAt.toISOString(), outcome: outcome.kind } : a));
  await writeJsonAtomic(run.outcomeFile, outcome);
  const status = outcome.kind === 'succeeded' ? 'succeeded' : outcome.kind === 'cancelled' ? 'cancelled' : outcome.kind === 'interrupted' ? 'interrupted' : 'failed';
  await saveMeta({ status, outcome, attempts: doneAttempts, progress });
  return outcome;
}

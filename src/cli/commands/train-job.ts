/**
 * `tack train` as a job. Run by a job worker, it reports into that job. Run in a terminal, it
 * registers itself as a running job first, so the studio and `tack jobs` show it live and a
 * Stop in the studio ends it like Ctrl-C; a training is refused while another GPU job holds
 * this machine's GPU. When the job store cannot be opened, the training still runs (the run
 * folder is the record) and a note says so.
 */
import type { Project } from '../../project/index.js';
import { runErrors, type SupervisorEvent, type TrainResult } from '../../run/index.js';
import { isTackError, toTackError } from '../../core/index.js';
import { adoptRunningJob, jobErrorFrom, startForegroundJob, type ForegroundJob, type JobEnd, type JobReporter } from '../../jobs/index.js';
import type { CommandContext } from '../command.js';
import { jobEndFrom } from '../job-commands.js';
import { openJobStore, startQueuedJobs } from '../jobs-runtime.js';

export interface TrainJob {
  /** Aborted on Ctrl-C and on a stop from the studio or tack jobs cancel. */
  readonly signal: AbortSignal;
  /** Sends the supervisor's events to the job (the terminal display is chained by the caller). */
  readonly onEvent: (event: SupervisorEvent) => void;
  setRun(runId: string): void;
  /** The command's document is known: the job ends with it (a terminal job only); a detached remote run leaves it running. */
  done(document: { readonly outcome: TrainResult; readonly remote?: { readonly name: string } }, exitCode: number): void;
  /** The command failed before it had a document. */
  fail(error: unknown): void;
}

/** Translates the supervisor's events into job progress and events. */
export function reportTrainEvent(reporter: Pick<JobReporter, 'progress' | 'event'>, event: SupervisorEvent): void {
  switch (event.kind) {
    case 'progress': {
      const p = event.progress;
      reporter.progress({ label: 'training', done: p.step, total: p.totalSteps, unit: 'steps', etaSec: event.etaSec, epoch: p.epoch, totalEpochs: p.totalEpochs, loss: p.loss, itPerSec: p.itPerSec });
      break;
    }
    case 'phase':
      if (event.done !== undefined && event.total !== undefined) reporter.progress({ label: event.phase, done: event.done, total: event.total });
      else reporter.event('phase', { phase: event.phase });
      break;
    case 'started':
      reporter.event('started', { pid: event.pid });
      break;
    case 'epoch':
      reporter.event('epoch', { epoch: event.epoch, totalEpochs: event.totalEpochs });
      break;
    case 'checkpoint':
      reporter.event('checkpoint', { epoch: event.epoch, file: event.file, final: event.final, sizeBytes: event.sizeBytes });
      break;
    case 'sample':
      reporter.event('sample', { epoch: event.epoch, promptIndex: event.promptIndex, file: event.file });
      break;
    case 'warning':
      reporter.event('warning', { message: event.message });
      break;
    case 'stopping':
      reporter.event('stopping', { reason: event.reason });
      break;
    case 'link':
      reporter.event('link', { message: event.message });
      break;
  }
}

/** The job for this `tack train` (undefined for a dry run, which launches nothing); `machine` is the remote of --on. */
export function openTrainJob(ctx: CommandContext, project: Project, inputs: Record<string, unknown>, dryRun: boolean, machine?: string): TrainJob | undefined {
  if (dryRun) return undefined;
  if (ctx.job) {
    const reporter = ctx.job;
    return { signal: ctx.signal, onEvent: (e) => reportTrainEvent(reporter, e), setRun: (id) => reporter.setRunId(id), done: () => undefined, fail: () => undefined };
  }
  let store: ReturnType<typeof openJobStore> | undefined;
  let job: ForegroundJob;
  try {
    store = openJobStore(ctx.env);
    job = startForegroundJob(store, { kind: 'train', project: project.paths.root, inputs, title: `train ${project.config.name}${machine ? ` on ${machine}` : ''}`, ...(machine ? { machine } : {}) });
  } catch (error) {
    store?.close();
    if (isTackError(error) && error.code === 'JOBS_GPU_BUSY') {
      const busy = error.details as { job: number; project?: string | null; pid?: number };
      if (busy.project !== project.paths.root) throw error;
      throw runErrors.create('RUN_ALREADY_RUNNING', `This project is already training (job ${busy.job}${busy.pid ? `, tack pid ${busy.pid}` : ''}).`, `Wait for it to finish, or stop it: tack jobs cancel ${busy.job} (or Ctrl-C in its terminal); tack runs shows its progress.`, {
        details: { job: busy.job },
      });
    }
    ctx.stderr.write(`note: this training is not listed in tack jobs or the studio: ${toTackError(error).message}\n`);
    return undefined;
  }
  return reportingJob(ctx, store, job);
}

/** A terminal command's job: it ends with the command's document (or stays running when a remote run is left going). */
function reportingJob(ctx: CommandContext, store: ReturnType<typeof openJobStore>, job: ForegroundJob): TrainJob {
  const openStore = store;
  const signal = AbortSignal.any([ctx.signal, job.signal]);
  const end = (value: JobEnd) => {
    job.finish(value);
    try {
      startQueuedJobs(openStore, ctx.env);
    } finally {
      openStore.close();
    }
  };
  return {
    signal,
    onEvent: (e) => reportTrainEvent(job, e),
    setRun: (id) => job.setRunId(id),
    done: (document, exitCode) => {
      const value = jobEndFrom('train', exitCode, document);
      // Left going by the user: its job waits for tack attach, the queue does not follow it by itself.
      if (value.status === 'detached' && document.remote) {
        const at = new Date().toISOString();
        return end({ status: 'detached', worker: { kind: 'remote', startedAt: at, heartbeatAt: at, data: { remote: document.remote.name } } });
      }
      end(value);
    },
    fail: (error) => {
      const e = jobErrorFrom(error);
      end(e.category === 'cancelled' ? { status: 'cancelled', error: e } : { status: 'failed', error: e });
    },
  };
}

/**
 * The job of a remote run being followed again (tack attach): run by a queue worker, it reports
 * into that job; in a terminal, it takes over the run's job while it is still recorded as
 * running (left by --detach, or by a tack that stopped), so the job ends with the run.
 */
export function openAttachJob(ctx: CommandContext, project: Project, runId: string): TrainJob | undefined {
  if (ctx.job) {
    const reporter = ctx.job;
    return { signal: ctx.signal, onEvent: (e) => reportTrainEvent(reporter, e), setRun: () => undefined, done: () => undefined, fail: () => undefined };
  }
  let store: ReturnType<typeof openJobStore> | undefined;
  try {
    store = openJobStore(ctx.env);
    const running = store.list({ project: project.paths.root, kinds: ['train'], states: ['running'] }).find((j) => j.runId === runId);
    const job = running ? adoptRunningJob(store, running.id) : undefined;
    if (!job) {
      store.close();
      return undefined;
    }
    return reportingJob(ctx, store, job);
  } catch {
    store?.close();
    return undefined;
  }
}

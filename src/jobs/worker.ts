/**
 * Running a job's work. Two shapes:
 *   - runJobWorker: the body of a worker process the dispatcher started (`tack jobs work <id>`):
 *     it records itself as the job's worker, keeps the heartbeat, turns a stop request into its
 *     AbortSignal, runs the executor and records the end. The process is detached, so it lives
 *     on when the studio or the terminal that queued the job closes.
 *   - startForegroundJob: a command running in a terminal (`tack train`) that registers itself as
 *     a running job, so the studio and `tack jobs` see it live; Ctrl-C and a stop from the studio
 *     end it the same way.
 */
import { toTackError } from '../core/index.js';
import { currentProcessWorker, reconcileJobs } from './dispatch.js';
import { jobErrors } from './errors.js';
import { storeReporter, type JobReporter } from './reporter.js';
import { liveProbes, type StatusProbes } from './status.js';
import type { JobStore } from './store.js';
import { DEFAULT_RESOURCE, LOCAL_MACHINE, type JobEnd, type JobError, type JobRecord, type JobSpec } from './types.js';

/** Does one kind of job's work and says how it ended (the result is the command's JSON document). */
export type JobExecutor = (job: JobRecord, reporter: JobReporter) => Promise<JobEnd>;

export function jobErrorFrom(error: unknown): JobError {
  const e = toTackError(error);
  return { code: e.code, category: e.category, message: e.message, hint: e.hint, ...(Object.keys(e.details).length ? { details: e.details } : {}) };
}

export interface WorkerOptions {
  readonly heartbeatMs?: number;
  /** Called after the end is recorded (the CLI dispatches the next queued jobs here). */
  readonly afterEnd?: (end: JobEnd) => void;
}

/** Runs job `id` in this process to its end and records the end. */
export async function runJobWorker(store: JobStore, id: number, execute: JobExecutor, options: WorkerOptions = {}): Promise<JobEnd> {
  let job = store.require(id);
  const logFile = job.worker?.kind === 'local' ? job.worker.logFile : undefined;
  if (job.state === 'queued' && !store.claim(id, currentProcessWorker(logFile))) job = store.require(id);
  else if (job.state === 'running') store.setWorker(id, currentProcessWorker(logFile));
  if (store.require(id).state !== 'running') {
    throw jobErrors.create('JOBS_ALREADY_ENDED', `Job ${id} (${job.title}) is ${job.state}; there is nothing to run.`, 'tack jobs lists the jobs and their status.', { details: { id, state: job.state } });
  }
  job = store.require(id);
  const reporter = storeReporter(store, id, options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {});
  // A stop from the studio arrives as SIGINT (or as a flag the heartbeat reads): both abort the
  // work's signal, which each command treats as Ctrl-C. A detached worker gets no terminal signals.
  const controller = new AbortController();
  const stop = () => controller.abort();
  reporter.signal.addEventListener('abort', stop, { once: true });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, stop);
  if (job.cancelRequestedAt) stop();
  const workReporter: JobReporter = { id, signal: controller.signal, progress: reporter.progress, event: reporter.event, setRunId: reporter.setRunId };
  let end: JobEnd;
  try {
    end = await execute(job, workReporter);
  } catch (error) {
    const e = jobErrorFrom(error);
    end = e.category === 'cancelled' ? { status: 'cancelled', error: e } : { status: 'failed', error: e };
  } finally {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(sig, stop);
    reporter.close();
  }
  // Work that goes on elsewhere (a remote run followed no more) keeps its job running: the
  // next dispatch finds it orphaned and starts a worker that follows it again.
  if (end.status === 'detached') {
    if (end.worker) store.setWorker(id, end.worker);
    return end;
  }
  store.finish(id, end);
  options.afterEnd?.(end);
  return end;
}

export interface ForegroundJob extends JobReporter {
  readonly job: JobRecord;
  /** Records the end (once) and stops the heartbeat; a detached end leaves the job running. */
  finish(end: JobEnd): void;
}

/**
 * Registers the calling process as the running worker of a new job. A GPU job is refused with
 * JOBS_GPU_BUSY while another GPU job runs on the same machine.
 */
export function startForegroundJob(store: JobStore, spec: JobSpec, options: { readonly probes?: StatusProbes; readonly heartbeatMs?: number } = {}): ForegroundJob {
  const probes = options.probes ?? liveProbes();
  const job = store.transaction(() => {
    reconcileJobs(store, probes);
    const machine = spec.machine ?? LOCAL_MACHINE;
    const busy = (spec.resource ?? DEFAULT_RESOURCE[spec.kind]) === 'gpu' ? store.list({ states: ['running'], machine }).find((j) => j.resource === 'gpu') : undefined;
    if (busy) {
      const pid = busy.worker?.kind === 'local' ? ` (pid ${busy.worker.pid})` : '';
      throw jobErrors.create('JOBS_GPU_BUSY', `Job ${busy.id} (${busy.title}) is using the ${machine === LOCAL_MACHINE ? 'local' : machine} GPU${pid}.`, `Wait for it to end (tack jobs), or stop it: tack jobs cancel ${busy.id}`, {
        details: { job: busy.id, machine, project: busy.project, ...(busy.worker?.kind === 'local' ? { pid: busy.worker.pid } : {}) },
      });
    }
    return store.insert({ origin: 'terminal', ...spec }, { state: 'running', worker: currentProcessWorker() });
  });
  return foregroundHandle(store, job, options.heartbeatMs);
}

/** The calling process as the worker of running job `job`: its reporter, and its end recorded once. */
function foregroundHandle(store: JobStore, job: JobRecord, heartbeatMs: number | undefined): ForegroundJob {
  const reporter = storeReporter(store, job.id, heartbeatMs ? { heartbeatMs } : {});
  let ended = false;
  return {
    job,
    id: job.id,
    signal: reporter.signal,
    progress: reporter.progress,
    event: reporter.event,
    setRunId: reporter.setRunId,
    finish(end) {
      if (ended) return;
      ended = true;
      reporter.close();
      if (end.status !== 'detached') store.finish(job.id, end);
      else if (end.worker) store.setWorker(job.id, end.worker);
    },
  };
}

/**
 * Makes the calling process the worker of a job that is running without one (a remote
 * training followed again with tack attach): it keeps the heartbeat and records the end.
 */
export function adoptRunningJob(store: JobStore, id: number, options: { readonly heartbeatMs?: number } = {}): ForegroundJob | undefined {
  const job = store.get(id);
  if (!job || job.state !== 'running') return undefined;
  store.setWorker(id, currentProcessWorker());
  return foregroundHandle(store, store.require(id), options.heartbeatMs);
}

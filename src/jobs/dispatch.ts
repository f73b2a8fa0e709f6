/**
 * The queue: which queued jobs start now, and stopping jobs. Any process may dispatch (the
 * studio when a job is added, a worker when its job ends, `tack jobs`), so the queue moves on
 * even when the studio is closed. One IMMEDIATE transaction decides, so two dispatchers never
 * start the same job or two GPU jobs on one machine:
 *   - jobs recorded as running whose process is gone are settled first (status.ts);
 *   - at most one GPU job per machine, in queue order (a later GPU job never overtakes an
 *     earlier one on the same machine); machines run in parallel;
 *   - at most `cpuSlots` CPU jobs per machine.
 * The worker processes are started after the transaction (a slow start holds no lock).
 */
import os from 'node:os';
import { processStartTicks, signalProcess, spawnWorkerProcess } from '../io/index.js';
import { jobErrors } from './errors.js';
import { jobLogFile } from './paths.js';
import { deriveJobStatus, interruptedError, isOrphanedRun, liveProbes, viewJob, type StatusProbes } from './status.js';
import type { JobStore } from './store.js';
import type { JobRecord, JobView, WorkerRecord } from './types.js';

/** CPU jobs per machine at once unless the caller says otherwise. */
export const DEFAULT_CPU_SLOTS = 2;

/** Starts the process that will run a claimed job and says which it is. */
export type JobLauncher = (job: JobRecord) => WorkerRecord;

export interface DispatchOptions {
  readonly launch: JobLauncher;
  readonly cpuSlots?: number;
  readonly probes?: StatusProbes;
}

/** The calling process as a job's worker. */
export function currentProcessWorker(logFile?: string): WorkerRecord {
  return localWorker(process.pid, logFile);
}

/** Process `pid` on this machine as a job's worker, starting now. */
function localWorker(pid: number, logFile?: string): WorkerRecord {
  const at = new Date().toISOString();
  const start = processStartTicks(pid);
  return { kind: 'local', pid, hostname: os.hostname(), ...(start !== undefined ? { processStart: start } : {}), startedAt: at, heartbeatAt: at, ...(logFile ? { logFile } : {}) };
}

/**
 * Writes the real status of jobs recorded as running whose worker is gone, so they stop
 * holding their machine. Returns the corrected jobs.
 */
export function reconcileJobs(store: JobStore, probes: StatusProbes = liveProbes()): JobView[] {
  return store.transaction(() => {
    const fixed: JobView[] = [];
    for (const job of store.list({ states: ['running'] })) {
      const { status, reason } = deriveJobStatus(job, probes);
      if (status === 'running') continue;
      const why = reason ?? 'its worker is gone';
      if (store.markEnded(job.id, status, why, status === 'interrupted' ? interruptedError(job, why) : undefined)) fixed.push(viewJob(store.require(job.id), probes));
    }
    return fixed;
  });
}

/** Starts every queued job that may start now, and a new worker for each orphaned run; returns them. */
export function dispatchJobs(store: JobStore, options: DispatchOptions): JobRecord[] {
  const probes = options.probes ?? liveProbes();
  const slots = options.cpuSlots ?? DEFAULT_CPU_SLOTS;
  const claimed = store.transaction(() => {
    reconcileJobs(store, probes);
    const out: JobRecord[] = [];
    // Remote runs that went on while tack was gone: the dispatcher stands in as their worker
    // (so no other dispatcher takes them) until the new worker records itself.
    for (const job of store.list({ states: ['running'], kinds: ['train'] })) {
      if (!isOrphanedRun(job, probes)) continue;
      store.setWorker(job.id, currentProcessWorker());
      store.appendEvent(job.id, 'reattach', { reason: 'its worker stopped while the run went on' });
      out.push(store.require(job.id));
    }
    const gpuBusy = new Set<string>();
    const cpuRunning = new Map<string, number>();
    for (const job of store.list({ states: ['running'] })) {
      if (job.resource === 'gpu') gpuBusy.add(job.machine);
      else cpuRunning.set(job.machine, (cpuRunning.get(job.machine) ?? 0) + 1);
    }
    for (const job of store.list({ states: ['queued'] }).reverse()) {
      if (job.resource === 'gpu') {
        if (gpuBusy.has(job.machine)) continue;
        gpuBusy.add(job.machine);
      } else {
        const n = cpuRunning.get(job.machine) ?? 0;
        if (n >= slots) continue;
        cpuRunning.set(job.machine, n + 1);
      }
      // Until the worker records itself, the dispatching process stands in as its worker.
      if (store.claim(job.id, currentProcessWorker())) out.push(store.require(job.id));
    }
    return out;
  });
  for (const job of claimed) {
    try {
      store.setWorker(job.id, options.launch(job));
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      store.finish(job.id, { status: 'failed', error: { code: 'JOBS_WORKER_FAILED', category: 'environment', message: `The worker for job ${job.id} could not be started: ${message}`, hint: 'Check that tack is installed completely (npm ci) and that its data folder is writable.' } });
    }
  }
  return claimed;
}

export interface LocalLauncherOptions {
  /** The command that runs job `id` in a worker process, e.g. [node, tack.js, "jobs", "work", id]. */
  readonly argv: (id: number) => readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Runs each job in a detached process on this machine, its output in the job's log file. */
export function localLauncher(options: LocalLauncherOptions): JobLauncher {
  return (job) => {
    const logFile = jobLogFile(job.id, options.env);
    const pid = spawnWorkerProcess(options.argv(job.id), { logFile, ...(options.env ? { env: options.env } : {}), ...(options.cwd ? { cwd: options.cwd } : {}) });
    return localWorker(pid, logFile);
  };
}

export interface CancelResult {
  /** removed: taken off the queue; stopping: its worker was asked to stop gracefully (as Ctrl-C). */
  readonly outcome: 'removed' | 'stopping';
  readonly job: JobView;
}

/**
 * Cancels a job: a queued one leaves the queue, a running one gets the same stop as Ctrl-C
 * (SIGINT to its worker on this machine; a worker elsewhere sees the request at its next
 * heartbeat). A training keeps the checkpoints it saved.
 */
export function cancelJob(store: JobStore, id: number, probes: StatusProbes = liveProbes()): CancelResult {
  reconcileJobs(store, probes);
  const before = viewJob(store.require(id), probes);
  const result = store.requestCancel(id);
  if (result === 'ended') {
    throw jobErrors.create('JOBS_ALREADY_ENDED', `Job ${id} (${before.title}) has already ended: ${before.status}.`, 'Nothing to stop; tack jobs lists what is still running.', { details: { id, status: before.status } });
  }
  const job = viewJob(store.require(id), probes);
  if (result === 'requested' && job.worker?.kind === 'local' && job.worker.hostname === probes.hostname && job.worker.pid !== process.pid) signalProcess(job.worker.pid, 'SIGINT');
  return { outcome: result === 'removed' ? 'removed' : 'stopping', job };
}

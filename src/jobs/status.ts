/**
 * A job's status is worked out, never just read back: a job recorded as "running" is running
 * only while the process that runs it is alive (same pid, same start time, so a reused pid does
 * not count) and keeps its heartbeat fresh. When that process is gone, a training job is what
 * its run folder says (run.json and outcome.json are written by the supervisor itself: it may
 * have finished and died before writing to the store), anything else is "interrupted".
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { isProcessAlive, processStartTicks } from '../io/index.js';
import { projectPaths } from '../project/index.js';
import { effectiveStatus, runPaths, type RunMeta, type RunStatus } from '../run/index.js';
import type { JobError, JobRecord, JobStatus, JobView, WorkerRecord } from './types.js';

/** Workers refresh their heartbeat this often. */
export const JOB_HEARTBEAT_MS = 5_000;
/** A heartbeat older than this means the worker stopped responding. */
export const JOB_HEARTBEAT_STALE_MS = 60_000;

export type LocalWorker = Extract<WorkerRecord, { kind: 'local' }>;
export type RemoteWorker = Exclude<WorkerRecord, LocalWorker>;

/** Judges whether a non-local worker is alive (registered by the module that starts such workers). */
export type WorkerProbe = (job: JobRecord, worker: RemoteWorker) => { readonly alive: boolean; readonly reason?: string };

export interface StatusProbes {
  /** The process of a local worker on this machine still exists (and is the same process). */
  readonly localProcessAlive: (worker: LocalWorker) => boolean;
  /** The run folder's status of a training run, undefined when it cannot be read. */
  readonly runStatus: (project: string, runId: string) => RunStatus | undefined;
  /** Probes for worker kinds other than "local", by kind. */
  readonly workerProbes?: Readonly<Record<string, WorkerProbe>>;
  readonly now: () => number;
  readonly hostname: string;
}

/** The probes that look at the real processes and run folders. */
export function liveProbes(workerProbes: Readonly<Record<string, WorkerProbe>> = {}): StatusProbes {
  return {
    localProcessAlive: (worker) => {
      if (!isProcessAlive(worker.pid)) return false;
      const start = processStartTicks(worker.pid);
      return worker.processStart === undefined || start === undefined || start === worker.processStart;
    },
    runStatus: (project, runId) => {
      try {
        const meta = JSON.parse(readFileSync(runPaths(projectPaths(project), runId).runFile, 'utf8')) as RunMeta;
        return effectiveStatus(meta);
      } catch {
        return undefined;
      }
    },
    workerProbes,
    now: () => Date.now(),
    hostname: os.hostname(),
  };
}

function workerAlive(job: JobRecord, probes: StatusProbes): { alive: boolean; reason?: string } {
  const worker = job.worker;
  if (!worker) return { alive: false, reason: 'no process was recorded for it' };
  const age = probes.now() - Date.parse(worker.heartbeatAt);
  const stale = !(age < JOB_HEARTBEAT_STALE_MS);
  if (worker.kind === 'local') {
    if (worker.hostname === probes.hostname && !probes.localProcessAlive(worker)) return { alive: false, reason: `its worker process (pid ${worker.pid}) is gone` };
    if (stale) return { alive: false, reason: `its worker process (pid ${worker.pid} on ${worker.hostname}) has not reported for ${Math.round(age / 1000)} s` };
    return { alive: true };
  }
  const probe = probes.workerProbes?.[worker.kind];
  if (probe) return probe(job, worker);
  return stale ? { alive: false, reason: `its ${worker.kind} worker has not reported for ${Math.round(age / 1000)} s` } : { alive: true };
}

const RUN_TO_JOB: Readonly<Record<RunStatus, JobStatus>> = {
  prepared: 'interrupted',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
};

/** The status to believe, and why it differs from the recorded state. */
export function deriveJobStatus(job: JobRecord, probes: StatusProbes): { status: JobStatus; reason?: string } {
  if (job.state !== 'running') return { status: job.state };
  const worker = workerAlive(job, probes);
  if (worker.alive) return { status: 'running' };
  if (job.kind === 'train' && job.project && job.runId) {
    const run = probes.runStatus(job.project, job.runId);
    if (run) {
      const status = RUN_TO_JOB[run];
      return { status, reason: status === 'running' ? `${worker.reason}, but run ${job.runId} is still being supervised` : `${worker.reason}; run ${job.runId} is ${run}` };
    }
  }
  return { status: 'interrupted', ...(worker.reason ? { reason: worker.reason } : {}) };
}

/**
 * A training whose worker process on this machine is gone while its run goes on elsewhere (a
 * remote run: tack was killed or crashed, the trainer was not). Nobody brings its results
 * home; the dispatcher starts a worker that follows it again. A run left going on purpose
 * (its worker recorded as remote) is not orphaned, unless someone asked to stop it: tack attach
 * follows it when the user wants.
 */
export function isOrphanedRun(job: JobRecord, probes: StatusProbes): boolean {
  if (job.state !== 'running' || job.kind !== 'train' || !job.project || !job.runId) return false;
  // A stop asked for a run left going on purpose also needs a worker: it sends the stop and brings the results home.
  if (job.worker?.kind !== 'local' && !job.cancelRequestedAt) return false;
  if (job.worker?.kind === 'local' && workerAlive(job, probes).alive) return false;
  return probes.runStatus(job.project, job.runId) === 'running';
}

export function viewJob(job: JobRecord, probes: StatusProbes): JobView {
  const { status, reason } = deriveJobStatus(job, probes);
  return { ...job, status, ...(reason && status !== job.state ? { statusReason: reason } : {}) };
}

/** The error recorded for a job whose worker died: what happened and what to do. */
export function interruptedError(job: JobRecord, reason: string): JobError {
  const projectArg = job.project ?? '<project>';
  const hint =
    job.kind === 'train'
      ? `Resume it: tack train ${projectArg} --resume (or Resume in the studio); the checkpoints saved so far are kept.`
      : 'Start it again: finished work is kept and it continues where it stopped.';
  return { code: 'JOBS_INTERRUPTED', category: 'environment', message: `Job ${job.id} (${job.title}) stopped without recording an end: ${reason}.`, hint };
}

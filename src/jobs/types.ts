/**
 * What a job is. A job is long work (an import, a caption run, a training, an evaluation ...)
 * recorded in the job store so that every front door (the CLI, the studio) and every process
 * (workers, a `tack train` in a terminal) sees the same list, with the same status.
 */
import type { ErrorCategory } from '../core/index.js';

/** Every kind of job tack runs. `train` and `sweep` hold a GPU; the rest use the CPU. */
export const JOB_KINDS = ['train', 'sweep', 'import', 'doctor', 'caption', 'prepare', 'evaluate', 'likeness', 'report', 'resize'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export type ResourceClass = 'gpu' | 'cpu';

/** The resource a kind holds unless the job says otherwise. */
export const DEFAULT_RESOURCE: Readonly<Record<JobKind, ResourceClass>> = {
  train: 'gpu',
  sweep: 'gpu',
  import: 'cpu',
  doctor: 'cpu',
  caption: 'cpu',
  prepare: 'cpu',
  evaluate: 'cpu',
  likeness: 'cpu',
  report: 'cpu',
  resize: 'cpu',
};

/**
 * Status as users see it. `interrupted` means the process running the job is gone without
 * recording an end (killed, crashed, machine off); a training in that state can be resumed.
 */
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

/** "local" (this computer) or the name of a remote machine. At most one GPU job per machine runs. */
export type MachineName = string;
export const LOCAL_MACHINE = 'local';

/** The same fields as a TackError in a command's `--json` error document. */
export interface JobError {
  readonly code: string;
  readonly category?: ErrorCategory;
  readonly message: string;
  readonly hint: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Where a job is in its work; `label` names the phase ("Importing", "training"). */
export interface JobProgress {
  readonly label: string;
  readonly done: number;
  readonly total: number;
  readonly unit?: 'items' | 'bytes' | 'steps';
  readonly item?: string;
  /** Seconds left, when the work itself estimates it (the trainer does). */
  readonly etaSec?: number | null;
  /** Training only. */
  readonly epoch?: number;
  readonly totalEpochs?: number;
  readonly loss?: number | null;
  readonly itPerSec?: number | null;
}

/**
 * Which process runs the job. `local`: a process on `hostname` (pid, its start time in clock
 * ticks to tell a reused pid apart, and a heartbeat it refreshes). Any other kind is a process
 * somewhere else (a remote machine): its `data` is the remote module's to define, and its
 * liveness is judged by a WorkerProbe registered for that kind (status.ts).
 */
export type WorkerRecord =
  | {
      readonly kind: 'local';
      readonly pid: number;
      readonly hostname: string;
      readonly processStart?: number;
      readonly startedAt: string;
      readonly heartbeatAt: string;
      /** The worker's own output (stdout and stderr), when it has one. */
      readonly logFile?: string;
    }
  | {
      readonly kind: `remote${string}`;
      readonly startedAt: string;
      readonly heartbeatAt: string;
      readonly data: Readonly<Record<string, unknown>>;
    };

/** A job as stored. `state` is what the last writer recorded; `status` (JobView) is what is true. */
export interface JobRecord {
  readonly id: number;
  readonly kind: JobKind;
  /** Absolute project folder, or null for work on a loose file (a LoRA resize). */
  readonly project: string | null;
  readonly machine: MachineName;
  readonly resource: ResourceClass;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly title: string;
  /** Who created it: "studio", "cli" (a command that queued it), "terminal" (a command running in the foreground). */
  readonly origin: string;
  readonly state: JobStatus;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly updatedAt: string;
  readonly progress: JobProgress | null;
  /** The job's result: the same JSON document as the command's `--json`. */
  readonly result: unknown;
  readonly error: JobError | null;
  /** Training jobs: the run folder's id once it exists. */
  readonly runId: string | null;
  readonly worker: WorkerRecord | null;
  readonly cancelRequestedAt: string | null;
}

/** A job with its status worked out from the live process and the exit record. */
export interface JobView extends JobRecord {
  readonly status: JobStatus;
  /** Why the status differs from the recorded state (e.g. "worker pid 123 is gone"). */
  readonly statusReason?: string;
}

/** One thing that happened to a job, in order (`seq` is global, so it doubles as an event id). */
export interface JobEvent {
  readonly seq: number;
  readonly jobId: number;
  readonly at: string;
  /** "state", "progress", "log", and for training "epoch", "checkpoint", "sample", "warning", "likeness" ... */
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** What a caller asks for. */
export interface JobSpec {
  readonly kind: JobKind;
  readonly project?: string | null;
  readonly machine?: MachineName;
  readonly resource?: ResourceClass;
  readonly inputs?: Readonly<Record<string, unknown>>;
  readonly title?: string;
  readonly origin?: string;
}

/** How a job's work ended, as the worker records it. */
export type JobEnd =
  | { readonly status: 'succeeded'; readonly result: unknown }
  | { readonly status: 'failed'; readonly result?: unknown; readonly error: JobError }
  | { readonly status: 'cancelled'; readonly result?: unknown; readonly error?: JobError }
  | JobDetached;

/**
 * Not an end: the work goes on elsewhere without this process (a remote training left running,
 * or followed no more after the remote stayed unreachable). The job stays "running", and its
 * status comes from its run folder until a process follows it again (tack attach, or a worker
 * the queue starts for it). `worker` records where it went when the user chose to leave it
 * (the queue then does not follow it by itself); without it, the job counts as orphaned.
 */
export interface JobDetached {
  readonly status: 'detached';
  readonly worker?: Extract<WorkerRecord, { kind: `remote${string}` }>;
}

/** The ends that are recorded as the job's final state. */
export type JobFinalEnd = Exclude<JobEnd, JobDetached>;

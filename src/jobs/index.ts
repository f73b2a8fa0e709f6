export { jobErrors } from './errors.js';
export {
  JOB_KINDS,
  JOB_STATUSES,
  FINAL_STATUSES,
  DEFAULT_RESOURCE,
  LOCAL_MACHINE,
  type JobKind,
  type JobStatus,
  type ResourceClass,
  type MachineName,
  type JobError,
  type JobProgress,
  type WorkerRecord,
  type JobRecord,
  type JobView,
  type JobEvent,
  type JobSpec,
  type JobEnd,
  type JobDetached,
  type JobFinalEnd,
} from './types.js';
export { tackDataDir, jobStoreFile, jobLogFile } from './paths.js';
export { JOB_STORE_VERSION } from './schema.js';
export { JobStore, type JobListFilter, type OpenJobStoreOptions } from './store.js';
export { deriveJobStatus, isOrphanedRun, viewJob, liveProbes, interruptedError, JOB_HEARTBEAT_MS, JOB_HEARTBEAT_STALE_MS, type StatusProbes, type WorkerProbe, type LocalWorker, type RemoteWorker } from './status.js';
export { dispatchJobs, reconcileJobs, cancelJob, localLauncher, currentProcessWorker, DEFAULT_CPU_SLOTS, type JobLauncher, type DispatchOptions, type LocalLauncherOptions, type CancelResult } from './dispatch.js';
export { storeReporter, PROGRESS_INTERVAL_MS, type JobReporter, type StoreReporter } from './reporter.js';
export { runJobWorker, startForegroundJob, adoptRunningJob, jobErrorFrom, type JobExecutor, type ForegroundJob, type WorkerOptions } from './worker.js';

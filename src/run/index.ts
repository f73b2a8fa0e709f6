export { runErrors } from './errors.js';
export {
  runPaths,
  createRunFolder,
  readRunMeta,
  writeRunMeta,
  effectiveStatus,
  listRunIds,
  isRunId,
  formatRunId,
  HEARTBEAT_STALE_MS,
  type RunMeta,
  type RunPaths,
  type RunStatus,
  type RunPlanSummary,
  type RunProgress,
  type RunAttempt,
  type RunRemote,
} from './run-folder.js';
export { readRun, listRuns, readRunMetrics, markInterruptedRuns, type RunRecord, type RunCheckpoint, type RunSample, type MetricsLine } from './runs.js';
export type { RunOutcome, FailureReason, OutcomeCommon, RunDetached, TrainResult } from './outcome.js';
export { localTransport, type TrainerTransport, type TrainerOutput, type TrainerExit, type StartedTrainer, type TrainerStartOptions, type StopReason } from './transport.js';
export { describeFailure } from './outcome.js';
export { superviseRun, type SupervisorEvent, type SuperviseOptions } from './supervise.js';
export { planTraining, bucketsFrom, type TrainingPlan, type TrainingPlanOptions, type MachineFacts } from './plan-training.js';
export { prepareRun, startRun, type PreparedRun, type PrepareRunOptions, type StartRunOptions } from './train.js';
export { planResume, resumeRun, repairStateStep, type ResumePlan, type SavedState } from './resume.js';
export { probeEngine, probePython, runEngineDoctor, installEngine, canReach, localInstallMachine, type EngineDoctorResult, type InstallResult, type InstallRunOptions, type InstallMachine } from './engine-ops.js';
export { exportBundle, buildRunScript, type ExportBundleOptions, type ExportBundleResult } from './export-bundle.js';
export { writeZip, type ZipEntry } from './zip.js';
export { listZip, extractZipEntry, ZipReadError, type ZipListing } from './unzip.js';
export { importBundle, type ImportBundleOptions, type ImportBundleResult, type BundlePlan } from './import-bundle.js';

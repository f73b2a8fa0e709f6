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
} from './run-folder.js';
export { readRun, listRuns, readRunMetrics, markInterruptedRuns, type RunRecord, type RunCheckpoint, type RunSample, type MetricsLine } from './runs.js';
export type { RunOutcome, FailureReason, OutcomeCommon } from './outcome.js';
export { describeFailure } from './outcome.js';
export { superviseRun, type SupervisorEvent, type SuperviseOptions } from './supervise.js';
export { planTraining, bucketsFrom, type TrainingPlan, type TrainingPlanOptions } from './plan-training.js';
export { prepareRun, startRun, type PreparedRun, type PrepareRunOptions, type StartRunOptions } from './train.js';
export { planResume, resumeRun, type ResumePlan } from './resume.js';
export { probeEngine, probePython, runEngineDoctor, installEngine, canReach, type EngineDoctorResult, type InstallResult, type InstallRunOptions } from './engine-ops.js';
export { exportBundle, buildRunScript, type ExportBundleOptions, type ExportBundleResult } from './export-bundle.js';
export { writeZip, type ZipEntry } from './zip.js';

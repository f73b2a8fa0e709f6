import { defineErrors } from '../core/index.js';

/** Failures around jobs: the job store, finding, queueing, stopping and running them. */
export const jobErrors = defineErrors({
  JOBS_NOT_FOUND: { category: 'input', summary: 'no job with that id is in the job store' },
  JOBS_STORE_UNAVAILABLE: { category: 'environment', summary: 'the job store (SQLite in tack\'s data folder) cannot be opened or is from a newer tack' },
  JOBS_ALREADY_ENDED: { category: 'input', summary: 'the job has already ended, so it cannot be stopped' },
  JOBS_GPU_BUSY: { category: 'input', summary: 'another job holds the machine\'s GPU (one GPU job per machine at a time)' },
  JOBS_BAD_INPUT: { category: 'input', summary: 'a job was asked for with inputs its kind does not take' },
  JOBS_INTERRUPTED: { category: 'environment', summary: 'the process running a job stopped without recording an end (killed, crashed, machine off)' },
  JOBS_TRAINING_FAILED: { category: 'training', summary: 'a training job ended without its LoRA (the run\'s outcome says why and what to do)' },
  JOBS_WORKER_FAILED: { category: 'environment', summary: 'the worker process for a job could not be started' },
});

/**
 * The CLI's wiring of the jobs module: the store in tack's data folder, and the command that
 * runs a job in its own detached worker process (`tack jobs work <id>`, hidden).
 */
import { fileURLToPath } from 'node:url';
import { formatDuration } from '../core/index.js';
import { dispatchJobs, JobStore, localLauncher, type JobLauncher, type JobProgress, type JobRecord, type JobView } from '../jobs/index.js';
import { cliErrors } from './errors.js';

/** bin/tack.js next to dist/ (or src/ under tsx): what a worker process runs. */
export const TACK_BIN = fileURLToPath(new URL('../../bin/tack.js', import.meta.url));

export function openJobStore(env: NodeJS.ProcessEnv): JobStore {
  return JobStore.open({ env });
}

/** Starts `tack jobs work <id>` detached, with the same environment as this process's commands. */
export function workerLauncher(env: NodeJS.ProcessEnv, cwd?: string): JobLauncher {
  return localLauncher({ argv: (id) => [process.execPath, TACK_BIN, 'jobs', 'work', String(id)], env: { ...process.env, ...env }, ...(cwd ? { cwd } : {}) });
}

/** Runs `fn` with the job store open, closing it after. */
export function withJobStore<T>(env: NodeJS.ProcessEnv, fn: (store: JobStore) => Promise<T> | T): Promise<T> {
  const store = openJobStore(env);
  return Promise.resolve()
    .then(() => fn(store))
    .finally(() => store.close());
}

/** A job id given on the command line: a whole number, else a coded error that says where to find one. */
export function jobIdArgument(text: string | undefined, command: string, listCommand: string): number {
  const id = Number(text);
  if (!text || !Number.isInteger(id) || id < 1) throw cliErrors.create('CLI_MISSING_ARGUMENT', `${command} needs a job id (a whole number); got "${text ?? ''}".`, `List the jobs with: ${listCommand}`);
  return id;
}

/** A job's progress in a few words: "training 120/400 30%, epoch 2/6, 04:10 left". */
export function formatJobProgress(p: JobProgress | null): string {
  if (!p) return '';
  const pct = p.total > 0 ? ` ${Math.floor((100 * p.done) / p.total)}%` : '';
  const eta = p.etaSec != null ? `, ${formatDuration(p.etaSec * 1000)} left` : '';
  return `${p.label} ${p.done}/${p.total}${pct}${p.epoch ? `, epoch ${p.epoch}/${p.totalEpochs}` : ''}${eta}`;
}

/** Starts whatever queued jobs may start now (their worker processes outlive this one). */
export function startQueuedJobs(store: JobStore, env: NodeJS.ProcessEnv): JobRecord[] {
  return dispatchJobs(store, { launch: workerLauncher(env) });
}

/** A job as `tack jobs --json` lists it: everything but the result document (`tack jobs show` has it). */
export function jobSummaryJson(job: JobView): Omit<JobView, 'result'> & { readonly hasResult: boolean } {
  const { result, ...rest } = job;
  return { ...rest, hasResult: result !== null && result !== undefined };
}

/**
 * Each kind of job is a tack command run with --json, in the worker process: the job's result
 * is exactly the document `tack <command> --json` prints, so a job started from the studio and
 * the same command typed in a terminal can never disagree. Inputs are checked per kind and
 * become an argument array (never a shell string); values are passed as --flag=value so no
 * input can pose as another flag.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { jobErrors, LOCAL_MACHINE, tackDataDir, type JobEnd, type JobError, type JobKind, type JobRecord, type JobReporter } from '../jobs/index.js';
import { memoryOutput, type ProgressBar } from './output.js';

const absolute = z.string().refine((p) => path.isAbsolute(p) && !p.includes('\0'), 'an absolute path');
const runId = z.string().regex(/^\d{8}-\d{6}(-\d+)?$/, 'a run id such as 20260301-120000');
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-"');
const flag = (key: string, value: string | number | boolean | undefined): string[] => (value === undefined || value === false ? [] : value === true ? [`--${key}`] : [`--${key}=${value}`]);

/** Inputs of each kind, and the command that does its work. */
const KINDS = {
  train: {
    inputs: z.strictObject({ resume: z.boolean().optional(), preset: name.optional(), gpuProfile: z.enum(['auto', '8gb', '12gb', '16gb', '24gb']).optional() }),
    argv: (project: string, i: { resume?: boolean; preset?: string; gpuProfile?: string }) => ['train', project, ...flag('resume', i.resume), ...flag('preset', i.preset), ...flag('gpu-profile', i.gpuProfile)],
  },
  import: {
    inputs: z.strictObject({ files: z.array(absolute).min(1), staging: absolute.optional() }),
    argv: (project: string, i: { files: string[] }) => ['add', project, ...i.files],
  },
  doctor: { inputs: z.strictObject({}), argv: (project: string) => ['doctor', project] },
  prepare: { inputs: z.strictObject({}), argv: (project: string) => ['prepare', project] },
  caption: {
    inputs: z.strictObject({
      captioner: z.enum(['wd14', 'sentence', 'none']).optional(),
      model: z.string().regex(/^[\w./-]+$/).optional(),
      threshold: z.number().min(0).max(1).optional(),
      characterThreshold: z.number().min(0).max(1).optional(),
      overwrite: z.boolean().optional(),
      rerun: z.boolean().optional(),
      offline: z.boolean().optional(),
      photos: z.array(z.string().min(1)).optional(),
      sentenceBackend: z.enum(['local', 'endpoint']).optional(),
      sentenceModel: z.string().regex(/^[\w./-]+$/).optional(),
      endpoint: z.string().url().optional(),
      endpointModel: z.string().min(1).optional(),
    }),
    argv: (project: string, i: Record<string, unknown>) => [
      'caption',
      project,
      ...flag('captioner', i.captioner as string),
      ...flag('model', i.model as string),
      ...flag('threshold', i.threshold as number),
      ...flag('character-threshold', i.characterThreshold as number),
      ...flag('overwrite', i.overwrite as boolean),
      ...flag('rerun', i.rerun as boolean),
      ...flag('offline', i.offline as boolean),
      ...((i.photos as string[] | undefined) ?? []).flatMap((p) => flag('photo', p)),
      ...flag('sentence-backend', i.sentenceBackend as string),
      ...flag('sentence-model', i.sentenceModel as string),
      ...flag('endpoint', i.endpoint as string),
      ...flag('endpoint-model', i.endpointModel as string),
    ],
  },
  evaluate: {
    inputs: z.strictObject({ run: runId.optional() }),
    argv: (project: string, i: { run?: string }) => ['evaluate', project, ...flag('run', i.run)],
  },
  likeness: {
    inputs: z.strictObject({ run: runId }),
    argv: (project: string, i: { run: string }) => ['evaluate', project, ...flag('run', i.run), '--follow'],
  },
  report: {
    inputs: z.strictObject({ run: runId.optional(), reevaluate: z.boolean().optional() }),
    argv: (project: string, i: { run?: string; reevaluate?: boolean }) => ['report', project, ...flag('run', i.run), ...flag('reevaluate', i.reevaluate)],
  },
  sweep: {
    inputs: z.strictObject({
      run: runId.optional(),
      strengths: z.array(z.number().min(0).max(4)).min(1).optional(),
      epochs: z.array(z.int().min(0)).min(1).optional(),
      backend: z.enum(['sd-scripts', 'a1111', 'comfyui']).optional(),
      url: z.string().url().optional(),
      loraDir: absolute.optional(),
    }),
    argv: (project: string, i: { run?: string; strengths?: number[]; epochs?: number[]; backend?: string; url?: string; loraDir?: string }) => [
      'sweep',
      project,
      ...flag('run', i.run),
      ...flag('strengths', i.strengths?.join(',')),
      ...flag('epochs', i.epochs?.join(',')),
      ...flag('backend', i.backend),
      ...flag('url', i.url),
      ...flag('lora-dir', i.loraDir),
    ],
  },
  resize: {
    inputs: z.strictObject({ file: absolute, out: absolute, rank: z.int().min(1).max(4096).optional(), dynamic: z.string().regex(/^(fro|cumulative|ratio):[\d.]+$/).optional(), dtype: z.enum(['f16', 'bf16', 'f32']).optional(), force: z.boolean().optional() }),
    argv: (_project: string | null, i: { file: string; out: string; rank?: number; dynamic?: string; dtype?: string; force?: boolean }) => ['lora', 'resize', i.file, ...flag('rank', i.rank), ...flag('dynamic', i.dynamic), ...flag('dtype', i.dtype), ...flag('force', i.force), `--output=${i.out}`],
  },
} as const satisfies Record<JobKind, { inputs: z.ZodType; argv: (project: string, inputs: never) => string[] }>;

/** Kinds that work on a file rather than a project. */
const NO_PROJECT: ReadonlySet<JobKind> = new Set(['resize']);

/** Checks a job's inputs for its kind; throws JOBS_BAD_INPUT naming the bad field. */
export function checkJobInputs(kind: JobKind, project: string | null | undefined, inputs: unknown): Record<string, unknown> {
  if (!NO_PROJECT.has(kind) && (!project || !path.isAbsolute(project))) {
    throw jobErrors.create('JOBS_BAD_INPUT', `A ${kind} job needs the project folder as an absolute path.`, 'Pass the project folder.', { details: { kind } });
  }
  const parsed = KINDS[kind].inputs.safeParse(inputs ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || '(inputs)';
    throw jobErrors.create('JOBS_BAD_INPUT', `A ${kind} job's input ${field} is not valid: ${issue?.message ?? 'unexpected value'}.`, 'Check the value and try again.', { details: { kind, field } });
  }
  return parsed.data as Record<string, unknown>;
}

/**
 * The tack command (without --json) that does job `job`'s work. A training on a remote runs with
 * --on; once its run exists there (a worker started again for it after the last one stopped),
 * the work is following that run home: tack attach.
 */
export function jobArgv(job: Pick<JobRecord, 'kind' | 'project' | 'inputs'> & Partial<Pick<JobRecord, 'machine' | 'runId'>>): string[] {
  const inputs = checkJobInputs(job.kind, job.project, job.inputs);
  const remote = job.kind === 'train' && job.machine && job.machine !== LOCAL_MACHINE ? job.machine : undefined;
  if (remote && job.runId && job.project) return ['attach', job.project, job.runId, '--on-interrupt=stop'];
  const spec = KINDS[job.kind] as { argv: (project: string | null, inputs: Record<string, unknown>) => string[] };
  const argv = spec.argv(job.project, inputs);
  return remote ? [...argv, `--on=${remote}`, '--on-interrupt=stop'] : argv;
}

/** Progress bars of a command running as a job: progress goes to the job store. */
export function jobProgress(reporter: JobReporter): (label: string) => ProgressBar {
  return (label) => Object.assign((event: { done: number; total: number; item?: string; unit?: 'items' | 'bytes' | 'steps' }) => reporter.progress({ label, done: event.done, total: event.total, ...(event.unit ? { unit: event.unit } : {}), ...(event.item ? { item: event.item } : {}) }), { finish: () => undefined });
}

interface TrainDocument {
  readonly outcome?: { readonly kind: string; readonly reason?: string; readonly message: string; readonly hint?: string };
}

/** How a command's exit code and document become the job's end. */
export function jobEndFrom(kind: JobKind, exitCode: number, document: unknown): JobEnd {
  const doc = document as { error?: JobError } | null;
  if (doc && typeof doc === 'object' && doc.error) {
    const error = doc.error;
    return error.category === 'cancelled' || exitCode === 130 ? { status: 'cancelled', error } : { status: 'failed', error };
  }
  if (kind === 'train') {
    const outcome = (document as TrainDocument | null)?.outcome;
    // A remote run followed no more goes on there: the job stays running (JobDetached).
    if (outcome?.kind === 'detached') return { status: 'detached' };
    if (outcome && outcome.kind !== 'succeeded') {
      const error: JobError = { code: 'JOBS_TRAINING_FAILED', category: 'training', message: outcome.message, hint: outcome.hint ?? '', details: { outcome: outcome.kind, ...(outcome.reason ? { reason: outcome.reason } : {}) } };
      return outcome.kind === 'cancelled' ? { status: 'cancelled', result: document, error } : { status: 'failed', result: document, error };
    }
  }
  if (exitCode === 130) return { status: 'cancelled', result: document };
  // A check that ran and found problems (doctor's "blocked", verify's mismatches) did its work.
  if (exitCode === 0 || kind === 'doctor') return { status: 'succeeded', result: document };
  const failed = (document as { failed?: ReadonlyArray<{ code: string; message: string; hint: string }> } | null)?.failed?.[0];
  return {
    status: 'failed',
    result: document,
    error: failed ? { code: failed.code, category: 'input', message: failed.message, hint: failed.hint } : { code: 'CORE_INTERNAL', category: 'internal', message: `tack ${kind} ended with exit code ${exitCode}.`, hint: 'See the job\'s log.' },
  };
}

export interface RunCommandFn {
  (argv: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; stdout: ReturnType<typeof memoryOutput>; stderr: { write(text: string): void; readonly isTTY: boolean; readonly columns: number }; signal: AbortSignal; job: JobReporter; progress: (label: string) => ProgressBar }): Promise<number>;
}

/** `argv` with --json added where options still count (before a "--" that ends them). */
export function withJsonFlag(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  return end < 0 ? [...argv, '--json'] : [...argv.slice(0, end), '--json', ...argv.slice(end)];
}

/** Runs job `job` as its tack command in this process and says how it ended. */
export async function executeJobCommand(job: JobRecord, reporter: JobReporter, runCommand: RunCommandFn, env: NodeJS.ProcessEnv): Promise<JobEnd> {
  const argv = jobArgv(job);
  const stdout = memoryOutput();
  const stderr = { write: (text: string) => void process.stderr.write(text), isTTY: false, columns: 120 };
  try {
    const code = await runCommand(withJsonFlag(argv), { env, stdout, stderr, signal: reporter.signal, job: reporter, progress: jobProgress(reporter) });
    const text = stdout.text().trim();
    let document: unknown = null;
    try {
      document = text ? JSON.parse(text) : null;
    } catch {
      document = { output: text };
    }
    return jobEndFrom(job.kind, code, document);
  } finally {
    const staging = job.inputs.staging;
    // The studio stages dropped files in tack's data folder; the import has copied them.
    if (job.kind === 'import' && typeof staging === 'string' && staging.startsWith(path.join(tackDataDir(env), 'studio-uploads') + path.sep)) await rm(staging, { recursive: true, force: true });
  }
}

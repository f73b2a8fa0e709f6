import path from 'node:path';
import { sleep } from '../../core/index.js';
import { cancelJob, FINAL_STATUSES, liveProbes, reconcileJobs, runJobWorker, viewJob, type JobEvent, type JobProgress, type JobView } from '../../jobs/index.js';
import { stringOption, type CommandSpec } from '../command.js';
import { EXIT_CODES, exitCodeFor } from '../exit-codes.js';
import { executeJobCommand } from '../job-commands.js';
import { formatJobProgress, jobIdArgument, jobSummaryJson, openJobStore, startQueuedJobs, withJobStore } from '../jobs-runtime.js';
import { formatTable } from '../render.js';

function exitCodeOf(job: JobView): number {
  if (job.status === 'succeeded') return EXIT_CODES.ok;
  if (job.status === 'cancelled') return EXIT_CODES.cancelled;
  return job.error?.category ? exitCodeFor(job.error.category) : EXIT_CODES.internal;
}

export const jobsCommand: CommandSpec = {
  name: 'jobs',
  summary: 'List the jobs (imports, captioning, trainings, evaluations ...) of the studio and the CLI',
  usage: 'jobs [--project <dir>] [--all] [--json]',
  details: `Long work runs as jobs: a training started in the studio, one started with tack train in a
terminal, an import or a caption run. Every job's status is worked out from its process: a job
whose process died shows as interrupted (a training can then be resumed), never as running
forever. Jobs that need the GPU run one at a time per machine; the others wait in the queue.
Examples:
  tack jobs
  tack jobs show 12
  tack jobs cancel 12
  tack jobs follow 12`,
  options: {
    project: { type: 'string', value: '<dir>', description: 'Only the jobs of this project.' },
    all: { type: 'boolean', description: 'Every job in the store (default: the running and queued ones and the last 20).' },
  },
  json: true,
  async run(ctx, { values }) {
    const project = stringOption(values, 'project');
    return withJobStore(ctx.env, (store) => {
      reconcileJobs(store);
      const probes = liveProbes();
      const filter = project ? { project: path.resolve(ctx.cwd, project) } : {};
      const active = store.list({ ...filter, states: ['queued', 'running'] });
      const rest = store.list({ ...filter, ...(values.all ? {} : { limit: 20 + active.length }) }).filter((j) => j.state !== 'queued' && j.state !== 'running');
      const jobs = [...active, ...rest.slice(0, values.all ? undefined : 20)].map((j) => viewJob(j, probes)).sort((a, b) => b.id - a.id);
      if (ctx.json) {
        ctx.printJson({ kind: 'jobs', store: store.file, jobs: jobs.map(jobSummaryJson) });
        return;
      }
      if (jobs.length === 0) {
        ctx.print('No jobs yet. They appear when you import, caption or train (here or in tack studio).');
        return;
      }
      ctx.print(formatTable(['id', 'kind', 'project', 'machine', 'status', 'progress', 'started'], jobs.map((j) => [j.id, j.kind, j.project ? path.basename(j.project) : '-', j.machine, j.status, j.status === 'running' ? formatJobProgress(j.progress) : '', j.startedAt?.replace('T', ' ').slice(0, 19) ?? '-'])));
    });
  },
};

export const jobsShowCommand: CommandSpec = {
  name: 'jobs show',
  summary: 'One job: status and why, inputs, progress, result, error and its recent events',
  usage: 'jobs show <id> [--json]',
  positionals: [{ name: 'id', required: true, description: 'The job id (tack jobs lists them).' }],
  json: true,
  async run(ctx, { positionals }) {
    const id = jobIdArgument(positionals[0], 'tack jobs show', 'tack jobs');
    return withJobStore(ctx.env, (store) => {
      reconcileJobs(store);
      const job = viewJob(store.require(id), liveProbes());
      const events = store.eventsSince(0, { jobId: id, limit: 10_000 }).slice(-200);
      const log = job.worker?.kind === 'local' && job.worker.logFile ? job.worker.logFile : null;
      if (ctx.json) {
        ctx.printJson({ kind: 'job', job, events, log });
        return;
      }
      ctx.print(`Job ${job.id}: ${job.title} (${job.kind}, ${job.resource.toUpperCase()}, ${job.machine}): ${job.status}${job.statusReason ? ` (${job.statusReason})` : ''}`);
      if (job.project) ctx.print(`  project   ${job.project}`);
      if (job.runId) ctx.print(`  run       ${job.runId}`);
      ctx.print(`  created   ${job.createdAt} by ${job.origin}${job.startedAt ? `; started ${job.startedAt}` : ''}${job.endedAt ? `; ended ${job.endedAt}` : ''}`);
      if (job.worker?.kind === 'local') ctx.print(`  worker    pid ${job.worker.pid} on ${job.worker.hostname}, last heartbeat ${job.worker.heartbeatAt}`);
      if (job.progress) ctx.print(`  progress  ${formatJobProgress(job.progress)}`);
      if (job.error) ctx.print(`  error     [${job.error.code}] ${job.error.message}\n  hint      ${job.error.hint}`);
      if (log) ctx.print(`  log       ${log}`);
      const shown = events.filter((e) => e.type !== 'progress').slice(-15);
      if (shown.length) {
        ctx.print();
        for (const e of shown) ctx.print(`  ${e.at.replace('T', ' ').slice(0, 19)}  ${describeEvent(e)}`);
      }
    });
  },
};

export const jobsCancelCommand: CommandSpec = {
  name: 'jobs cancel',
  summary: 'Stop a job: a queued one leaves the queue, a running one stops gracefully (as Ctrl-C)',
  usage: 'jobs cancel <id> [--json]',
  details: 'A training keeps the checkpoints it saved and can be resumed (tack train <project> --resume).',
  positionals: [{ name: 'id', required: true, description: 'The job id.' }],
  json: true,
  async run(ctx, { positionals }) {
    const id = jobIdArgument(positionals[0], 'tack jobs cancel', 'tack jobs');
    return withJobStore(ctx.env, (store) => {
      const result = cancelJob(store, id);
      if (ctx.json) ctx.printJson({ kind: 'jobs-cancel', outcome: result.outcome, job: jobSummaryJson(result.job) });
      else ctx.print(result.outcome === 'removed' ? `Job ${id} was taken off the queue.` : `Job ${id} is stopping (tack jobs follow ${id} shows when it has).`);
    });
  },
};

function describeEvent(e: JobEvent): string {
  const d = e.data as Record<string, unknown>;
  switch (e.type) {
    case 'state':
      return `${String(d.state)}${d.reason ? ` (${String(d.reason)})` : ''}${d.error ? `: ${String((d.error as { message?: string }).message)}` : ''}`;
    case 'progress':
      return formatJobProgress(d as unknown as JobProgress);
    case 'checkpoint':
      return `epoch ${String(d.epoch)} checkpoint ${String(d.file)}`;
    case 'sample':
      return `epoch ${String(d.epoch)} sample ${String(d.file)}`;
    case 'likeness':
      return `epoch ${String(d.epoch)} likeness ${typeof d.effectiveLikeness === 'number' ? d.effectiveLikeness.toFixed(2) : '-'}`;
    default:
      return `${e.type}${Object.keys(d).length ? ` ${JSON.stringify(d)}` : ''}`;
  }
}

export const jobsFollowCommand: CommandSpec = {
  name: 'jobs follow',
  summary: 'Print a job\'s progress and events until it ends (Ctrl-C stops following, not the job)',
  usage: 'jobs follow <id> [--json]',
  positionals: [{ name: 'id', required: true, description: 'The job id.' }],
  json: true,
  async run(ctx, { positionals }) {
    const id = jobIdArgument(positionals[0], 'tack jobs follow', 'tack jobs');
    return withJobStore(ctx.env, async (store) => {
      let seq = 0;
      let lastProgress = 0;
      for (;;) {
        for (const e of store.eventsSince(seq, { jobId: id })) {
          seq = e.seq;
          if (ctx.json) continue;
          if (e.type === 'progress' && Date.now() - lastProgress < 1000) continue;
          if (e.type === 'progress') lastProgress = Date.now();
          ctx.stderr.write(`${describeEvent(e)}\n`);
        }
        reconcileJobs(store);
        const job = viewJob(store.require(id), liveProbes());
        if (FINAL_STATUSES.has(job.status) || ctx.signal.aborted) {
          if (ctx.json) ctx.printJson({ kind: 'job', job, events: store.eventsSince(0, { jobId: id, limit: 10_000 }).slice(-200), log: job.worker?.kind === 'local' ? (job.worker.logFile ?? null) : null });
          else ctx.print(`Job ${id} ${job.status}${job.error ? `: ${job.error.message}\n  hint: ${job.error.hint}` : '.'}`);
          return ctx.signal.aborted ? EXIT_CODES.ok : exitCodeOf(job);
        }
        await sleep(200, ctx.signal);
      }
    });
  },
};

export const jobsWorkCommand: CommandSpec = {
  name: 'jobs work',
  summary: 'Run one queued job in this process (the job worker started by the studio and the queue)',
  usage: 'jobs work <id>',
  hidden: true,
  positionals: [{ name: 'id', required: true }],
  async run(ctx, { positionals }) {
    const id = jobIdArgument(positionals[0], 'tack jobs work', 'tack jobs');
    // Imported here: main.ts imports the command list this command is part of.
    const { runCli } = await import('../main.js');
    const store = openJobStore(ctx.env);
    try {
      const end = await runJobWorker(store, id, (job, reporter) => executeJobCommand(job, reporter, (argv, options) => runCli(argv, { ...options, cwd: job.project ?? ctx.cwd }), ctx.env), {
        afterEnd: () => void startQueuedJobs(store, ctx.env),
      });
      ctx.stderr.write(`job ${id} ${end.status}\n`);
      return end.status === 'succeeded' || end.status === 'detached' ? EXIT_CODES.ok : end.status === 'cancelled' ? EXIT_CODES.cancelled : exitCodeFor(end.error.category ?? 'internal');
    } finally {
      store.close();
    }
  },
};

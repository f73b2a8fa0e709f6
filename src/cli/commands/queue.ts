/**
 * `tack queue`: trainings waiting for their machine. Each machine (this one's GPU, each remote)
 * trains one run at a time, in queue order; machines work in parallel (three learning rates on
 * three rented GPUs). The queue is the job store (src/jobs): it survives a crash of tack, every
 * training runs in its own detached worker, and a remote run that went on while tack was gone
 * is followed again the next time the queue moves (tack queue does that).
 */
import path from 'node:path';
import { cancelJob, liveProbes, LOCAL_MACHINE, viewJob, type JobStore, type JobView } from '../../jobs/index.js';
import { loadProject } from '../../project/index.js';
import { findRemote } from '../../remote/index.js';
import { choiceOption, stringOption, type CommandSpec } from '../command.js';
import { checkJobInputs } from '../job-commands.js';
import { formatJobProgress, jobIdArgument, jobSummaryJson, startQueuedJobs, withJobStore } from '../jobs-runtime.js';
import { formatTable } from '../render.js';

/** The trainings of the queue: waiting and running ones, then the `recent` last ended ones. */
function queueJobs(store: JobStore, recent: number): JobView[] {
  const probes = liveProbes();
  const active = store.list({ kinds: ['train'], states: ['queued', 'running'] });
  const ended = store.list({ kinds: ['train'], limit: recent + active.length }).filter((j) => j.state !== 'queued' && j.state !== 'running').slice(0, recent);
  return [...active, ...ended].map((j) => viewJob(j, probes)).sort((a, b) => a.id - b.id);
}

/** Where each queued job stands on its machine (1 = next). */
function positions(jobs: readonly JobView[]): Map<number, number> {
  const out = new Map<number, number>();
  const count = new Map<string, number>();
  for (const j of jobs) {
    if (j.status !== 'queued') continue;
    const n = (count.get(j.machine) ?? 0) + 1;
    count.set(j.machine, n);
    out.set(j.id, n);
  }
  return out;
}

export const queueCommand: CommandSpec = {
  name: 'queue',
  summary: 'Show the training queue (waiting and running runs per machine) and move it on',
  usage: 'queue [--json]',
  details: `Every machine (local, and each remote from tack remote add) trains one run at a time; the
others wait in order. Remotes train in parallel. The queue lives in tack's job store, so it
survives closing the terminal or a crash of tack: tack queue starts what may start now, and
follows again a remote run whose tack was killed while the run went on there. Examples:
  tack queue add my-lora --on pod-a --preset lr-low
  tack queue add my-lora --on pod-b --preset lr-high
  tack queue
  tack queue cancel 7`,
  json: true,
  async run(ctx) {
    return withJobStore(ctx.env, (store) => {
      const started = startQueuedJobs(store, ctx.env);
      const jobs = queueJobs(store, 10);
      const order = positions(jobs);
      if (ctx.json) {
        ctx.printJson({ kind: 'queue', store: store.file, started: started.map((j) => j.id), jobs: jobs.map((j) => ({ ...jobSummaryJson(j), position: order.get(j.id) ?? null })) });
        return;
      }
      if (!jobs.length) {
        ctx.print('The queue is empty. Add a training: tack queue add <project> [--on <remote>]');
        return;
      }
      const rows = jobs.map((j) => [j.id, j.machine, j.project ? path.basename(j.project) : '-', j.status === 'queued' ? `queued (#${order.get(j.id)})` : j.status, j.status === 'running' ? formatJobProgress(j.progress) : j.runId ?? '', (j.startedAt ?? j.createdAt).replace('T', ' ').slice(0, 19)]);
      ctx.print(formatTable(['job', 'machine', 'project', 'status', 'progress / run', 'since'], rows));
      for (const j of started) ctx.print(`started job ${j.id} on ${j.machine}`);
    });
  },
};

export const queueAddCommand: CommandSpec = {
  name: 'queue add',
  summary: 'Queue a training on this machine or a remote; it starts when the machine is free',
  usage: 'queue add <project> [--on <remote>] [--preset <name>] [--gpu-profile auto|8gb|12gb|16gb|24gb] [--json]',
  details: `The training runs as tack train <project> [--on <remote>] in a detached worker (its output in
tack's data folder, job-logs/), so closing the terminal does not stop it; tack queue and tack
jobs show it, tack queue cancel stops it (a running training keeps its checkpoints).`,
  positionals: [{ name: 'project', required: true, description: 'The project folder.' }],
  options: {
    on: { type: 'string', value: '<remote>', description: 'Train on this remote (default: this machine).' },
    preset: { type: 'string', value: '<name>', description: 'Preset for this run (tack preset list).' },
    'gpu-profile': { type: 'string', value: '<profile>', description: 'auto, 8gb, 12gb, 16gb or 24gb.' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const project = await loadProject(path.resolve(ctx.cwd, positionals[0] as string), { tokenize: false });
    const on = stringOption(values, 'on');
    if (on) await findRemote(ctx.env, on);
    const preset = stringOption(values, 'preset');
    const gpuProfile = choiceOption(values, 'gpu-profile', ['auto', '8gb', '12gb', '16gb', '24gb'] as const);
    const inputs = checkJobInputs('train', project.paths.root, { ...(preset ? { preset } : {}), ...(gpuProfile ? { gpuProfile } : {}) });
    const machine = on ?? LOCAL_MACHINE;
    return withJobStore(ctx.env, (store) => {
      const job = store.insert({ kind: 'train', project: project.paths.root, machine, inputs, title: `train ${project.config.name}${on ? ` on ${on}` : ''}${preset ? ` (${preset})` : ''}`, origin: 'cli' });
      startQueuedJobs(store, ctx.env);
      const view = viewJob(store.require(job.id), liveProbes());
      const position = positions(queueJobs(store, 0)).get(job.id) ?? null;
      if (ctx.json) {
        ctx.printJson({ kind: 'queue-add', job: jobSummaryJson(view), position });
        return;
      }
      ctx.print(view.status === 'running' ? `Job ${job.id}: training ${project.config.name} on ${machine} now.` : `Job ${job.id}: queued on ${machine} (#${position}); it starts when ${machine === LOCAL_MACHINE ? 'this machine\'s GPU' : machine} is free.`);
      ctx.print(`Follow it: tack jobs follow ${job.id}   the queue: tack queue`);
    });
  },
};

export const queueCancelCommand: CommandSpec = {
  name: 'queue cancel',
  summary: 'Take a training off the queue, or stop it if it runs (its checkpoints are kept)',
  usage: 'queue cancel <id> [--json]',
  positionals: [{ name: 'id', required: true, description: 'The job id (tack queue lists them).' }],
  json: true,
  async run(ctx, { positionals }) {
    const id = jobIdArgument(positionals[0], 'tack queue cancel', 'tack queue');
    return withJobStore(ctx.env, (store) => {
      const result = cancelJob(store, id);
      // A remote run nobody follows gets a worker that follows it, sees the stop and stops it there.
      startQueuedJobs(store, ctx.env);
      if (ctx.json) ctx.printJson({ kind: 'queue-cancel', outcome: result.outcome, job: jobSummaryJson(result.job) });
      else ctx.print(result.outcome === 'removed' ? `Job ${id} was taken off the queue.` : `Job ${id} is stopping; its checkpoints are kept (tack jobs follow ${id}).`);
    });
  },
};

import path from 'node:path';
import { formatBytes, formatDuration } from '../../core/index.js';
import { loadProject, type ProjectPaths } from '../../project/index.js';
import { readRemoteRunStatus, type RemoteRunStatus } from '../../remote/index.js';
import { listRuns, markInterruptedRuns, readRun, readRunMetrics, type RunRecord } from '../../run/index.js';
import { cliErrors } from '../errors.js';
import type { CommandContext, CommandSpec } from '../command.js';
import { formatTable } from '../render.js';

function durationOf(r: RunRecord): number | undefined {
  if (r.outcome && 'durationMs' in r.outcome && r.outcome.durationMs !== undefined) return r.outcome.durationMs;
  const started = r.meta.attempts[r.meta.attempts.length - 1]?.startedAt;
  return started ? Date.now() - Date.parse(started) : undefined;
}

function lossOf(r: RunRecord): number | null {
  if (r.outcome && 'finalLoss' in r.outcome && r.outcome.finalLoss !== undefined) return r.outcome.finalLoss;
  return r.meta.progress?.loss ?? null;
}

function stepsOf(r: RunRecord): string {
  const done = r.outcome && 'steps' in r.outcome && r.outcome.steps ? r.outcome.steps.done : (r.meta.progress?.step ?? 0);
  return `${done}/${r.meta.plan.totalSteps}`;
}

/** A remote run's state in words, for the status column. */
function remoteStatus(r: RunRecord, live: RemoteRunStatus | undefined): string {
  const name = r.meta.remote?.name;
  if (!name || r.meta.status !== 'running') return r.status;
  switch (live?.state) {
    case 'running':
      return `running on ${name}${live.step !== undefined ? ` (step ${live.step}/${live.totalSteps})` : ''}`;
    case 'ended':
      return `ended on ${name}, not home yet`;
    case 'lost':
      return `stopped on ${name}, not home yet`;
    case 'gone':
      return `gone from ${name}`;
    case 'unreachable':
      return `on ${name} (unreachable)`;
    default:
      return `running on ${name}`;
  }
}

/** One run as a JSON object (docs/train.md "tack runs --json"). */
export function runJson(r: RunRecord, live?: RemoteRunStatus) {
  return {
    id: r.id,
    dir: r.paths.dir,
    status: r.status,
    createdAt: r.meta.createdAt,
    preset: r.meta.preset.name,
    gpuProfile: r.meta.preset.gpuProfile,
    plan: r.meta.plan,
    progress: r.meta.progress ?? null,
    outcome: r.outcome ?? null,
    durationMs: durationOf(r) ?? null,
    finalLoss: lossOf(r),
    checkpoints: r.checkpoints.map((c) => ({ epoch: c.epoch, final: c.final, file: c.file, sizeBytes: c.sizeBytes })),
    samples: r.samples.map((s) => ({ epoch: s.epoch, promptIndex: s.promptIndex, seed: s.seed ?? null, file: s.file })),
    remote: r.meta.remote ? { name: r.meta.remote.name, target: r.meta.remote.target, runDir: r.meta.remote.runDir, state: live?.state ?? null, step: live?.step ?? null, error: live?.error ?? null } : null,
  };
}

async function show(ctx: CommandContext, record: RunRecord, projectArg: string, paths: ProjectPaths): Promise<void> {
  const metrics = await readRunMetrics(paths, record.id);
  const losses = metrics.filter((m) => m.kind === undefined && typeof m.loss === 'number');
  if (ctx.json) {
    ctx.printJson({ kind: 'run', ...runJson(record), settings: record.meta.preset.settings, engine: record.meta.engine, baseModel: record.meta.baseModel, attempts: record.meta.attempts, lossByEpoch: lossByEpoch(metrics) });
    return;
  }
  const m = record.meta;
  ctx.print(`Run ${record.id}: ${record.status}`);
  ctx.print(`  folder      ${record.paths.dir}`);
  ctx.print(`  preset      ${m.preset.name} (GPU profile ${m.preset.gpuProfile}), rank ${m.preset.settings.network_dim}, alpha ${m.preset.settings.network_alpha}, ${m.preset.settings.optimizer}, U-Net lr ${m.preset.settings.unet_lr}${m.preset.settings.train_text_encoder ? `, text encoders ${m.preset.settings.text_encoder_lr}` : ', U-Net only'}`);
  ctx.print(`  plan        ${m.plan.images} images x ${m.plan.repeats} repeats, ${m.plan.epochs} epochs, batch ${m.plan.batchSize}: ${m.plan.totalSteps} steps`);
  ctx.print(`  base model  ${m.baseModel || '(not set)'}`);
  ctx.print(`  steps       ${stepsOf(record)}${lossOf(record) !== null ? `, last average loss ${lossOf(record)?.toPrecision(3)}` : ''}${durationOf(record) !== undefined ? `, ${formatDuration(durationOf(record) as number)}` : ''}`);
  if (m.attempts.length > 1) ctx.print(`  attempts    ${m.attempts.map((a) => `${a.startedAt}${a.resumedFrom !== undefined ? ` (resumed${a.resumedFrom ? ` from ${a.resumedFrom}` : ''})` : ''}: ${a.outcome ?? 'running'}`).join('; ')}`);
  if (record.outcome) {
    ctx.print(`  outcome     ${record.outcome.kind}${record.outcome.kind === 'failed' ? ` (${record.outcome.reason})` : ''}: ${record.outcome.message}`);
    if ('hint' in record.outcome) ctx.print(`  hint        ${record.outcome.hint}`);
  }
  const byEpoch = lossByEpoch(metrics);
  const epochs = new Set([...record.checkpoints.map((c) => c.epoch), ...record.samples.map((s) => s.epoch)]);
  if (epochs.size) {
    ctx.print();
    const rows = [...epochs]
      .sort((a, b) => a - b)
      .map((e) => {
        const ck = record.checkpoints.filter((c) => c.epoch === e);
        return [
          e,
          ck.map((c) => path.basename(c.file)).join(', ') || '-',
          ck.length ? formatBytes(ck[0]?.sizeBytes ?? 0) : '-',
          record.samples.filter((s) => s.epoch === e).length,
          byEpoch[e] === undefined ? '-' : (byEpoch[e] as number).toPrecision(3),
        ] as (string | number)[];
      });
    ctx.print(formatTable(['epoch', 'checkpoint', 'size', 'samples', 'loss'], rows));
  }
  if (losses.length === 0 && record.status === 'prepared') ctx.print(`\nNot launched (dry run). Start it with: tack train ${projectArg}`);
  ctx.print(`\nLog: ${record.paths.logFile}`);
}

function lossByEpoch(metrics: ReadonlyArray<{ kind?: string; epoch?: number; loss?: number | null }>): Record<number, number> {
  const out: Record<number, number> = {};
  for (const m of metrics) if (m.kind === undefined && typeof m.loss === 'number' && typeof m.epoch === 'number') out[m.epoch] = m.loss;
  return out;
}

export const runsCommand: CommandSpec = {
  name: 'runs',
  summary: 'List a project\'s training runs, or show one in detail',
  usage: 'runs <project> [show <id>] [--json]',
  details: `Lists every run in runs/: id, status (prepared, running, succeeded, failed, cancelled,
interrupted), steps, last average loss, duration and checkpoints. A run whose supervising tack
process died (killed, crashed, machine off) shows as interrupted, never as running forever;
tack train <project> --resume continues it. "show <id>" prints one run: settings, plan, outcome,
and per epoch its checkpoint, sample count and loss. Examples:
  tack runs my-lora
  tack runs my-lora show 20260301-120000`,
  positionals: [
    { name: 'project', required: true, description: 'The project folder.' },
    { name: 'show', description: '"show" followed by a run id (or just the id).' },
    { name: 'id', description: 'The run id, e.g. 20260301-120000.' },
  ],
  json: true,
  async run(ctx, { positionals }) {
    const projectArg = positionals[0] as string;
    const project = await loadProject(path.resolve(ctx.cwd, projectArg), { tokenize: false });
    await markInterruptedRuns(project.paths, projectArg);
    const [, first, second] = positionals;
    if (first !== undefined) {
      const id = first === 'show' ? second : first;
      if (!id) throw cliErrors.create('CLI_MISSING_ARGUMENT', 'tack runs <project> show needs a run id.', `List them with: tack runs ${projectArg}`);
      await show(ctx, await readRun(project.paths, id), projectArg, project.paths);
      return;
    }
    const runs = await listRuns(project.paths);
    // Remote runs whose results are not all home: only the remote knows how they are doing.
    const live = await readRemoteRunStatus(runs, ctx.env, ctx.signal);
    if (ctx.json) {
      ctx.printJson({ kind: 'runs', project: project.paths.root, runs: runs.map((r) => runJson(r, live.get(r.id))) });
      return;
    }
    if (runs.length === 0) {
      ctx.print(`No runs yet. Start one with: tack train ${projectArg} --dry-run`);
      return;
    }
    const rows = runs.map((r) => {
      const d = durationOf(r);
      const loss = lossOf(r);
      const finalCk = r.checkpoints.length;
      return [r.id, remoteStatus(r, live.get(r.id)), stepsOf(r), loss === null ? '-' : loss.toPrecision(3), d === undefined || r.status === 'prepared' ? '-' : formatDuration(d), finalCk, r.meta.preset.name];
    });
    ctx.print(formatTable(['run', 'status', 'steps', 'loss', 'duration', 'checkpoints', 'preset'], rows));
    if (live.size) ctx.print(`\nA remote run's results come home while tack follows it: tack attach ${projectArg} [run]`);
    const interrupted = runs.filter((r) => r.status === 'interrupted' || r.status === 'cancelled').pop();
    if (interrupted && interrupted === runs[runs.length - 1]) ctx.print(`\nThe newest run stopped early; continue it with: tack train ${projectArg} --resume`);
  },
};

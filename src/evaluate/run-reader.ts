/**
 * The training run evaluation works on. The run module reads the folder (run.json, the
 * checkpoint of every epoch, every sample image; src/run/runs.ts); this adds what evaluation
 * needs beyond it: one sample per epoch and prompt, the sample prompts, the loss curve, and
 * runs/<id>/evaluation/, where evaluation writes.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { parseEngineLog } from '../engine/index.js';
import type { ProjectPaths } from '../project/index.js';
import { parseSdScriptsPromptFile, type SdScriptsPromptLine } from '../prompt/index.js';
import { listRunIds, listRuns, readRun, readRunMetrics, type RunCheckpoint, type RunRecord, type RunSample, type RunStatus } from '../run/index.js';
import { evalErrors } from './errors.js';

export interface LossPoint {
  readonly step: number;
  readonly epoch?: number;
  readonly loss: number;
}

export interface EvalRun {
  readonly id: string;
  readonly dir: string;
  /** As the run module reads it: "prepared" after `tack train --dry-run`, a dead supervisor's "running" as "interrupted". */
  readonly status: RunStatus;
  readonly outputName: string;
  readonly preset?: string;
  readonly baseModel?: string;
  readonly totalSteps?: number;
  /** How it trained, for rendering with matching precision (absent in runs made by hand). */
  readonly training?: { readonly mixedPrecision?: string; readonly attention?: string; readonly noHalfVae?: boolean; readonly device?: 'cuda' | 'mps' | 'cpu' };
  /** Sorted by epoch (the final file last). */
  readonly checkpoints: readonly RunCheckpoint[];
  /**
   * One per epoch and prompt index, sorted so; epoch 0 is rendered before training
   * (--sample_at_first): the base model's baseline.
   */
  readonly samples: readonly RunSample[];
  readonly prompts: readonly SdScriptsPromptLine[];
  readonly loss: readonly LossPoint[];
  /** runs/<id>/evaluation: where scores, sweeps and reports are written. */
  readonly evaluationDir: string;
}

/** The run to evaluate: the one named, else the newest that has samples, else the newest. */
export async function readEvalRun(paths: ProjectPaths, id?: string): Promise<EvalRun> {
  const ids = await listRunIds(paths);
  if (ids.length === 0) {
    throw evalErrors.create('EVAL_NO_RUNS', `${paths.root} has no training runs (no folders in ${paths.runsDir}).`, `Train first: tack train ${paths.root}`);
  }
  if (id !== undefined) {
    if (!ids.includes(id)) {
      throw evalErrors.create('EVAL_RUN_NOT_FOUND', `Run "${id}" does not exist in ${paths.runsDir}.`, `Runs: ${ids.slice(-5).join(', ')}.`, { details: { run: id, runs: ids } });
    }
    return withEvaluationData(paths, await readRun(paths, id));
  }
  const runs = await listRuns(paths);
  // No readable run at all: reading the newest folder says what is wrong with it.
  const chosen = [...runs].reverse().find((r) => r.samples.length > 0) ?? runs.at(-1) ?? (await readRun(paths, ids.at(-1) as string));
  return withEvaluationData(paths, chosen);
}

async function withEvaluationData(paths: ProjectPaths, run: RunRecord): Promise<EvalRun> {
  const { meta } = run;
  return {
    id: run.id,
    dir: run.paths.dir,
    status: run.status,
    outputName: meta.outputName,
    ...(meta.preset.name ? { preset: meta.preset.name } : {}),
    ...(meta.baseModel ? { baseModel: meta.baseModel } : {}),
    ...(meta.plan.totalSteps ? { totalSteps: meta.plan.totalSteps } : {}),
    ...(meta.preset.settings
      ? { training: { mixedPrecision: meta.preset.settings.mixed_precision, attention: meta.preset.settings.attention, noHalfVae: meta.preset.settings.no_half_vae, ...(meta.device ? { device: meta.device } : {}) } }
      : meta.device
        ? { training: { device: meta.device } }
        : {}),
    checkpoints: run.checkpoints,
    samples: newestSamples(run.samples),
    prompts: parseSdScriptsPromptFile(await fsp.readFile(run.paths.samplePrompts, 'utf8').catch(() => '')),
    loss: await readLoss(paths, run),
    evaluationDir: path.join(run.paths.dir, 'evaluation'),
  };
}

/**
 * A resumed run may render an epoch twice: the newest image per (epoch, prompt) stands for it.
 * The run module's samples come sorted by epoch, prompt and time stamp.
 */
function newestSamples(samples: readonly RunSample[]): RunSample[] {
  const newest = new Map<string, RunSample>();
  for (const s of samples) newest.set(`${s.epoch}:${s.promptIndex}`, s);
  return [...newest.values()];
}

/** Loss per step from metrics.jsonl, else from the engine's progress bars in log.txt. */
async function readLoss(paths: ProjectPaths, run: RunRecord): Promise<LossPoint[]> {
  const fromMetrics: LossPoint[] = [];
  for (const m of await readRunMetrics(paths, run.id)) {
    if (m.kind === undefined && typeof m.step === 'number' && typeof m.loss === 'number') fromMetrics.push({ step: m.step, loss: m.loss, ...(typeof m.epoch === 'number' ? { epoch: m.epoch } : {}) });
  }
  if (fromMetrics.length > 0) return byStep(fromMetrics);
  const log = await fsp.readFile(run.paths.logFile, 'utf8').catch(() => '');
  const fromLog: LossPoint[] = [];
  for (const e of parseEngineLog(log)) if (e.kind === 'progress' && e.loss !== null && Number.isFinite(e.loss)) fromLog.push({ step: e.step, loss: e.loss });
  return byStep(fromLog);
}

/** One point per step (the last one written, e.g. after a resume), in step order. */
function byStep(points: readonly LossPoint[]): LossPoint[] {
  const byStep = new Map<number, LossPoint>();
  for (const p of points) byStep.set(p.step, p);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

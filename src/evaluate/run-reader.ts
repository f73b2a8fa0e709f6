/**
 * Reads a training run folder as the run contract describes it (src/run writes it):
 *
 *   runs/<id>/run.json, config/sample_prompts.txt, metrics.jsonl, log.txt,
 *   output/<name>-000001.safetensors ... <name>.safetensors (the last epoch has no suffix),
 *   output/sample/<name>_e000001_00_<YYYYmmddHHMMSS>_<seed>.png (sd-scripts.md 6.3, 6.5)
 *
 * Only what evaluation needs, and tolerant: a run still training, or one whose run.json lacks
 * a field, is read from its files. Evaluation output goes to runs/<id>/evaluation/.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { readJson } from '../core/index.js';
import type { ProjectPaths } from '../project/index.js';
import { parseSdScriptsPromptFile, type SdScriptsPromptLine } from '../prompt/index.js';
import { evalErrors } from './errors.js';

const RUN_ID = /^\d{8}-\d{6}(-\d+)?$/;
const SAMPLE_NAME = /^(.*)_e(\d{6})_(\d{2,})_(\d{14})(?:_(\d+))?\.png$/i;
const CHECKPOINT_NAME = /^(.*?)(?:-(\d{6}))?\.safetensors$/;

export interface EvalCheckpoint {
  readonly epoch: number;
  readonly final: boolean;
  readonly file: string;
}

export interface EvalSample {
  /** 0 = rendered before training (--sample_at_first): the base model's baseline. */
  readonly epoch: number;
  readonly promptIndex: number;
  readonly seed?: number;
  readonly timestamp: string;
  readonly file: string;
}

export interface LossPoint {
  readonly step: number;
  readonly epoch?: number;
  readonly loss: number;
}

export interface EvalRun {
  readonly id: string;
  readonly dir: string;
  readonly status: string;
  readonly outputName: string;
  readonly createdAt?: string;
  readonly preset?: string;
  readonly baseModel?: string;
  readonly plannedEpochs?: number;
  readonly totalSteps?: number;
  readonly checkpoints: readonly EvalCheckpoint[];
  readonly samples: readonly EvalSample[];
  readonly prompts: readonly SdScriptsPromptLine[];
  readonly loss: readonly LossPoint[];
  /** runs/<id>/evaluation: where scores, sweeps and reports are written. */
  readonly evaluationDir: string;
}

interface RunJson {
  id?: string;
  status?: string;
  createdAt?: string;
  outputName?: string;
  baseModel?: string;
  preset?: string | { name?: string };
  plan?: { epochs?: number; totalSteps?: number };
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch {
    return [];
  }
}

/** Run ids of the project, oldest first. */
export async function listRunIdsForEval(paths: ProjectPaths): Promise<string[]> {
  return (await listDir(paths.runsDir)).filter((n) => RUN_ID.test(n)).sort();
}

export function parseSampleFileName(name: string): { outputName: string; epoch: number; promptIndex: number; timestamp: string; seed?: number } | undefined {
  const m = SAMPLE_NAME.exec(name);
  if (!m) return undefined;
  return { outputName: m[1] as string, epoch: Number(m[2]), promptIndex: Number(m[3]), timestamp: m[4] as string, ...(m[5] ? { seed: Number(m[5]) } : {}) };
}

export function parseCheckpointFileName(name: string): { outputName: string; epoch?: number } | undefined {
  if (/-step\d{8}\.safetensors$/.test(name)) return undefined;
  const m = CHECKPOINT_NAME.exec(name);
  if (!m || !m[1]) return undefined;
  return { outputName: m[1], ...(m[2] ? { epoch: Number(m[2]) } : {}) };
}

/** Loss per step from metrics.jsonl, or from the engine's progress bars in log.txt. */
export function parseLossFromMetrics(text: string): LossPoint[] {
  const out: LossPoint[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const m = JSON.parse(line) as { kind?: string; step?: number; epoch?: number; loss?: number | null };
      if (m.kind === undefined && typeof m.step === 'number' && typeof m.loss === 'number') out.push({ step: m.step, loss: m.loss, ...(typeof m.epoch === 'number' ? { epoch: m.epoch } : {}) });
    } catch {
      /* a torn last line after a crash */
    }
  }
  return dedupeBySteps(out);
}

/** tqdm lines: `steps:  50%|...| 6/12 [05:10<05:10, 51.82s/it, avr_loss=1.08]` (sd-scripts.md 6.2). */
export function parseLossFromLog(text: string): LossPoint[] {
  const out: LossPoint[] = [];
  for (const m of text.matchAll(/(\d+)\/(\d+) \[[^\]]*?avr_loss=([\d.eE+-]+)\]/g)) out.push({ step: Number(m[1]), loss: Number(m[3]) });
  return dedupeBySteps(out.filter((p) => Number.isFinite(p.loss)));
}

function dedupeBySteps(points: LossPoint[]): LossPoint[] {
  const byStep = new Map<number, LossPoint>();
  for (const p of points) byStep.set(p.step, p);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** The run to evaluate: the one named, else the newest that has samples. */
export async function readEvalRun(paths: ProjectPaths, fallbackName: string, id?: string): Promise<EvalRun> {
  const ids = await listRunIdsForEval(paths);
  if (ids.length === 0) {
    throw evalErrors.create('EVAL_NO_RUNS', `${paths.root} has no training runs (no folders in ${paths.runsDir}).`, `Train first: tack train ${paths.root}`);
  }
  if (id !== undefined) {
    if (!ids.includes(id)) {
      throw evalErrors.create('EVAL_RUN_NOT_FOUND', `Run "${id}" does not exist in ${paths.runsDir}.`, `Runs: ${ids.slice(-5).join(', ')}.`, { details: { run: id, runs: ids } });
    }
    return readRunFolder(path.join(paths.runsDir, id), fallbackName);
  }
  for (const candidate of [...ids].reverse()) {
    const run = await readRunFolder(path.join(paths.runsDir, candidate), fallbackName);
    if (run.samples.length > 0) return run;
  }
  return readRunFolder(path.join(paths.runsDir, ids[ids.length - 1] as string), fallbackName);
}

export async function readRunFolder(dir: string, fallbackName: string): Promise<EvalRun> {
  const id = path.basename(dir);
  const meta = await readJson<RunJson>(path.join(dir, 'run.json'), {}).catch(() => ({}) as RunJson);
  const outputDir = path.join(dir, 'output');
  const sampleNames = await listDir(path.join(outputDir, 'sample'));
  const outputNames = await listDir(outputDir);
  const outputName = meta.outputName ?? guessOutputName(sampleNames, outputNames) ?? fallbackName;

  const samples: EvalSample[] = [];
  for (const name of sampleNames) {
    const parsed = parseSampleFileName(name);
    if (!parsed || parsed.outputName !== outputName) continue;
    samples.push({ epoch: parsed.epoch, promptIndex: parsed.promptIndex, timestamp: parsed.timestamp, ...(parsed.seed !== undefined ? { seed: parsed.seed } : {}), file: path.join(outputDir, 'sample', name) });
  }
  // A resumed run may render an epoch twice: keep the newest image per (epoch, prompt).
  const newest = new Map<string, EvalSample>();
  for (const s of samples.sort((a, b) => a.timestamp.localeCompare(b.timestamp))) newest.set(`${s.epoch}:${s.promptIndex}`, s);
  const finalSamples = [...newest.values()].sort((a, b) => a.epoch - b.epoch || a.promptIndex - b.promptIndex);

  const checkpoints: EvalCheckpoint[] = [];
  let finalFile: string | undefined;
  for (const name of outputNames) {
    const parsed = parseCheckpointFileName(name);
    if (!parsed || parsed.outputName !== outputName) continue;
    if (parsed.epoch === undefined) finalFile = path.join(outputDir, name);
    else checkpoints.push({ epoch: parsed.epoch, final: false, file: path.join(outputDir, name) });
  }
  if (finalFile) {
    const lastSaved = Math.max(0, ...checkpoints.map((c) => c.epoch));
    const lastSampled = Math.max(0, ...finalSamples.map((s) => s.epoch));
    checkpoints.push({ epoch: meta.plan?.epochs ?? Math.max(lastSaved + 1, lastSampled), final: true, file: finalFile });
  }
  checkpoints.sort((a, b) => a.epoch - b.epoch);

  const promptsText = await fsp.readFile(path.join(dir, 'config', 'sample_prompts.txt'), 'utf8').catch(() => '');
  const metricsText = await fsp.readFile(path.join(dir, 'metrics.jsonl'), 'utf8').catch(() => '');
  let loss = parseLossFromMetrics(metricsText);
  if (loss.length === 0) loss = parseLossFromLog(await fsp.readFile(path.join(dir, 'log.txt'), 'utf8').catch(() => ''));
  const preset = typeof meta.preset === 'string' ? meta.preset : meta.preset?.name;
  return {
    id,
    dir,
    status: meta.status ?? 'unknown',
    outputName,
    ...(meta.createdAt ? { createdAt: meta.createdAt } : {}),
    ...(preset ? { preset } : {}),
    ...(meta.baseModel ? { baseModel: meta.baseModel } : {}),
    ...(meta.plan?.epochs ? { plannedEpochs: meta.plan.epochs } : {}),
    ...(meta.plan?.totalSteps ? { totalSteps: meta.plan.totalSteps } : {}),
    checkpoints,
    samples: finalSamples,
    prompts: parseSdScriptsPromptFile(promptsText),
    loss,
    evaluationDir: path.join(dir, 'evaluation'),
  };
}

function guessOutputName(sampleNames: readonly string[], outputNames: readonly string[]): string | undefined {
  for (const name of sampleNames) {
    const parsed = parseSampleFileName(name);
    if (parsed) return parsed.outputName;
  }
  const finals = outputNames.map(parseCheckpointFileName).filter((p) => p && p.epoch === undefined);
  return finals[0]?.outputName;
}

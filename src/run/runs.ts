/**
 * Reading runs back: `tack runs`, `tack runs <project> show <id>`, and the evaluation area,
 * which needs every epoch's checkpoint and every sample image by epoch and prompt index.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { readJson } from '../core/index.js';
import { parseCheckpointName, parseSampleName } from '../engine/index.js';
import type { ProjectPaths } from '../project/index.js';
import { runErrors } from './errors.js';
import type { RunOutcome } from './outcome.js';
import { effectiveStatus, isRunId, listRunIds, readRunMeta, runPaths, writeRunMeta, type RunMeta, type RunPaths, type RunStatus } from './run-folder.js';

export interface RunCheckpoint {
  /** The epoch it was saved after; the final file has the last epoch. */
  readonly epoch: number;
  readonly final: boolean;
  /** Absolute path. */
  readonly file: string;
  readonly sizeBytes: number;
}

export interface RunSample {
  readonly epoch: number;
  readonly promptIndex: number;
  readonly seed?: number;
  /** The engine's time stamp YYYYmmddHHMMSS. */
  readonly timestamp: string;
  readonly file: string;
}

export interface RunRecord {
  readonly id: string;
  readonly paths: RunPaths;
  readonly meta: RunMeta;
  /** run.json's status, with a dead supervisor's "running" turned into "interrupted". */
  readonly status: RunStatus;
  readonly outcome?: RunOutcome;
  /** Sorted by epoch (the final file last). */
  readonly checkpoints: readonly RunCheckpoint[];
  /** Sorted by epoch, then prompt index. */
  readonly samples: readonly RunSample[];
}

export interface MetricsLine {
  readonly time: string;
  readonly kind?: string;
  readonly step?: number;
  readonly totalSteps?: number;
  readonly epoch?: number;
  readonly loss?: number | null;
  readonly itPerSec?: number | null;
  readonly [key: string]: unknown;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch {
    return [];
  }
}

/** One run with its checkpoints and samples. */
export async function readRun(paths: ProjectPaths, id: string): Promise<RunRecord> {
  if (!isRunId(id)) throw runErrors.create('RUN_NOT_FOUND', `"${id}" is not a run id (they look like 20260301-120000).`, 'List the runs with tack runs <project>.');
  const run = runPaths(paths, id);
  try {
    await fsp.access(run.dir);
  } catch {
    const ids = await listRunIds(paths);
    throw runErrors.create('RUN_NOT_FOUND', `Run ${id} does not exist in ${paths.runsDir}.`, ids.length ? `Runs: ${ids.slice(-5).join(', ')} (tack runs <project>).` : 'There are no runs yet: tack train <project>.', { details: { run: id } });
  }
  const meta = await readRunMeta(run, id);
  const outcome = (await readJson<RunOutcome | null>(run.outcomeFile, null).catch(() => null)) ?? meta.outcome;
  const checkpoints: RunCheckpoint[] = [];
  for (const name of await listDir(run.outputDir)) {
    const parsed = parseCheckpointName(meta.outputName, name);
    if (!parsed) continue;
    const file = path.join(run.outputDir, name);
    const stat = await fsp.stat(file).catch(() => undefined);
    if (!stat?.isFile()) continue;
    checkpoints.push({ epoch: parsed.epoch ?? meta.plan.epochs, final: parsed.final, file, sizeBytes: stat.size });
  }
  checkpoints.sort((a, b) => a.epoch - b.epoch || Number(a.final) - Number(b.final));
  const samples: RunSample[] = [];
  for (const name of await listDir(run.sampleDir)) {
    const parsed = parseSampleName(meta.outputName, name);
    if (parsed) samples.push({ ...parsed, file: path.join(run.sampleDir, name) });
  }
  samples.sort((a, b) => a.epoch - b.epoch || a.promptIndex - b.promptIndex || a.timestamp.localeCompare(b.timestamp));
  return { id, paths: run, meta, status: effectiveStatus(meta), ...(outcome ? { outcome } : {}), checkpoints, samples };
}

/** Every run of the project, oldest first. Damaged folders are skipped. */
export async function listRuns(paths: ProjectPaths): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  for (const id of await listRunIds(paths)) {
    try {
      out.push(await readRun(paths, id));
    } catch {
      /* a damaged or half-created folder: not a run */
    }
  }
  return out;
}

/** The run's metrics.jsonl (a torn last line after a crash is skipped). */
export async function readRunMetrics(paths: ProjectPaths, id: string): Promise<MetricsLine[]> {
  let text: string;
  try {
    text = await fsp.readFile(runPaths(paths, id).metricsFile, 'utf8');
  } catch {
    return [];
  }
  const out: MetricsLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as MetricsLine);
    } catch {
      /* torn line */
    }
  }
  return out;
}

/** Writes "interrupted" into run.json of runs whose supervisor died, so they stop saying "running". */
export async function markInterruptedRuns(paths: ProjectPaths, projectArg: string): Promise<string[]> {
  const marked: string[] = [];
  for (const record of await listRuns(paths)) {
    if (record.meta.status === 'running' && record.status === 'interrupted' && !record.meta.remote) {
      // run.json's progress is only as fresh as the last heartbeat; metrics.jsonl has every step.
      const metrics = await readRunMetrics(paths, record.id);
      const last = metrics.filter((m) => m.kind === undefined && typeof m.step === 'number').at(-1);
      const progress = last && record.meta.progress ? { ...record.meta.progress, step: last.step as number, loss: (last.loss as number | null) ?? record.meta.progress.loss } : record.meta.progress;
      const startedAt = record.meta.attempts.at(-1)?.startedAt ?? record.meta.createdAt;
      const endedAt = metrics.at(-1)?.time ?? record.meta.supervisor?.heartbeatAt ?? startedAt;
      const at = progress ? ` at step ${progress.step}/${progress.totalSteps}` : '';
      await writeRunMeta(record.paths, {
        ...record.meta,
        status: 'interrupted',
        ...(progress ? { progress } : {}),
        outcome: {
          kind: 'interrupted',
          message: `The supervising tack process (pid ${record.meta.supervisor?.pid}) stopped without finishing the run${at}; ${record.checkpoints.length} checkpoint(s) were saved.`,
          hint: `Continue with: tack train ${projectArg} --resume`,
          startedAt,
          endedAt,
          durationMs: Math.max(0, Date.parse(endedAt) - Date.parse(startedAt)),
          steps: { done: progress?.step ?? 0, total: record.meta.plan.totalSteps },
          finalLoss: progress?.loss ?? null,
        },
      });
      marked.push(record.id);
    }
  }
  return marked;
}

/**
 * The run folder is the source of truth for one training run, and the contract with the
 * evaluation area (sample scoring and reports read it):
 *
 *   runs/<id>/                 id = YYYYMMDD-HHMMSS (local time), -2, -3 ... on collision
 *     run.json                 id, project, createdAt, status, preset, plan, outcome, supervisor
 *     config/dataset.toml      --dataset_config
 *     config/args.toml         --config_file
 *     config/sample_prompts.txt
 *     command.json             argv, cwd, env additions of the last launch
 *     log.txt                  everything the engine printed (all attempts)
 *     metrics.jsonl            one JSON object per progress update and per event ("kind")
 *     outcome.json             the typed outcome of the last attempt
 *     output/                  the engine's --output_dir: <name>-000001.safetensors ... <name>.safetensors,
 *                              sample/<name>_e000001_00_<timestamp>_<seed>.png, <name>-000001-state/
 *
 * A run whose status says "running" is only believed while its supervisor (the tack process
 * that launched it) is alive and keeps its heartbeat fresh; otherwise it is "interrupted".
 * A remote run (run.json "remote") is supervised on the remote, where it goes on while no tack
 * here follows it: only the remote can say whether it still runs (src/remote asks it).
 */
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readJson, writeJsonAtomic } from '../core/index.js';
import type { TrainDevice, TrainSettings } from '../engine/index.js';
import { isProcessAlive } from '../io/index.js';
import type { ProjectPaths } from '../project/index.js';
import { runErrors } from './errors.js';
import type { RunOutcome } from './outcome.js';

export type RunStatus = 'prepared' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface RunPlanSummary {
  readonly images: number;
  readonly repeats: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly gradientAccumulationSteps: number;
  readonly numProcesses: number;
  /** The engine's own count ("total optimization steps"). */
  readonly totalSteps: number;
  readonly stepsPerEpoch: number;
  readonly batchesPerEpoch: number;
  /** The recipe's formula images x repeats x epochs / batch (no per-bucket rounding). */
  readonly recipeSteps: number;
}

export interface RunProgress {
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number;
  readonly totalEpochs: number;
  readonly loss: number | null;
  readonly itPerSec: number | null;
  readonly phase: string;
}

export interface RunAttempt {
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly resumedFrom?: string;
  /** Steps done before this attempt (its progress bar restarts at 0). */
  readonly stepOffset?: number;
  readonly outcome?: RunOutcome['kind'];
}

/** Where a remote run lives (absent for runs on this machine). */
export interface RunRemote {
  /** The remote's name (tack remote list). */
  readonly name: string;
  /** The ssh target it was reached at. */
  readonly target: string;
  /** The remote machine's own host name. */
  readonly hostname: string;
  /** The project's folder there (absolute). */
  readonly projectDir: string;
  /** The run's folder there (absolute). */
  readonly runDir: string;
}

export interface RunMeta {
  readonly version: 1;
  readonly id: string;
  readonly project: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly status: RunStatus;
  readonly outputName: string;
  readonly preset: { readonly name: string; readonly gpuProfile: string; readonly settings: TrainSettings };
  /** Where it trains (runs from before devices existed: absent, meaning cuda). */
  readonly device?: TrainDevice;
  readonly plan: RunPlanSummary;
  readonly engine: { readonly name: string; readonly dir?: string; readonly commit?: string; readonly python?: string };
  readonly baseModel: string;
  readonly supervisor?: { readonly pid: number; readonly hostname: string; readonly startedAt: string; readonly heartbeatAt: string };
  readonly trainer?: { readonly pid: number };
  readonly progress?: RunProgress;
  readonly attempts: readonly RunAttempt[];
  readonly outcome?: RunOutcome;
  readonly remote?: RunRemote;
  /** A run trained elsewhere from a bundle (tack export --bundle) and brought in with tack runs import. */
  readonly importedFrom?: { readonly source: string; readonly bundleId?: string; readonly importedAt: string };
}

export interface RunPaths {
  readonly dir: string;
  readonly runFile: string;
  readonly configDir: string;
  readonly datasetToml: string;
  readonly argsToml: string;
  readonly samplePrompts: string;
  readonly commandFile: string;
  readonly logFile: string;
  readonly metricsFile: string;
  readonly outcomeFile: string;
  readonly outputDir: string;
  readonly sampleDir: string;
}

export function runPaths(paths: ProjectPaths, id: string): RunPaths {
  return runFolderLayout(path.join(paths.runsDir, id));
}

/** The files of a run folder at `dir`; `p` = path.posix for a run folder on a remote. */
export function runFolderLayout(dir: string, p: path.PlatformPath = path): RunPaths {
  const configDir = p.join(dir, 'config');
  const outputDir = p.join(dir, 'output');
  return {
    dir,
    runFile: p.join(dir, 'run.json'),
    configDir,
    datasetToml: p.join(configDir, 'dataset.toml'),
    argsToml: p.join(configDir, 'args.toml'),
    samplePrompts: p.join(configDir, 'sample_prompts.txt'),
    commandFile: p.join(dir, 'command.json'),
    logFile: p.join(dir, 'log.txt'),
    metricsFile: p.join(dir, 'metrics.jsonl'),
    outcomeFile: p.join(dir, 'outcome.json'),
    outputDir,
    sampleDir: p.join(outputDir, 'sample'),
  };
}

const ID_PATTERN = /^\d{8}-\d{6}(-\d+)?$/;

export function isRunId(id: string): boolean {
  return ID_PATTERN.test(id);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function formatRunId(date: Date): string {
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/** Creates runs/<id>/ (mkdir is the lock: two launches in one second get -2, -3 ...). */
export async function createRunFolder(paths: ProjectPaths, now = new Date()): Promise<{ id: string; paths: RunPaths }> {
  await fsp.mkdir(paths.runsDir, { recursive: true });
  const base = formatRunId(now);
  for (let n = 1; n < 1000; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    try {
      await fsp.mkdir(path.join(paths.runsDir, id));
      return { id, paths: runPaths(paths, id) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`could not create a run folder under ${paths.runsDir}`);
}

export async function writeRunMeta(run: RunPaths, meta: RunMeta): Promise<void> {
  await writeJsonAtomic(run.runFile, { ...meta, updatedAt: new Date().toISOString() });
}

export async function readRunMeta(run: RunPaths, id: string): Promise<RunMeta> {
  const meta = await readJson<RunMeta | null>(run.runFile, null);
  if (!meta || meta.id !== id) {
    throw runErrors.create('RUN_BAD_FOLDER', `${run.dir} has no readable run.json.`, 'The run folder was damaged or copied by hand; it cannot be used. Delete it if it holds nothing you need.', { details: { folder: run.dir } });
  }
  return meta;
}

/** The runs of the project whose run.json can be read, oldest first (damaged folders are skipped). */
export async function listRunMetas(paths: ProjectPaths): Promise<Array<{ readonly id: string; readonly meta: RunMeta }>> {
  const out: Array<{ id: string; meta: RunMeta }> = [];
  for (const id of await listRunIds(paths)) {
    const meta = await readRunMeta(runPaths(paths, id), id).catch(() => undefined);
    if (meta) out.push({ id, meta });
  }
  return out;
}

/** How long a heartbeat stays fresh; the supervisor writes one every 10 s. */
export const HEARTBEAT_STALE_MS = 120_000;

/**
 * The status to believe: "running" only while the supervisor lives (same machine: its pid
 * exists) and its heartbeat is fresh. A supervisor killed with kill -9 leaves "running" in
 * run.json; this turns it into "interrupted".
 */
export function effectiveStatus(meta: RunMeta, now = Date.now()): RunStatus {
  if (meta.status !== 'running' || meta.remote) return meta.status;
  const sup = meta.supervisor;
  if (!sup) return 'interrupted';
  const fresh = now - Date.parse(sup.heartbeatAt) < HEARTBEAT_STALE_MS;
  if (sup.hostname === os.hostname()) return fresh && isProcessAlive(sup.pid) ? 'running' : 'interrupted';
  return fresh ? 'running' : 'interrupted';
}

export async function listRunIds(paths: ProjectPaths): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(paths.runsDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  // 20260301-120000 < 20260301-120000-2 < 20260301-120000-10: by time, then by suffix.
  const suffix = (id: string) => Number(id.split('-')[2] ?? 1);
  return names.filter(isRunId).sort((a, b) => a.slice(0, 15).localeCompare(b.slice(0, 15)) || suffix(a) - suffix(b));
}

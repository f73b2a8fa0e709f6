/**
 * Helpers for the real-engine tier (test/engine/*.engine.ts, `npm run test:engine`). The engine
 * comes only from the environment: TACK_TEST_SD_SCRIPTS (the sd-scripts checkout),
 * TACK_TEST_PYTHON (its Python), TACK_TEST_BASE_MODEL (an SDXL checkpoint), and optionally
 * TACK_TEST_TOKENIZER_CACHE and TACK_ENGINE_DIR (the folder with the engine's check-only
 * driver). A real run loads the whole SDXL model (about 16 GB of RAM), so each waits until that
 * much is free, has a time limit, and never outlives its test: on a timeout tack gets SIGINT
 * (it stops the trainer gracefully), then every process of the test's folder is killed with
 * its whole process group.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runTack, TACK_BIN } from '../helpers/cli.js';
import { editConfig, processesMentioning } from '../helpers/fake-engine.js';
import { facePhoto } from '../helpers/faces.js';

export interface RealEngine {
  readonly sdScripts: string;
  readonly python: string;
  readonly baseModel: string;
  readonly tokenizerCache?: string;
  /** The engine folder with check_config.py (its check-only driver), when the environment names it. */
  readonly engineDir?: string;
}

/** The engine the environment names, or why there is none (the runner skips the tier then). */
export function realEngine(): RealEngine {
  const e = process.env;
  if (!e.TACK_TEST_SD_SCRIPTS || !e.TACK_TEST_PYTHON || !e.TACK_TEST_BASE_MODEL) throw new Error('the real-engine tier needs TACK_TEST_SD_SCRIPTS, TACK_TEST_PYTHON and TACK_TEST_BASE_MODEL (npm run test:engine says how to set them)');
  return {
    sdScripts: e.TACK_TEST_SD_SCRIPTS,
    python: e.TACK_TEST_PYTHON,
    baseModel: e.TACK_TEST_BASE_MODEL,
    ...(e.TACK_TEST_TOKENIZER_CACHE ? { tokenizerCache: e.TACK_TEST_TOKENIZER_CACHE } : {}),
    ...(e.TACK_ENGINE_DIR ? { engineDir: e.TACK_ENGINE_DIR } : {}),
  };
}

/** The environment of a tack process using the real engine, with tack's user folders inside `home`. */
export function realEngineEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const engine = realEngine();
  return { TACK_SD_SCRIPTS: engine.sdScripts, TACK_PYTHON: engine.python, TACK_CONFIG_DIR: path.join(home, 'config'), TACK_DATA_DIR: path.join(home, 'data'), ...extra };
}

/** Memory a run that loads SDXL needs (15.5 GB peak measured) plus a margin. */
export const RUN_MEMORY_BYTES = 16 * 1024 ** 3;

async function availableBytes(): Promise<number> {
  const info = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  const kib = /MemAvailable:\s+(\d+) kB/.exec(info)?.[1];
  return kib ? Number(kib) * 1024 : Number.POSITIVE_INFINITY;
}

/** Waits until the machine has room for a real run (other work may be using the memory). */
export async function waitForMemory(bytes = RUN_MEMORY_BYTES, timeoutMs = 20 * 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let free = await availableBytes();
  while (free < bytes) {
    if (Date.now() > until) throw new Error(`only ${(free / 1024 ** 3).toFixed(1)} GiB of memory stayed available for ${timeoutMs / 60_000} min; a real run needs ${(bytes / 1024 ** 3).toFixed(0)} GiB`);
    await new Promise((r) => setTimeout(r, 10_000));
    free = await availableBytes();
  }
}

export interface EngineProjectOptions {
  readonly batchSize?: number;
  readonly epochs?: number;
  readonly train?: Record<string, unknown>;
  readonly preset?: string;
}

/**
 * A project of two public-domain face photos (person A), trained at 256 px: 1 repeat, 2 epochs,
 * rank 1, one sample prompt rendered at 64x64 in 1 step, so a run costs minutes on a CPU.
 */
export async function makeEngineProject(root: string, name: string, options: EngineProjectOptions = {}): Promise<string> {
  const engine = realEngine();
  const dir = path.join(root, name);
  const env = realEngineEnv(root);
  const init = await runTack(['init', dir, '--token', 'xanrms', '--class', 'woman', '--captioner', 'none', '--base-model', engine.baseModel], { env });
  if (init.code !== 0) throw new Error(`tack init failed: ${init.stderr}`);
  const add = await runTack(['add', dir, facePhoto('person-a-1'), facePhoto('person-a-2')], { env });
  if (add.code !== 0) throw new Error(`tack add failed: ${add.stderr}`);
  await editConfig(dir, (c) => {
    if (options.preset) c.preset = options.preset;
    c.plan = { ...(c.plan as object), repeats: 1, epochs: options.epochs ?? 2, batch_size: options.batchSize ?? 1, target_image_repeats: 2, target_steps: 4 };
    c.buckets = { ...(c.buckets as object), resolution: 256 };
    // Without a Hugging Face cache holding the CLIP tokenizers, the engine is told where they are.
    const tokenizer = !process.env.HF_HOME && engine.tokenizerCache ? { extra_args: [`tokenizer_cache_dir=${engine.tokenizerCache}`] } : {};
    c.train = { ...(c.train as object), network_dim: 1, stop_grace_seconds: 120, stall_timeout_minutes: 20, ...tokenizer, ...(options.train ?? {}) };
    c.samples = { ...(c.samples as object), prompts: ['{trigger} {class}, portrait, looking at viewer'], seeds: [7], width: 64, height: 64, steps: 1, sampler: 'euler_a' };
  });
  return dir;
}

export interface LiveRun {
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }>;
  output(): string;
  /** Ctrl-C, as a user presses it (SIGINT to tack alone: tack stops the trainer itself). */
  interrupt(): void;
}

/**
 * Starts the built CLI in its own process group. After `timeoutMs` it gets SIGINT, and 2
 * minutes later everything under `root` is killed (tack, the trainer, the generation script).
 */
export function startRealTack(args: readonly string[], options: { env: NodeJS.ProcessEnv; root: string; timeoutMs: number; cwd?: string }): LiveRun {
  const child = spawn(process.execPath, [TACK_BIN, ...args], { cwd: options.cwd ?? options.root, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let killTimer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGINT');
    killTimer = setTimeout(() => void killEverythingUnder(options.root), 120_000);
  }, options.timeoutMs);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
  return { done, output: () => stdout + stderr, interrupt: () => child.kill('SIGINT') };
}

/** Runs the built CLI to its end (see startRealTack for the time limit). */
export function runRealTack(args: readonly string[], options: { env: NodeJS.ProcessEnv; root: string; timeoutMs: number; cwd?: string }) {
  return startRealTack(args, options).done;
}

async function processGroupOf(pid: number | 'self'): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

/** SIGKILL to the process group of every process whose command line names `root` (never the test's own group). */
export async function killEverythingUnder(root: string): Promise<number> {
  const own = await processGroupOf('self').catch(() => -1);
  let killed = 0;
  for (const pid of await processesMentioning(root)) {
    if (pid === process.pid) continue;
    try {
      const pgid = await processGroupOf(pid);
      process.kill(pgid > 1 && pgid !== own ? -pgid : pid, 'SIGKILL');
      killed++;
    } catch {
      /* already gone */
    }
  }
  return killed;
}

/** The lines of a run's log that tell how far it got (for failure messages). */
export async function logTail(runDir: string, lines = 30): Promise<string> {
  return (await readFile(path.join(runDir, 'log.txt'), 'utf8').catch(() => '(no log.txt)')).split(/\r?\n|\r/).filter(Boolean).slice(-lines).join('\n');
}

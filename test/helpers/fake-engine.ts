/**
 * Test helpers for training: the fake sd-scripts in test/fixtures/fake-sd-scripts (its venv
 * python sees fake accelerate/torch packages; FAKE_GPUS decides which GPUs torch reports), a
 * base model file whose safetensors header has the real SDXL layout (its data is a sparse
 * hole, so it takes no disk space), and a ready project made through the real CLI.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cp, open, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { parse, stringify } from 'smol-toml';
import { REPO_ROOT, runTack, TACK_BIN } from './cli.js';
import { writeJpeg } from './images.js';

export const FAKE_SD_SCRIPTS = path.join(REPO_ROOT, 'test', 'fixtures', 'fake-sd-scripts');
export const RTX_4090 = 'NVIDIA GeForce RTX 4090:24564';

/** Environment for a CLI run against the fake engine, with tack's user folders inside `home`. */
export function fakeEngineEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    TACK_SD_SCRIPTS: FAKE_SD_SCRIPTS,
    FAKE_GPUS: RTX_4090,
    FAKE_SD_SCRIPTS_STEP_SECONDS: '0.002',
    TACK_CONFIG_DIR: path.join(home, 'config'),
    TACK_DATA_DIR: path.join(home, 'data'),
    TACK_PYTHON: '',
    ...extra,
  };
}

/** A file with a real SDXL checkpoint header (SAI layout, as sd-scripts saves it) and no real weights. */
export async function writeFakeSdxlModel(file: string, kind: 'sdxl' | 'sd1' = 'sdxl'): Promise<void> {
  const tensors: Array<[string, number[]]> =
    kind === 'sdxl'
      ? [
          ['conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight', [49408, 768]],
          ['conditioner.embedders.1.model.token_embedding', [49408, 1280]],
          ['first_stage_model.encoder.conv_in.weight', [128, 3, 3, 3]],
          ['model.diffusion_model.input_blocks.0.0.weight', [320, 4, 3, 3]],
          ['model.diffusion_model.label_emb.0.0.weight', [1280, 2816]],
        ]
      : [
          ['cond_stage_model.transformer.text_model.embeddings.token_embedding.weight', [49408, 768]],
          ['model.diffusion_model.input_blocks.0.0.weight', [320, 4, 3, 3]],
        ];
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, shape] of tensors) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 2;
    header[name] = { dtype: 'F16', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const handle = await open(file, 'w');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  await handle.write(length);
  await handle.write(json);
  await handle.truncate(8 + json.length + offset);
  await handle.close();
}

export interface TrainingProjectOptions {
  readonly photos?: number;
  /** Import these files instead of generated photos. */
  readonly photoFiles?: readonly string[];
  /** Extra [train] keys (network_dim defaults to 1 so the fake's LoRA files stay a few MB). */
  readonly train?: Record<string, unknown>;
  readonly plan?: Record<string, unknown>;
  readonly baseModel?: string | null;
  readonly env?: NodeJS.ProcessEnv;
}

/** Edits tack.toml like a user would (the file is re-validated by every command). */
export async function editConfig(projectDir: string, edit: (config: Record<string, Record<string, unknown> | unknown>) => void): Promise<void> {
  const file = path.join(projectDir, 'tack.toml');
  const config = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(config);
  await writeFile(file, stringify(config));
}

/**
 * A project with `photos` photos, a fake SDXL base model and small settings: rank 1, a short
 * plan (2 repeats, about 12 steps at batch 2) and 64x64 samples.
 */
export async function makeTrainingProject(root: string, name = 'proj', options: TrainingProjectOptions = {}): Promise<string> {
  const dir = path.join(root, name);
  const init = await runTack(['init', dir, '--token', 'xanrms', '--class', 'woman'], { env: options.env ?? {} });
  if (init.code !== 0) throw new Error(`tack init failed: ${init.stderr}`);
  const photos: string[] = [...(options.photoFiles ?? [])];
  for (let i = 0; i < (options.photoFiles ? 0 : (options.photos ?? 4)); i++) {
    const file = path.join(root, `photo-${name}-${i}.jpg`);
    await writeJpeg(file, i % 2 ? 640 : 512, i % 2 ? 512 : 640, { seed: i + 11 });
    photos.push(file);
  }
  const add = await runTack(['add', dir, ...photos], { env: options.env ?? {} });
  if (add.code !== 0) throw new Error(`tack add failed: ${add.stderr}`);
  const model = path.join(root, 'sdxl-base.safetensors');
  if (options.baseModel === undefined) await writeFakeSdxlModel(model);
  await editConfig(dir, (c) => {
    if (options.baseModel !== null) c.base_model = options.baseModel ?? model;
    c.plan = { ...(c.plan as object), target_image_repeats: 8, target_steps: 12, ...(options.plan ?? {}) };
    c.train = { ...(c.train as object), network_dim: 1, stop_grace_seconds: 2, ...(options.train ?? {}) };
    c.samples = { ...(c.samples as object), width: 64, height: 64, seeds: [7] };
  });
  return dir;
}

export interface LiveTack {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  output(): string;
}

/** Starts the built CLI and returns at once (for tests that signal or kill it mid-run). */
export function startTack(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): LiveTack {
  const child = spawn(process.execPath, [TACK_BIN, ...args], { cwd: options.cwd ?? REPO_ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, output: () => stdout + stderr };
}

/** Polls until `check` is true (or fails the test after `timeoutMs`). */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The "resumed twice" scenario, on a project named "twice" of 3 epochs of 4 steps: runs
 * `tack <args>` and stops it with Ctrl-C once the state of `epoch` is completely saved in the
 * output folder that `outputDir` names (undefined while it is not known yet).
 */
export async function interruptAfterSavedState(args: readonly string[], env: NodeJS.ProcessEnv, epoch: number, outputDir: () => Promise<string | undefined>): Promise<Awaited<LiveTack['done']>> {
  const live = startTack(args, { env });
  await waitFor(async () => {
    const output = await outputDir();
    // random_states_0.pkl is the last file of a saved state (src/run/resume.ts).
    return Boolean(output) && (await readFile(path.join(output as string, `twice-00000${epoch}-state`, 'random_states_0.pkl')).then(() => true, () => false));
  }, 60_000, `the state saved after epoch ${epoch}`);
  live.child.kill('SIGINT');
  return live.done;
}

/**
 * The last step of the "resumed twice" scenario: `tack train --resume` continues from epoch 2's
 * state, finishes all 12 steps and trains epoch 3 only (the run's log, in `runDir`, says so).
 */
export async function assertSecondResumeTrainsLastEpoch(project: string, runDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const again = await runTack(['train', project, '--resume', '--json'], { env });
  assert.equal(again.code, 0, again.stderr);
  const doc = JSON.parse(again.stdout) as { stepOffset: number; resumedFrom: string; outcome: { kind: string; steps: { done: number; total: number } } };
  assert.equal(doc.stepOffset, 8, 'epoch 2 of 4 steps each: 8 steps done');
  assert.match(doc.resumedFrom, /twice-000002-state$/);
  assert.deepEqual(doc.outcome.steps, { done: 12, total: 12 });
  const log = await readFile(path.join(runDir, 'log.txt'), 'utf8');
  const lastAttempt = log.slice(log.lastIndexOf('==== tack: resumed'));
  assert.match(lastAttempt, /epoch 3\/3/);
  assert.doesNotMatch(lastAttempt, /epoch 2\/3/, 'epoch 2 is not trained again');
}

/** Pids of processes whose command line mentions `needle` (Linux /proc). */
export async function processesMentioning(needle: string): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replace(/\0/g, ' ');
      if (cmd.includes(needle)) out.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** A git repository holding the fake sd-scripts (without its venv), as `tack engine install --repo` clones it. */
export async function makeFakeSdScriptsRepo(repo: string): Promise<{ repo: string; commit: string }> {
  await cp(FAKE_SD_SCRIPTS, repo, { recursive: true, filter: (src) => !src.includes(`${path.sep}venv`) && !src.includes(`${path.sep}site`) });
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], { cwd: repo, encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'fake sd-scripts');
  return { repo, commit: git('rev-parse', 'HEAD') };
}

/** A package index on loopback: pip needs no download for an empty requirements.txt, but the install checks that an index answers. */
export async function startPipIndex(): Promise<{ url: string; close: () => void }> {
  const index = http.createServer((_req, res) => res.end('<html></html>'));
  await new Promise<void>((resolve) => index.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(index.address() as { port: number }).port}/simple`, close: () => index.close() };
}

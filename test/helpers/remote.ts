/**
 * Remote-training test helpers: a "remote" is a loopback sshd (helpers/sshd.ts) on which the
 * fake trainer runs, added to tack with `tack remote add` like a user would, its tack folder
 * inside the server's temp folder. Each remote gets its own environment for engine processes
 * (--env: the fake GPUs, the trainer's pace and failure mode).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { runTack } from './cli.js';
import { editConfig, FAKE_SD_SCRIPTS, fakeEngineEnv, RTX_4090, waitFor } from './fake-engine.js';
import type { TestSshd } from './sshd.js';

export interface AddRemoteOptions {
  /** Variables for engine processes there (FAKE_GPUS, FAKE_SD_SCRIPTS_STEP_SECONDS ...). */
  readonly env?: Record<string, string>;
  readonly transfer?: 'auto' | 'rsync' | 'tar';
  readonly extraArgs?: readonly string[];
  /** tack's folder there (default remoteRoot(sshd)). */
  readonly dir?: string;
}

/** The environment for tack in these tests: the fake engine's folders and the server's ssh config. */
export function remoteTestEnv(root: string, sshd: TestSshd, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...fakeEngineEnv(root), ...sshd.env(), ...extra };
}

/** tack's folder on the remote (inside the server's temp folder, so the test cleans it up). */
export function remoteRoot(sshd: TestSshd): string {
  return path.join(sshd.dir, 'root');
}

/** `tack remote add <name>` for the server, with the fake engine there. */
export async function addRemote(root: string, sshd: TestSshd, name: string, options: AddRemoteOptions = {}): Promise<void> {
  const env = { FAKE_GPUS: RTX_4090, FAKE_SD_SCRIPTS_STEP_SECONDS: '0.02', ...(options.env ?? {}) };
  const args = ['remote', 'add', name, sshd.target, '--dir', options.dir ?? remoteRoot(sshd), '--sd-scripts', FAKE_SD_SCRIPTS, '--replace', ...Object.entries(env).map(([k, v]) => `--env=${k}=${v}`), ...(options.transfer ? ['--transfer', options.transfer] : []), ...(options.extraArgs ?? [])];
  const result = await runTack(args, { env: remoteTestEnv(root, sshd) });
  if (result.code !== 0) throw new Error(`tack remote add failed: ${result.stderr}`);
}

/** Points the project's [remote] base_model at the fake model (the remote is this machine). */
export async function useLocalModelThere(project: string): Promise<void> {
  await editConfig(project, (c) => {
    c.remote = { ...((c.remote as object) ?? {}), base_model: c.base_model as string };
  });
}

/** Every file under `dir`, relative, sorted (hidden files and tack's own remote bookkeeping left out). */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.push(path.relative(dir, full));
    }
  };
  await walk(dir);
  return out.sort();
}

/** The newest run folder of a project. */
export async function newestRun(project: string): Promise<string> {
  const ids = (await readdir(path.join(project, 'runs')).catch(() => [] as string[])).filter((id) => /^\d{8}-\d{6}/.test(id)).sort();
  const id = ids.at(-1);
  if (!id) throw new Error(`no run in ${project}`);
  return path.join(project, 'runs', id);
}

export async function readRunJson(runDir: string): Promise<{ status: string; remote?: { name: string; runDir: string; projectDir: string }; outcome?: { kind: string; reason?: string; message: string } }> {
  return JSON.parse(await readFile(path.join(runDir, 'run.json'), 'utf8'));
}

/** Waits until the run's remote copy has a file named `name` in output/. */
export async function waitForRemoteFile(project: string, name: string, timeoutMs = 60_000): Promise<string> {
  let remoteDir = '';
  await waitFor(async () => {
    try {
      const run = await readRunJson(await newestRun(project));
      remoteDir = run.remote?.runDir ?? '';
      return remoteDir !== '' && (await readdir(path.join(remoteDir, 'output'))).includes(name);
    } catch {
      return false;
    }
  }, timeoutMs, `${name} on the remote`);
  return remoteDir;
}

/**
 * Running the engine's helper programs: the probe behind `tack engine doctor` and the steps of
 * `tack engine install` (both described as data in src/engine).
 */
import { createWriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { pathExists, throwIfCancelled, type ProgressListener } from '../core/index.js';
import {
  buildDoctorReport,
  engineErrors,
  formatManualInstall,
  inspectBaseModel,
  isSdScriptsDir,
  parseProbeOutput,
  planInstall,
  probeScript,
  REQUIRED_MODULES,
  OPTIONAL_MODULES,
  type BaseModelInfo,
  type DeviceSetting,
  type DoctorReport,
  type EngineLocation,
  type InstallOptions,
  type InstallPlan,
  type ProbeResult,
} from '../engine/index.js';
import { runCaptured } from '../io/index.js';

export interface ProbeOptions {
  readonly modules?: readonly string[];
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Runs the probe with the engine's Python (torch import can take a while on a cold disk). */
export function probeEngine(location: EngineLocation, options: ProbeOptions = {}): Promise<{ probe?: ProbeResult; error?: string }> {
  return probePython(location.python, location.sdScriptsDir ?? process.cwd(), options);
}

/** The probe with any Python (the sweep's generation script runs with TACK_PYTHON). */
export async function probePython(python: string, cwd: string, options: ProbeOptions = {}): Promise<{ probe?: ProbeResult; error?: string }> {
  const result = await runCaptured([python, '-c', probeScript(options.modules ?? [...REQUIRED_MODULES, ...OPTIONAL_MODULES])], {
    cwd,
    env: { ...process.env, PYTHONIOENCODING: 'utf-8' },
    timeoutMs: options.timeoutMs ?? 180_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.spawnError) return { error: result.spawnError.code === 'ENOENT' ? 'not found' : result.spawnError.message };
  const probe = parseProbeOutput(result.stdout);
  if (probe) return { probe };
  if (result.timedOut) return { error: 'timed out' };
  const last = result.stderr.trim().split('\n').slice(-2).join(' ').trim();
  return { error: `exit code ${result.code}${last ? `: ${last}` : ''}` };
}

export interface EngineDoctorOptions {
  readonly location: EngineLocation;
  /** The base model to check (absolute), '' when unset, undefined when not asked. */
  readonly modelFile?: string;
  readonly optimizer?: string;
  /** [train] device or --device. */
  readonly device?: DeviceSetting;
  readonly signal?: AbortSignal;
}

export interface EngineDoctorResult {
  readonly report: DoctorReport;
  readonly probe?: ProbeResult;
  readonly model?: BaseModelInfo;
}

export async function runEngineDoctor(options: EngineDoctorOptions): Promise<EngineDoctorResult> {
  const { location } = options;
  const sdOk = location.sdScriptsDir ? await isSdScriptsDir(location.sdScriptsDir) : false;
  const probed = await probeEngine(location, options.signal ? { signal: options.signal } : {});
  let model: { file: string; info?: BaseModelInfo; error?: string } | undefined;
  if (options.modelFile !== undefined) {
    if (!options.modelFile) model = { file: '' };
    else {
      try {
        model = { file: options.modelFile, info: await inspectBaseModel(options.modelFile) };
      } catch (error) {
        model = { file: options.modelFile, error: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (error as Error).message };
      }
    }
  }
  const report = buildDoctorReport({
    location,
    sdScriptsOk: sdOk,
    ...(probed.probe ? { probe: probed.probe } : {}),
    ...(probed.error ? { probeError: probed.error } : {}),
    ...(model ? { model } : {}),
    ...(options.optimizer ? { optimizer: options.optimizer } : {}),
    ...(options.device ? { device: options.device } : {}),
  });
  return { report, ...(probed.probe ? { probe: probed.probe } : {}), ...(model?.info ? { model: model.info } : {}) };
}

/** Can a TCP connection be opened to the URL's host within the timeout? */
export function canReach(url: string, timeoutMs = 5000): Promise<boolean> {
  let host: string;
  let port: number;
  try {
    const u = new URL(url);
    host = u.hostname;
    port = Number(u.port) || (u.protocol === 'http:' ? 80 : u.protocol === 'ssh:' ? 22 : 443);
  } catch {
    const m = /^[\w.-]+@([\w.-]+):/.exec(url);
    if (!m) return Promise.resolve(false);
    host = m[1] as string;
    port = 22;
  }
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface InstallRunOptions extends InstallOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  /** Each step as it starts. */
  readonly onStep?: (label: string, index: number, total: number) => void;
  /** Where to install (default: this machine). */
  readonly machine?: InstallMachine;
}

export interface InstallResult {
  readonly plan: InstallPlan;
  readonly ran: readonly string[];
  readonly logFile: string;
}

/** What an install needs from the machine it installs on: this one, or a remote (src/remote). */
export interface InstallMachine {
  /** "" for this machine, else how to name it in messages ("pod"). */
  readonly name: string;
  /** The folder's state there. */
  inspect(dir: string): Promise<{ readonly exists: boolean; readonly empty: boolean; readonly checkout: boolean; readonly venv: boolean }>;
  /** Which of the URLs' servers accept a connection from there. */
  reach(urls: readonly string[], signal?: AbortSignal): Promise<ReadonlySet<string>>;
  /** Runs one step there; its output is handed on as it comes. */
  run(argv: readonly string[], options: { readonly cwd: string; readonly env: Readonly<Record<string, string>>; readonly onOutput: (text: string) => void; readonly signal?: AbortSignal }): Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string; readonly notFound?: boolean }>;
  /** Where the install log goes here (default: next to the folder). */
  readonly logFile?: string;
}

/** This machine. */
export const localInstallMachine: InstallMachine = {
  name: '',
  async inspect(dir) {
    const exists = await pathExists(dir);
    return { exists, empty: !exists || (await fsp.readdir(dir)).length === 0, checkout: await pathExists(path.join(dir, '.git')), venv: await pathExists(path.join(dir, 'venv')) };
  },
  async reach(urls, signal) {
    const ok = new Set<string>();
    for (const url of urls) {
      throwIfCancelled(signal);
      if (await canReach(url)) ok.add(url);
    }
    return ok;
  },
  async run(argv, options) {
    await fsp.mkdir(options.cwd, { recursive: true });
    const result = await runCaptured(argv, { cwd: options.cwd, env: { ...process.env, ...options.env }, onOutput: options.onOutput, maxChars: 20_000, ...(options.signal ? { signal: options.signal } : {}) });
    return { code: result.code, stdout: result.stdout, stderr: result.stderr, ...(result.spawnError ? { notFound: true } : {}) };
  },
};

/** Installs sd-scripts; reruns skip what is done. Fails with ENGINE_OFFLINE before changing anything when a server is unreachable. */
export async function installEngine(options: InstallRunOptions): Promise<InstallResult> {
  const machine = options.machine ?? localInstallMachine;
  const on = machine.name ? ` on ${machine.name}` : '';
  const rerun = `tack engine install${machine.name ? ` --on ${machine.name}` : ''}`;
  const dir = machine.name ? path.posix.resolve(options.dir) : path.resolve(options.dir);
  const state = await machine.inspect(dir);
  if (!state.checkout && state.exists && !state.empty) {
    throw engineErrors.create('ENGINE_INSTALL_EXISTS', `${dir}${on} exists, is not empty and is not a git checkout.`, 'Pick another folder with --dir, or empty this one.', { details: { dir } });
  }
  const plan = planInstall({ ...options, dir }, { checkout: state.checkout, venv: state.venv });
  const reachable = await machine.reach(plan.hosts.map((h) => h.url), options.signal);
  const unreachable = plan.hosts.filter((h) => !reachable.has(h.url)).map((h) => `${h.url} (${h.why})`);
  if (unreachable.length > 0) {
    throw engineErrors.create(
      'ENGINE_OFFLINE',
      `tack engine install needs the internet and ${machine.name || 'this machine'} cannot reach ${unreachable.join(', ')}. Nothing was changed.\nTo install by hand on a machine with internet:\n${formatManualInstall(plan, options.cuda).map((l) => `  ${l}`).join('\n')}`,
      `Connect ${machine.name || 'this machine'} to the internet and run ${rerun} again, or point ${machine.name ? `tack remote add ... --sd-scripts` : 'TACK_SD_SCRIPTS and TACK_PYTHON'} at an existing install.`,
      { details: { unreachable, dir } },
    );
  }
  const logFile = machine.logFile ?? plan.logFile;
  await fsp.mkdir(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'a' });
  log.write(`\n==== tack engine install ${new Date().toISOString()} into ${dir}${on} ====\n`);
  const ran: string[] = [];
  try {
    for (const [index, step] of plan.steps.entries()) {
      throwIfCancelled(options.signal);
      options.onStep?.(step.label, index, plan.steps.length);
      options.onProgress?.({ done: index, total: plan.steps.length, item: step.label });
      log.write(`\n$ ${step.argv.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}\n`);
      const result = await machine.run(step.argv, {
        cwd: step.id === 'clone' ? path.dirname(dir) : dir,
        env: { GIT_TERMINAL_PROMPT: '0', ...(options.pipIndexUrl ? { PIP_INDEX_URL: options.pipIndexUrl } : {}) },
        onOutput: (text) => log.write(text),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      throwIfCancelled(options.signal);
      if (result.notFound || result.code !== 0) {
        const tail = `${result.stderr}\n${result.stdout}`.trim().split('\n').slice(-6).join('\n');
        const why = result.notFound ? `${step.argv[0]} was not found` : `exit code ${result.code}`;
        throw engineErrors.create('ENGINE_INSTALL_FAILED', `Install step "${step.label}"${on} failed (${why}):\n${tail}`, `The full output is in ${logFile}. Fix the cause and run ${rerun} again: finished steps are skipped.`, {
          details: { step: step.id, argv: step.argv, logFile },
        });
      }
      ran.push(step.label);
    }
    options.onProgress?.({ done: plan.steps.length, total: plan.steps.length });
  } finally {
    await new Promise<void>((resolve) => log.end(resolve));
  }
  return { plan: { ...plan, logFile }, ran, logFile };
}

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
}

export interface InstallResult {
  readonly plan: InstallPlan;
  readonly ran: readonly string[];
  readonly logFile: string;
}

/** Installs sd-scripts; reruns skip what is done. Fails with ENGINE_OFFLINE before changing anything when a server is unreachable. */
export async function installEngine(options: InstallRunOptions): Promise<InstallResult> {
  const dir = path.resolve(options.dir);
  const checkout = await pathExists(path.join(dir, '.git'));
  if (!checkout && (await pathExists(dir)) && (await fsp.readdir(dir)).length > 0) {
    throw engineErrors.create('ENGINE_INSTALL_EXISTS', `${dir} exists, is not empty and is not a git checkout.`, 'Pick another folder with --dir, or empty this one.', { details: { dir } });
  }
  const venv = await pathExists(path.join(dir, 'venv'));
  const plan = planInstall({ ...options, dir }, { checkout, venv });
  const unreachable: string[] = [];
  for (const host of plan.hosts) {
    throwIfCancelled(options.signal);
    if (!(await canReach(host.url))) unreachable.push(`${host.url} (${host.why})`);
  }
  if (unreachable.length > 0) {
    throw engineErrors.create(
      'ENGINE_OFFLINE',
      `tack engine install needs the internet and cannot reach ${unreachable.join(', ')}. Nothing was changed.\nTo install by hand on a machine with internet:\n${formatManualInstall(plan, options.cuda).map((l) => `  ${l}`).join('\n')}`,
      'Connect to the internet and run tack engine install again, or point TACK_SD_SCRIPTS and TACK_PYTHON at an existing install.',
      { details: { unreachable, dir } },
    );
  }
  await fsp.mkdir(path.dirname(dir), { recursive: true });
  const log = createWriteStream(plan.logFile, { flags: 'a' });
  log.write(`\n==== tack engine install ${new Date().toISOString()} into ${dir} ====\n`);
  const ran: string[] = [];
  try {
    for (const [index, step] of plan.steps.entries()) {
      throwIfCancelled(options.signal);
      options.onStep?.(step.label, index, plan.steps.length);
      options.onProgress?.({ done: index, total: plan.steps.length, item: step.label });
      log.write(`\n$ ${step.argv.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}\n`);
      const result = await runCaptured(step.argv, {
        cwd: step.id === 'clone' ? path.dirname(dir) : dir,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...(options.pipIndexUrl ? { PIP_INDEX_URL: options.pipIndexUrl } : {}) },
        onOutput: (text) => log.write(text),
        maxChars: 20_000,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      throwIfCancelled(options.signal);
      if (result.spawnError || result.code !== 0) {
        const tail = `${result.stderr}\n${result.stdout}`.trim().split('\n').slice(-6).join('\n');
        const why = result.spawnError ? `${step.argv[0]} was not found` : `exit code ${result.code}`;
        throw engineErrors.create('ENGINE_INSTALL_FAILED', `Install step "${step.label}" failed (${why}):\n${tail}`, `The full output is in ${plan.logFile}. Fix the cause and run tack engine install again: finished steps are skipped.`, {
          details: { step: step.id, argv: step.argv, logFile: plan.logFile },
        });
      }
      ran.push(step.label);
    }
    options.onProgress?.({ done: plan.steps.length, total: plan.steps.length });
  } finally {
    await new Promise<void>((resolve) => log.end(resolve));
  }
  return { plan, ran, logFile: plan.logFile };
}

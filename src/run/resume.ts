/**
 * tack train --resume: continue the newest run that did not finish, in its own folder, from the
 * newest optimizer state the engine saved (output/<name>-NNNNNN-state with train_state.json).
 * The engine continues epoch numbers and checkpoint names; its progress bar restarts at 0, so
 * the supervisor adds the saved step back. The engine also restarts its own step counter at 0
 * after a resume (sd-scripts 48d368fa, train_network.py: global_step = 0 whatever the state
 * said), so a state saved by a resumed run records the steps since that resume, and a second
 * resume would start an epoch too early. States are saved at epoch ends, so the step done is
 * epoch x steps per epoch: tack uses that, and writes it back into train_state.json before the
 * engine reads it.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { pathExists, readJson, writeJsonAtomic } from '../core/index.js';
import { sdScriptsEngine, type TrainerEngine } from '../engine/index.js';
import { isProcessAlive } from '../io/index.js';
import type { Project } from '../project/index.js';
import { runErrors } from './errors.js';
import type { TrainResult } from './outcome.js';
import { effectiveStatus, listRunMetas, runPaths, writeRunMeta, type RunMeta, type RunPaths } from './run-folder.js';
import { superviseRun } from './supervise.js';
import type { StartRunOptions } from './train.js';

export interface ResumePlan {
  readonly id: string;
  readonly paths: RunPaths;
  readonly meta: RunMeta;
  /** The optimizer-state folder to continue from; undefined = start the run again from step 0. */
  readonly stateDir?: string;
  readonly state?: SavedState;
  readonly stepOffset: number;
  readonly argv: readonly string[];
  readonly previousStatus: string;
}

export interface SavedState {
  readonly dir: string;
  /** Steps done when it was saved, counted from the start of the run. */
  readonly step: number;
  readonly epoch: number;
  /** What train_state.json says (less than `step` after an earlier resume). */
  readonly recordedStep: number;
}

/**
 * Whether the engine finished writing a state folder. sd-scripts writes train_state.json first
 * (in accelerate's save-state pre-hook), then accelerate writes the weights, the optimizer and
 * last the random states (random_states_<process>.pkl): a folder cut short by Ctrl-C has
 * train_state.json but no weights, and the engine would fail to load it.
 */
async function isCompleteState(dir: string): Promise<boolean> {
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  const weights = names.includes('model.safetensors') || names.includes('pytorch_model.bin');
  return weights && names.includes('train_state.json') && names.some((n) => /^random_states_\d+\.pkl$/.test(n));
}

/** The newest state folder in output/ that the engine finished writing. */
async function newestState(engine: TrainerEngine, run: RunPaths, meta: RunMeta): Promise<SavedState | undefined> {
  const outputName = meta.outputName;
  const stepsPerEpoch = meta.plan.stepsPerEpoch;
  let names: string[];
  try {
    names = await fsp.readdir(run.outputDir);
  } catch {
    return undefined;
  }
  const states: SavedState[] = [];
  for (const name of names) {
    const parsed = engine.parseStateDirName(outputName, name);
    if (!parsed || parsed.final) continue;
    const dir = path.join(run.outputDir, name);
    if (!(await isCompleteState(dir))) continue;
    const state = await readJson<{ current_step?: number; current_epoch?: number } | null>(path.join(dir, 'train_state.json'), null).catch(() => null);
    if (!state || typeof state.current_step !== 'number') continue;
    const epoch = state.current_epoch ?? parsed.epoch ?? 0;
    const fromEpoch = stepsPerEpoch > 0 && parsed.epoch !== undefined ? epoch * stepsPerEpoch : 0;
    states.push({ dir, step: Math.max(state.current_step, fromEpoch), epoch, recordedStep: state.current_step });
  }
  return states.sort((a, b) => b.step - a.step || b.epoch - a.epoch)[0];
}

/** Makes train_state.json say the step from the start of the run (see the top of this file). */
export async function repairStateStep(state: SavedState): Promise<void> {
  if (state.recordedStep >= state.step) return;
  const file = path.join(state.dir, 'train_state.json');
  const json = await readJson<Record<string, unknown>>(file);
  await writeJsonAtomic(file, { ...json, current_step: state.step });
}

/** Finds the newest run and how to continue it. */
export async function planResume(project: Project, engine: TrainerEngine = sdScriptsEngine): Promise<ResumePlan> {
  const candidates = (await listRunMetas(project.paths)).filter(({ meta }) => meta.status !== 'prepared').map(({ id, meta }) => ({ id, meta, status: effectiveStatus(meta) }));
  const last = candidates[candidates.length - 1];
  if (!last) throw runErrors.create('RUN_NOTHING_TO_RESUME', `${project.paths.runsDir} has no run that was started.`, 'Start one with tack train <project>.');
  if (last.status === 'running') {
    throw runErrors.create('RUN_ALREADY_RUNNING', `Run ${last.id} is still running (supervisor pid ${last.meta.supervisor?.pid}).`, 'Wait for it, or stop it with Ctrl-C in its terminal.', { details: { run: last.id } });
  }
  if (last.meta.importedFrom) {
    throw runErrors.create('RUN_NOTHING_TO_RESUME', `The newest run ${last.id} was trained elsewhere and imported from ${last.meta.importedFrom.source}.`, 'Continue it where it trained (./train.sh --resume in the bundle folder), then tack runs import it again with --force; or start a new run here.', { details: { run: last.id } });
  }
  if (last.status === 'succeeded') {
    throw runErrors.create('RUN_NOTHING_TO_RESUME', `The newest run ${last.id} finished successfully; there is nothing to resume.`, 'Start a new run with tack train <project>.', { details: { run: last.id } });
  }
  const run = runPaths(project.paths, last.id);
  const trainerPid = last.meta.trainer?.pid;
  if (trainerPid !== undefined && last.meta.supervisor?.hostname && isProcessAlive(trainerPid) && (await isTrainerProcess(trainerPid))) {
    throw runErrors.create('RUN_ALREADY_RUNNING', `The trainer of run ${last.id} (pid ${trainerPid}) is still alive although its supervisor is gone.`, `Stop it first (kill ${trainerPid}), then resume.`, { details: { run: last.id, pid: trainerPid } });
  }
  const command = await readJson<{ argv: string[] } | null>(run.commandFile, null);
  if (!command) throw runErrors.create('RUN_BAD_FOLDER', `${run.commandFile} is missing.`, 'This run cannot be resumed; start a new one with tack train.');
  const state = await newestState(engine, run, last.meta);
  const argv = stripResume(command.argv);
  if (state) argv.push('--resume', state.dir);
  return { id: last.id, paths: run, meta: last.meta, ...(state ? { stateDir: state.dir, state } : {}), stepOffset: state?.step ?? 0, argv, previousStatus: last.status };
}

function stripResume(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--resume') {
      i++;
      continue;
    }
    out.push(argv[i] as string);
  }
  return out;
}

/** On Linux, checks that a pid still runs a trainer (pids are reused). */
async function isTrainerProcess(pid: number): Promise<boolean> {
  try {
    const cmdline = await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return /accelerate|sdxl_train_network/.test(cmdline);
  } catch {
    return !(await pathExists('/proc/self'));
  }
}

/** Continues a run from its saved state (same folder: checkpoints and samples keep their numbering). */
export async function resumeRun(plan: ResumePlan, options: StartRunOptions): Promise<TrainResult> {
  const train = options.project.config.train;
  const command = await readJson<{ argv: string[]; cwd: string; env: Record<string, string> }>(plan.paths.commandFile);
  const updated = { ...command, argv: plan.argv };
  await writeJsonAtomic(plan.paths.commandFile, updated);
  if (plan.state) await repairStateStep(plan.state);
  let meta = plan.meta;
  if (plan.previousStatus === 'interrupted' && meta.status === 'running') {
    meta = { ...meta, status: 'interrupted', outcome: { kind: 'interrupted', message: 'The supervisor stopped (killed or crashed) while the run was going.', hint: `Continue with tack train ${options.projectArg} --resume` } };
    await writeRunMeta(plan.paths, meta);
  }
  return superviseRun({
    engine: options.engine ?? sdScriptsEngine,
    command: { argv: plan.argv, cwd: command.cwd, env: command.env },
    run: plan.paths,
    meta,
    stallTimeoutMs: train.stall_timeout_minutes * 60_000,
    stopGraceMs: train.stop_grace_seconds * 1000,
    projectArg: options.projectArg,
    stepOffset: plan.stepOffset,
    resumedFrom: plan.stateDir ? path.relative(plan.paths.dir, plan.stateDir) : '',
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.detachSignal ? { detachSignal: options.detachSignal } : {}),
  });
}


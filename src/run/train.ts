/**
 * From a prepared project to a launch: find the engine, see the GPUs, resolve the preset with
 * the GPU profile and [train] overrides, plan epochs and the engine's exact step count, write
 * the run folder (configs, sample prompts, command), check the configs against the engine's
 * rules, then supervise the launch (resume.ts continues a run).
 */
import path from 'node:path';
import { partitionFindings, writeFileAtomic, writeJsonAtomic, type Finding } from '../core/index.js';
import type { DatasetManifest } from '../dataset/index.js';
import { sdScriptsEngine, type BuiltLaunch, type DeviceSetting, type TrainerEngine } from '../engine/index.js';
import type { Project } from '../project/index.js';
import { buildSamplePrompts, formatSdScriptsPromptFile } from '../prompt/index.js';
import { runErrors } from './errors.js';
import type { TrainResult } from './outcome.js';
import { bucketsFrom, planTraining, type MachineFacts, type TrainingPlan } from './plan-training.js';
import { createRunFolder, effectiveStatus, listRunMetas, runFolderLayout, writeRunMeta, type RunMeta, type RunPaths, type RunPlanSummary, type RunRemote } from './run-folder.js';
import { superviseRun, type SupervisorEvent } from './supervise.js';
import type { TrainerTransport } from './transport.js';

export interface PrepareRunOptions {
  readonly project: Project;
  readonly manifest: DatasetManifest;
  readonly env: NodeJS.ProcessEnv;
  /** --preset (else tack.toml's preset). */
  readonly presetName?: string;
  /** --gpu-profile (else [train] gpu_profile). */
  readonly gpuProfile?: string;
  /** --device (else [train] device). */
  readonly device?: DeviceSetting;
  readonly dryRun: boolean;
  readonly engine?: TrainerEngine;
  readonly signal?: AbortSignal;
  /** Train on another machine: its facts, and where the project lives there. */
  readonly target?: RunTarget;
}

/** A remote machine as a place to train: what it has, and the project's folder on it. */
export interface RunTarget {
  readonly machine: MachineFacts;
  readonly remote: Omit<RunRemote, 'runDir'>;
}

export interface PreparedRun extends Pick<TrainingPlan, 'decisions' | 'recipe' | 'engineSteps' | 'location' | 'profile' | 'probe' | 'baseModel' | 'device'> {
  readonly id: string;
  readonly paths: RunPaths;
  readonly meta: RunMeta;
  readonly launch: BuiltLaunch;
  /** Everything worth telling the user before launch: the plan's findings and the config checks. */
  readonly findings: readonly Finding[];
}

export async function prepareRun(options: PrepareRunOptions): Promise<PreparedRun> {
  const { project, manifest } = options;
  const config = project.config;
  const engine = options.engine ?? sdScriptsEngine;
  const target = options.target;
  if (!options.dryRun) await refuseWhileRunning(project, target?.remote.name);
  const tp = await planTraining({ ...options, strict: !options.dryRun, probe: true, ...(target ? { machine: target.machine } : {}) });
  const { location, profile, settings, recipe, engineSteps, batchSize, numProcesses, modelPath, device } = tp;
  const findings: Finding[] = [...tp.findings];
  const preset = { name: tp.presetName };
  const probe = tp.probe;
  const baseModel = tp.baseModel;
  const decisions = tp.decisions;
  const images = manifest.images.length;
  const prompts = buildSamplePrompts(config);
  const promptFile = formatSdScriptsPromptFile(prompts);
  const { id, paths: run } = await createRunFolder(project.paths);
  const sdScriptsDir = location.sdScriptsDir ?? '<sd-scripts>';
  // The configs name paths as the training machine sees them: this run folder, or its copy there.
  const remote: RunRemote | undefined = target ? { ...target.remote, runDir: path.posix.join(target.remote.projectDir, 'runs', id) } : undefined;
  const there = remote ? runFolderLayout(remote.runDir, path.posix) : run;
  const built = engine.buildLaunch({
    config: {
      outputName: config.name,
      baseModel: modelPath || '<set base_model in tack.toml>',
      imageDir: remote ? path.posix.join(remote.projectDir, ...manifest.imageDir.split(path.sep)) : path.join(project.paths.root, manifest.imageDir),
      outputDir: there.outputDir,
      samplePromptsFile: there.samplePrompts,
      classTokens: manifest.classTokens,
      repeats: manifest.repeats,
      buckets: bucketsFrom(config.buckets),
      batchSize,
      gradientAccumulationSteps: config.plan.gradient_accumulation_steps,
      epochs: recipe.epochs,
      totalSteps: engineSteps.maxTrainSteps,
      numProcesses,
      sampleSampler: prompts[0]?.sampler ?? 'euler_a',
      settings,
      header: `Project ${config.name}, run ${id}, preset ${preset.name}, GPU profile ${profile.name}.`,
    },
    sdScriptsDir,
    python: location.python,
    ...(location.gitDir ? { gitDir: location.gitDir } : {}),
    cwd: there.dir,
    argsFile: there.argsToml,
    datasetFile: there.datasetToml,
    numProcesses,
    device,
  });
  await writeFileAtomic(run.datasetToml, built.datasetToml);
  await writeFileAtomic(run.argsToml, built.argsToml);
  await writeFileAtomic(run.samplePrompts, promptFile);
  await writeJsonAtomic(run.commandFile, { argv: built.command.argv, cwd: built.command.cwd, env: built.command.env });
  const plan: RunPlanSummary = {
    images,
    repeats: manifest.repeats,
    epochs: recipe.epochs,
    batchSize,
    gradientAccumulationSteps: config.plan.gradient_accumulation_steps,
    numProcesses,
    totalSteps: engineSteps.maxTrainSteps,
    stepsPerEpoch: engineSteps.stepsPerEpoch,
    batchesPerEpoch: engineSteps.batchesPerEpoch,
    recipeSteps: recipe.totalSteps,
  };
  const now = new Date().toISOString();
  const meta: RunMeta = {
    version: 1,
    id,
    project: config.name,
    createdAt: now,
    updatedAt: now,
    status: 'prepared',
    outputName: config.name,
    preset: { name: preset.name, gpuProfile: profile.name, settings },
    device,
    plan,
    engine: { name: engine.name, ...(location.sdScriptsDir ? { dir: location.sdScriptsDir } : {}), ...(location.commit ? { commit: location.commit } : {}), python: location.python },
    baseModel: modelPath,
    attempts: [],
    ...(remote ? { remote } : {}),
  };
  await writeRunMeta(run, meta);
  const all = [...findings, ...built.findings];
  const errors = partitionFindings(all).errors;
  if (errors.length > 0 && !options.dryRun) {
    await writeRunMeta(run, { ...meta, status: 'failed' });
    throw runErrors.create(
      'RUN_CONFIG_REFUSED',
      `The configuration for run ${id} breaks the engine's rules, so nothing was launched:\n${errors.map((e) => `  - ${e.message}${e.fix ? ` Fix: ${e.fix}` : ''}`).join('\n')}`,
      `Fix the settings named above in tack.toml; the configs are in ${run.configDir}.`,
      { details: { run: id, findings: errors } },
    );
  }
  return { id, paths: run, meta, launch: built, decisions, findings: all, recipe, engineSteps, location, profile, device, ...(probe ? { probe } : {}), ...(baseModel ? { baseModel } : {}) };
}

/**
 * One run at a time per project on each machine: two would share its dataset/ there and fight
 * over its GPU. Runs on different machines (three learning rates on three rented GPUs) are fine.
 */
async function refuseWhileRunning(project: Project, where: string | undefined): Promise<void> {
  for (const { id, meta } of await listRunMetas(project.paths)) {
    if (effectiveStatus(meta) === 'running' && meta.remote?.name === where) {
      const on = meta.remote ? ` on ${meta.remote.name}` : '';
      throw runErrors.create('RUN_ALREADY_RUNNING', `Run ${id} of this project is still running${on} (${meta.remote ? 'tack attach follows it' : `tack pid ${meta.supervisor?.pid}`}).`, meta.remote ? 'Wait for it to finish (tack runs shows it), or stop it: tack attach <project>, then Ctrl-C.' : 'Wait for it to finish, or stop it with Ctrl-C in its terminal; tack runs shows its progress.', {
        details: { run: id },
      });
    }
  }
}

export interface StartRunOptions {
  readonly project: Project;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: SupervisorEvent) => void;
  readonly projectArg: string;
  readonly engine?: TrainerEngine;
  /** Where the trainer runs (default: this machine). */
  readonly transport?: TrainerTransport;
  /** Aborted to leave a remote run going. */
  readonly detachSignal?: AbortSignal;
}

/** Launches a prepared run and supervises it to its outcome (or until a remote run is detached). */
export async function startRun(prepared: PreparedRun, options: StartRunOptions): Promise<TrainResult> {
  const train = options.project.config.train;
  return superviseRun({
    engine: options.engine ?? sdScriptsEngine,
    command: prepared.launch.command,
    run: prepared.paths,
    meta: prepared.meta,
    stallTimeoutMs: train.stall_timeout_minutes * 60_000,
    stopGraceMs: train.stop_grace_seconds * 1000,
    projectArg: options.projectArg,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.detachSignal ? { detachSignal: options.detachSignal } : {}),
  });
}


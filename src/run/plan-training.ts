/**
 * Everything decided before a run folder is written: where the engine is, which GPUs it sees,
 * the preset resolved with the GPU profile and [train], the batch the profile allows, the
 * epochs and the engine's exact step count from the prepared images' buckets, and the base
 * model check. Shared by tack train and tack export.
 */
import path from 'node:path';
import { finding, type Finding } from '../core/index.js';
import type { DatasetManifest } from '../dataset/index.js';
import {
  adaptSettingsToDevice,
  buildDoctorReport,
  chooseDevice,
  describeDeviceSpeed,
  checkBaseModel,
  engineErrors,
  findPreset,
  gpuMemoryGiB,
  gpuProfileByName,
  inspectBaseModel,
  isSdScriptsDir,
  locateEngine,
  pickGpuProfile,
  resolveTrainSettings,
  type BaseModelInfo,
  type DeviceSetting,
  type EngineLocation,
  type GpuProfile,
  type ProbeResult,
  type SettingDecision,
  type TrainDevice,
  type TrainSettings,
} from '../engine/index.js';
import { countEngineSteps, planRecipe, type EngineSteps, type RecipePlan } from '../plan/index.js';
import type { Project } from '../project/index.js';
import { probeEngine } from './engine-ops.js';
import { runErrors } from './errors.js';

/** Picks the GPU profile: --gpu-profile, [train] gpu_profile, else from the smallest GPU. */
function chooseProfile(requested: string, probe: ProbeResult | undefined, device: TrainDevice, findings: Finding[]): GpuProfile {
  if (requested !== 'auto') {
    const profile = gpuProfileByName(requested);
    if (!profile) throw engineErrors.create('ENGINE_BAD_SETTING', `GPU profile "${requested}" does not exist.`, 'Use auto, 8gb, 12gb, 16gb or 24gb.');
    return profile;
  }
  if (device !== 'cuda') {
    // No GPU memory to fit into: the CPU trains in system RAM, MPS in the Mac's shared memory.
    findings.push(
      finding(device === 'cpu' ? 'info' : 'warning', 'RUN_PROFILE_ASSUMED', `Device ${device}: the 24gb profile (no memory-saving switches beyond gradient checkpointing) is used.`, {
        fix: device === 'mps' ? 'Pass --gpu-profile 12gb or 16gb on a Mac with 16-32 GB of memory.' : 'Pass --gpu-profile to choose another.',
      }),
    );
    return gpuProfileByName('24gb') as GpuProfile;
  }
  const gpus = probe?.gpus ?? [];
  if (gpus.length === 0) {
    findings.push(finding('warning', 'RUN_PROFILE_ASSUMED', 'No GPU was seen, so the 24gb profile (the recipe\'s RTX 4090) was assumed.', { fix: 'Pass --gpu-profile 12gb|16gb|24gb to match the GPU that will train.' }));
    return gpuProfileByName('24gb') as GpuProfile;
  }
  const smallest = Math.min(...gpus.map(gpuMemoryGiB));
  const profile = pickGpuProfile(smallest);
  if (!profile) {
    throw engineErrors.create('ENGINE_NO_GPU', `The GPU has ${smallest.toFixed(1)} GiB; SDXL LoRA training needs at least about 8 GB.`, 'Train on a rented GPU: tack export <project> --bundle out.zip');
  }
  return profile;
}

export interface TrainingPlanOptions {
  readonly project: Project;
  readonly manifest: DatasetManifest;
  readonly env: NodeJS.ProcessEnv;
  readonly presetName?: string;
  readonly gpuProfile?: string;
  /** --device (else [train] device). */
  readonly device?: DeviceSetting;
  /** Require a working engine, a usable device and the base model (a real launch). */
  readonly strict: boolean;
  /** Ask the engine's Python about GPUs (skipped for export bundles). */
  readonly probe: boolean;
  /** The machine that will train, when it is not this one (a remote): its engine, GPUs and base model as seen there. */
  readonly machine?: MachineFacts;
  readonly signal?: AbortSignal;
}

/** What another machine told about itself (src/remote asks it): checked there, trusted here. */
export interface MachineFacts {
  readonly location: EngineLocation;
  readonly probe: ProbeResult;
  /** The base model's path there. */
  readonly modelPath: string;
  readonly baseModel?: BaseModelInfo;
}

export interface TrainingPlan {
  readonly location: EngineLocation;
  /** Where the run trains (auto resolved; a dry run or bundle without a probe assumes cuda). */
  readonly device: TrainDevice;
  readonly probe?: ProbeResult;
  readonly profile: GpuProfile;
  readonly presetName: string;
  readonly settings: TrainSettings;
  readonly decisions: readonly SettingDecision[];
  readonly findings: readonly Finding[];
  readonly recipe: RecipePlan;
  readonly engineSteps: EngineSteps;
  readonly batchSize: number;
  readonly numProcesses: number;
  /** Absolute, or '' when base_model is unset (only allowed when not strict). */
  readonly modelPath: string;
  readonly baseModel?: BaseModelInfo;
}

/** Engine, GPUs, settings and the plan: everything decided before files are written. */
export async function planTraining(options: TrainingPlanOptions): Promise<TrainingPlan> {
  const { project, manifest, env } = options;
  const config = project.config;
  const findings: Finding[] = [];
  const strict = options.strict;

  const machine = options.machine;
  const location = machine?.location ?? (await locateEngine({ env, configDir: config.train.sd_scripts, configPython: config.train.python, baseDir: project.paths.root }));
  const sdOk = machine ? true : location.sdScriptsDir ? await isSdScriptsDir(location.sdScriptsDir) : false;
  let probe: ProbeResult | undefined = machine?.probe;
  if (machine) {
    // The remote doctor already refused a machine without sd-scripts, torch or a CUDA GPU.
  } else if (strict) {
    if (!location.sdScriptsDir || !sdOk) {
      const report = buildDoctorReport({ location, sdScriptsOk: sdOk });
      const c = report.checks.find((x) => x.id === 'sd-scripts');
      throw engineErrors.create('ENGINE_NOT_FOUND', `sd-scripts was not found: ${c?.detail ?? 'no checkout'}.`, c?.fix ?? 'Run tack engine install.', { details: { installDir: location.installDir } });
    }
    const probed = await probeEngine(location, { modules: ['accelerate'], ...(options.signal ? { signal: options.signal } : {}) });
    if (!probed.probe) {
      throw engineErrors.create('ENGINE_PYTHON_NOT_FOUND', `${location.python} could not be run: ${probed.error}`, 'Set TACK_PYTHON to the Python of the sd-scripts venv, or run tack engine doctor.', { details: { python: location.python } });
    }
    probe = probed.probe;
    if (!probe.modules.accelerate) throw engineErrors.create('ENGINE_NOT_READY', `accelerate is not installed in ${probe.executable}.`, 'Run pip install -r requirements.txt in the sd-scripts checkout, or tack engine install.');
  } else if (options.probe && location.sdScriptsDir && sdOk) {
    probe = (await probeEngine(location, { modules: ['accelerate'], timeoutMs: 60_000, ...(options.signal ? { signal: options.signal } : {}) })).probe;
  }

  const deviceSetting = options.device ?? config.train.device;
  const choice = chooseDevice(deviceSetting, strict ? probe : undefined);
  if (!choice.device) {
    const hint =
      deviceSetting === 'mps'
        ? 'tack engine doctor shows what torch sees; train with --device cpu (slow) or on a CUDA GPU.'
        : 'tack engine doctor shows what is missing; without a GPU use tack train --dry-run or tack export --bundle, or --device cpu for a slow test run.';
    throw engineErrors.create('ENGINE_NO_GPU', choice.problem ?? 'No device to train on.', hint, { details: { device: deviceSetting } });
  }
  const device = choice.device;
  if (device !== 'cuda') findings.push(finding('warning', 'RUN_DEVICE_SLOW', describeDeviceSpeed(device), { fix: 'Train real LoRAs on a CUDA GPU: tack export --bundle for a rented one.' }));
  const profile = chooseProfile(options.gpuProfile ?? config.train.gpu_profile, probe, device, findings);
  const { preset, lookup } = await findPreset(options.presetName ?? config.preset, env);
  const resolved = resolveTrainSettings(preset, lookup, profile, config.train);
  findings.push(...resolved.findings);
  let settings: TrainSettings = resolved.settings;
  let decisions = [...resolved.decisions];
  if (device === 'cuda' && probe?.bf16 === false && settings.mixed_precision === 'bf16' && config.train.mixed_precision === undefined) {
    settings = { ...settings, mixed_precision: 'fp16' };
    decisions = decisions.map((d) => (d.key === 'mixed_precision' ? { ...d, value: 'fp16', layer: 'tack', reason: { why: 'this GPU has no bf16; fp16 with no_half_vae', source: 'tack' } } : d));
    findings.push(finding('info', 'RUN_FP16', 'The GPU has no bf16 support: training in fp16 (the SDXL VAE stays in fp32).'));
  }

  const adapted = adaptSettingsToDevice(settings, decisions, device, probe ? { ...(probe.torch ? { version: probe.torch } : {}), ...(probe.sdpa !== null ? { sdpa: probe.sdpa } : {}) } : undefined);
  settings = adapted.settings;
  decisions = [...adapted.decisions];
  findings.push(...adapted.findings);

  // accelerate trains with one process off CUDA.
  const numProcesses = device === 'cuda' ? (config.train.num_gpus ?? Math.max(1, probe?.gpus.length ?? 1)) : 1;
  const batchSize = Math.min(config.plan.batch_size, profile.maxBatchSize);
  if (batchSize < config.plan.batch_size) {
    findings.push(
      finding('info', 'RUN_BATCH_CAPPED', `Batch size ${config.plan.batch_size} -> ${batchSize} for the ${profile.name} GPU profile (${profile.why}); epochs are planned for the lower batch.`, {
        fix: 'Set [train] gpu_profile if the GPU has more memory than detected.',
      }),
    );
  }
  const images = manifest.images.length;
  if (images === 0) throw runErrors.create('RUN_CONFIG_REFUSED', 'The prepared dataset has no images: the engine would find no data and exit as if it had trained (P4).', 'Add photos with tack add, then run tack prepare.');
  const recipe = planRecipe(images, {
    targetImageRepeats: config.plan.target_image_repeats,
    targetSteps: config.plan.target_steps,
    batchSize,
    gradientAccumulationSteps: config.plan.gradient_accumulation_steps,
    repeats: manifest.repeats,
    ...(config.plan.epochs !== undefined ? { epochs: config.plan.epochs } : {}),
  });
  findings.push(...recipe.findings.filter((f) => f.severity !== 'info' || f.code === 'PLAN_ONE_EPOCH'));
  const bucketCounts = new Map<string, { bucket: readonly [number, number]; images: number }>();
  for (const image of manifest.images) {
    const key = `${image.bucket[0]}x${image.bucket[1]}`;
    bucketCounts.set(key, { bucket: image.bucket, images: (bucketCounts.get(key)?.images ?? 0) + 1 });
  }
  const engineSteps = countEngineSteps([...bucketCounts.values()], { repeats: manifest.repeats, batchSize, epochs: recipe.epochs, gradientAccumulationSteps: config.plan.gradient_accumulation_steps, numProcesses });

  let baseModel: BaseModelInfo | undefined = machine?.baseModel;
  const modelPath = machine ? machine.modelPath : config.base_model ? path.resolve(project.paths.root, config.base_model) : '';
  if (machine) {
    if (baseModel) findings.push(...checkBaseModel(baseModel).filter((f) => f.severity !== 'error'));
  } else if (!modelPath) {
    if (strict) throw engineErrors.create('ENGINE_BAD_MODEL', 'base_model is not set in tack.toml.', 'Set base_model = "/path/to/ponyRealism.safetensors" (an SDXL or Pony checkpoint) in tack.toml.');
    findings.push(finding('warning', 'RUN_NO_BASE_MODEL', 'base_model is not set in tack.toml; the configs name a placeholder.', { fix: 'Set base_model to your SDXL/Pony checkpoint before training.' }));
  } else {
    try {
      baseModel = await inspectBaseModel(modelPath);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (error as Error).message;
      if (strict) throw engineErrors.create('ENGINE_BAD_MODEL', `The base model ${modelPath} ${reason}.`, 'Fix base_model in tack.toml (relative paths start at the project folder).', { details: { file: modelPath } });
      findings.push(finding('warning', 'RUN_BASE_MODEL_MISSING', `The base model ${modelPath} ${reason}.`, { fix: 'Fix base_model in tack.toml before training.' }));
    }
    if (baseModel) {
      const modelFindings = checkBaseModel(baseModel);
      const bad = modelFindings.find((f) => f.severity === 'error');
      if (bad && strict) throw engineErrors.create('ENGINE_BAD_MODEL', bad.message, bad.fix ?? 'Set base_model to an SDXL checkpoint.', { details: { file: modelPath } });
      findings.push(...modelFindings.map((f) => (f.severity === 'error' ? { ...f, severity: 'warning' as const } : f)));
    }
  }
  return { location, device, ...(probe ? { probe } : {}), profile, presetName: preset.name, settings, decisions, findings, recipe, engineSteps, batchSize, numProcesses, modelPath, ...(baseModel ? { baseModel } : {}) };
}

export function bucketsFrom(b: Project['config']['buckets']) {
  const r = b.resolution;
  return {
    resolution: (typeof r === 'number' ? [r, r] : [r[0], r[1]]) as [number, number],
    enableBucket: b.enable_bucket,
    noUpscale: b.bucket_no_upscale,
    minReso: b.min_bucket_reso,
    maxReso: b.max_bucket_reso,
    resoSteps: b.bucket_reso_steps,
  };
}


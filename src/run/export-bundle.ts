/**
 * `tack export --bundle`: everything a Linux machine with sd-scripts needs to train this
 * project (a rented GPU, typically): the prepared dataset, the two configs with paths relative
 * to the bundle, the sample prompts, and train.sh, which checks its inputs, launches accelerate
 * exactly as `tack train` would, logs to log.txt and can resume from the newest saved state.
 * The base model is not bundled (several GB, and the user may not be allowed to redistribute
 * it): train.sh takes its path.
 */
import { randomUUID } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { finding, partitionFindings, type Finding } from '../core/index.js';
import type { DatasetManifest } from '../dataset/index.js';
import { buildEngineConfig, checkEngineConfig, PINNED_SD_SCRIPTS_COMMIT, SD_SCRIPTS_REPO, TRAIN_SCRIPT, type DeviceSetting, type TrainDevice } from '../engine/index.js';
import type { Project } from '../project/index.js';
import { buildSamplePrompts, formatSdScriptsPromptFile } from '../prompt/index.js';
import { runErrors } from './errors.js';
import { bucketsFrom, planTraining, type TrainingPlan } from './plan-training.js';
import { writeZip, ZipTooLargeError, type ZipEntry } from './zip.js';

export interface ExportBundleOptions {
  readonly project: Project;
  readonly manifest: DatasetManifest;
  readonly env: NodeJS.ProcessEnv;
  readonly target: string;
  readonly presetName?: string;
  /** The GPU the bundle will train on (default 24gb: the usual rented card). */
  readonly gpuProfile?: string;
  /** The device it trains on (default [train] device; auto = a CUDA GPU). */
  readonly device?: DeviceSetting;
  readonly overwrite?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number, name: string) => void;
}

export interface ExportBundleResult {
  readonly target: string;
  readonly sizeBytes: number;
  readonly files: number;
  readonly root: string;
  readonly plan: TrainingPlan;
  readonly findings: readonly Finding[];
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export interface RunScriptOptions {
  readonly outputName: string;
  readonly modelName: string;
  readonly mixedPrecision: string;
  readonly numProcesses: number;
  readonly device?: TrainDevice;
}

/** The machine the bundle is for, in the words of its comments and messages. */
function machineWords(device: TrainDevice): string {
  return device === 'cuda' ? 'a Linux machine with an NVIDIA GPU' : device === 'mps' ? 'a Mac with Apple silicon (MPS)' : 'any machine, on the CPU (very slow: for tests and tiny runs)';
}

export function buildRunScript(options: RunScriptOptions): string {
  const model = `models/${options.modelName}`;
  const device = options.device ?? 'cuda';
  // On the CPU, accelerate's --cpu picks one thread per physical core; GPUs get one CPU thread.
  const launch = device === 'cpu' ? '--cpu --num_processes 1' : device === 'mps' ? '--num_cpu_threads_per_process 1 --num_processes 1' : '--num_cpu_threads_per_process 1 --num_processes "$NUM_GPUS"';
  return `#!/usr/bin/env bash
# Trains the LoRA "${options.outputName}" with kohya sd-scripts on ${machineWords(device)}.
# Written by tack (tack export --bundle). Usage:
#   ./train.sh [/path/to/base-model.safetensors] [--resume]
# Environment: SD_SCRIPTS (default ~/sd-scripts), PYTHON (default $SD_SCRIPTS/venv/bin/python)${device === 'cuda' ? `,
#              NUM_GPUS (default ${options.numProcesses})` : ''}.
# sd-scripts: git clone ${SD_SCRIPTS_REPO} && git -C sd-scripts checkout ${PINNED_SD_SCRIPTS_COMMIT}
set -euo pipefail
cd "$(dirname "$0")"
SD_SCRIPTS="\${SD_SCRIPTS:-$HOME/sd-scripts}"
PYTHON="\${PYTHON:-$SD_SCRIPTS/venv/bin/python}"
${device === 'cuda' ? `NUM_GPUS="\${NUM_GPUS:-${options.numProcesses}}"\n` : ''}MODEL=${shellQuote(model)}
RESUME=()
for arg in "$@"; do
  case "$arg" in
    --resume)
      last="$(ls -d output/${options.outputName}-*-state 2>/dev/null | sort | tail -n 1 || true)"
      if [ -n "$last" ]; then RESUME=(--resume "$last"); else echo "No saved state in output/: starting from the beginning."; fi ;;
    *) MODEL="$arg" ;;
  esac
done
if [ ! -f "$SD_SCRIPTS/${TRAIN_SCRIPT}" ]; then
  echo "sd-scripts not found at $SD_SCRIPTS: set SD_SCRIPTS=/path/to/sd-scripts" >&2
  echo "  git clone ${SD_SCRIPTS_REPO} && git -C sd-scripts checkout ${PINNED_SD_SCRIPTS_COMMIT}" >&2
  exit 1
fi
if ! "$PYTHON" -c "import accelerate" 2>/dev/null; then
  echo "$PYTHON cannot import accelerate: set PYTHON to the sd-scripts venv's python (pip install -r requirements.txt there)" >&2
  exit 1
fi
if [ ! -f "$MODEL" ]; then
  echo "Base model not found: $MODEL. Pass its path as the first argument or put it at ${model}." >&2
  exit 1
fi
MULTI=()
${device === 'cuda' ? 'if [ "$NUM_GPUS" -gt 1 ]; then MULTI=(--multi_gpu); fi\n' : ''}if [ -d "$SD_SCRIPTS/.git" ]; then export GIT_DIR="$SD_SCRIPTS/.git"; fi
export PYTHONUNBUFFERED=1 PYTHONIOENCODING=utf-8
mkdir -p output
"$PYTHON" -m accelerate.commands.launch ${launch} --num_machines 1 \\
  --mixed_precision ${options.mixedPrecision} --dynamo_backend no \${MULTI[@]+"\${MULTI[@]}"} \\
  "$SD_SCRIPTS/${TRAIN_SCRIPT}" --config_file config/args.toml --dataset_config config/dataset.toml \\
  --pretrained_model_name_or_path "$MODEL" \${RESUME[@]+"\${RESUME[@]}"} 2>&1 | tee -a log.txt
echo "Done. Checkpoints: output/${options.outputName}-*.safetensors and output/${options.outputName}.safetensors; samples in output/sample/."
`;
}

export async function exportBundle(options: ExportBundleOptions): Promise<ExportBundleResult> {
  const { project, manifest } = options;
  const config = project.config;
  const target = path.resolve(options.target);
  if (!options.overwrite) {
    const exists = await fsp.stat(target).then(() => true, () => false);
    if (exists) throw runErrors.create('RUN_EXPORT_FAILED', `${target} already exists.`, 'Pass --force to replace it, or choose another file name.', { details: { file: target } });
  }
  const tp = await planTraining({ project, manifest, env: options.env, ...(options.presetName ? { presetName: options.presetName } : {}), gpuProfile: options.gpuProfile ?? (config.train.gpu_profile === 'auto' ? '24gb' : config.train.gpu_profile), ...(options.device ? { device: options.device } : {}), strict: false, probe: false, ...(options.signal ? { signal: options.signal } : {}) });
  const root = `${config.name}-tack-bundle`;
  const modelName = tp.modelPath ? path.basename(tp.modelPath) : 'base-model.safetensors';
  const folder = path.basename(manifest.imageDir);
  const prompts = buildSamplePrompts(config);
  const files = buildEngineConfig({
    outputName: config.name,
    baseModel: `models/${modelName}`,
    imageDir: `dataset/img/${folder}`,
    outputDir: 'output',
    samplePromptsFile: 'config/sample_prompts.txt',
    classTokens: manifest.classTokens,
    repeats: manifest.repeats,
    buckets: bucketsFrom(config.buckets),
    batchSize: tp.batchSize,
    gradientAccumulationSteps: config.plan.gradient_accumulation_steps,
    epochs: tp.recipe.epochs,
    totalSteps: tp.engineSteps.maxTrainSteps,
    numProcesses: tp.numProcesses,
    sampleSampler: prompts[0]?.sampler ?? 'euler_a',
    settings: tp.settings,
    header: `Bundle of project ${config.name} for ${tp.device === 'cuda' ? `a ${tp.profile.name} GPU` : `device ${tp.device}`}; paths are relative to the bundle folder (train.sh runs from there).`,
  });
  const check = checkEngineConfig({ argsToml: files.argsToml, datasetToml: files.datasetToml, argsFile: 'config/args.toml', datasetFile: 'config/dataset.toml' });
  const findings = [...tp.findings, ...files.notes, ...check.findings];
  const errors = partitionFindings(findings).errors;
  if (errors.length) {
    throw runErrors.create('RUN_EXPORT_FAILED', `The bundle's configuration breaks the engine's rules:\n${errors.map((e) => `  - ${e.message}`).join('\n')}`, 'Fix the settings named above in tack.toml.', { details: { findings: errors } });
  }
  const entries: ZipEntry[] = [];
  for (const image of manifest.images) {
    for (const rel of [image.image, image.caption]) {
      const abs = path.join(project.paths.root, rel);
      const exists = await fsp.stat(abs).then((s) => s.isFile(), () => false);
      if (!exists) throw runErrors.create('RUN_EXPORT_FAILED', `${abs} is missing from the prepared dataset.`, `Run tack prepare ${config.name} again, then export.`, { details: { file: abs } });
      entries.push({ name: `${root}/dataset/img/${folder}/${path.basename(rel)}`, file: abs, compress: rel.endsWith('.txt') });
    }
  }
  const planDoc = {
    kind: 'tack-bundle',
    project: config.name,
    // tack runs import recognises a bundle it already brought in by this id.
    bundleId: randomUUID(),
    exportedAt: new Date().toISOString(),
    preset: tp.presetName,
    gpuProfile: tp.profile.name,
    device: tp.device,
    plan: {
      images: manifest.images.length,
      repeats: manifest.repeats,
      epochs: tp.recipe.epochs,
      batchSize: tp.batchSize,
      totalSteps: tp.engineSteps.maxTrainSteps,
      numProcesses: tp.numProcesses,
      gradientAccumulationSteps: config.plan.gradient_accumulation_steps,
      stepsPerEpoch: tp.engineSteps.stepsPerEpoch,
      batchesPerEpoch: tp.engineSteps.batchesPerEpoch,
      recipeSteps: tp.recipe.totalSteps,
    },
    settings: tp.settings,
    decisions: tp.decisions,
    sdScriptsCommit: PINNED_SD_SCRIPTS_COMMIT,
  };
  const readme = [
    `tack bundle for the LoRA "${config.name}"`,
    '',
    `${manifest.images.length} images x ${manifest.repeats} repeats, ${tp.recipe.epochs} epochs at batch ${tp.batchSize} = ${tp.engineSteps.maxTrainSteps} steps`,
    `preset ${tp.presetName}, GPU profile ${tp.profile.name}, device ${tp.device}.`,
    '',
    `1. On ${machineWords(tp.device)}, install sd-scripts:`,
    `     git clone ${SD_SCRIPTS_REPO} ~/sd-scripts && git -C ~/sd-scripts checkout ${PINNED_SD_SCRIPTS_COMMIT}`,
    `     cd ~/sd-scripts && python3 -m venv venv && venv/bin/pip install torch==2.6.0 torchvision==0.21.0${tp.device === 'cuda' ? ' --index-url https://download.pytorch.org/whl/cu124' : tp.device === 'cpu' ? ' --index-url https://download.pytorch.org/whl/cpu' : ''}`,
    '     venv/bin/pip install -r requirements.txt',
    `2. Put the base model at models/${modelName} (or pass its path to train.sh).`,
    '3. ./train.sh            (./train.sh --resume continues from the newest saved state)',
    '',
    'Outputs: output/<name>-000001.safetensors ... output/<name>.safetensors, samples in output/sample/, log in log.txt.',
    'Bring this folder (or a zip of it) back and import it: tack runs import <project> <folder or zip>; then tack evaluate.',
    '',
  ].join('\n');
  entries.push(
    { name: `${root}/README.txt`, data: readme, compress: true },
    { name: `${root}/train.sh`, data: buildRunScript({ outputName: config.name, modelName, mixedPrecision: tp.settings.mixed_precision, numProcesses: tp.numProcesses, device: tp.device }), mode: 0o755, compress: true },
    { name: `${root}/config/dataset.toml`, data: files.datasetToml, compress: true },
    { name: `${root}/config/args.toml`, data: files.argsToml, compress: true },
    { name: `${root}/config/sample_prompts.txt`, data: formatSdScriptsPromptFile(prompts), compress: true },
    { name: `${root}/tack-plan.json`, data: `${JSON.stringify(planDoc, null, 2)}\n`, compress: true },
    { name: `${root}/models/PUT-THE-BASE-MODEL-HERE.txt`, data: `Copy ${modelName} here, or pass its path: ./train.sh /path/to/${modelName}\n`, compress: true },
  );
  let sizeBytes: number;
  try {
    sizeBytes = await writeZip(target, entries, { ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onEntry: options.onProgress } : {}) });
  } catch (error) {
    if (error instanceof ZipTooLargeError) throw runErrors.create('RUN_EXPORT_FAILED', `The bundle is too large: ${error.message}`, 'Remove photos or export fewer files; tack writes zips without zip64 (4 GiB).');
    throw error;
  }
  if (!tp.modelPath) findings.push(finding('warning', 'RUN_BUNDLE_NO_MODEL', 'base_model is not set: train.sh expects models/base-model.safetensors or a path argument.'));
  return { target, sizeBytes, files: entries.length, root, plan: tp, findings };
}

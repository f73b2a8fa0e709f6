/**
 * Merge: the weighted sum of several LoRAs, ΔW = Σ wᵢ·(αᵢ/rᵢ)·upᵢ·downᵢ per module.
 *  - concat (exact): the factors are stacked, so the merged rank is the sum of the ranks and
 *    the result equals the weighted sum exactly (each input's factor pair is scaled by
 *    √|wᵢ·scaleᵢ|, the sign going to up). Unlike adding the factors themselves (sd-scripts'
 *    sdxl_merge_lora.py without --concat), which is not the weighted sum of the LoRAs.
 *  - svd: the stacked factors are re-factored (lowrank.ts) to the best approximation of the
 *    sum at the target rank, fixed or dynamic.
 * Modules are matched across files through the architecture layout, so kohya files that spell
 * U-Net names differently still merge. Different architectures or shapes are refused.
 */
import path from 'node:path';
import type { ProgressListener } from '../core/index.js';
import type { WritableDtype } from './dtypes.js';
import { loraErrors } from './errors.js';
import { baseModelVersionFor, formatPythonFloat, modelspecArchitectureFor } from './metadata.js';
import { factorInput, readFactorBytes, requirePlainLora } from './module-io.js';
import type { MergeJob } from './module-job.js';
import { runModuleJobs, threadsFor } from './module-pool.js';
import { archLabel, detectArchitecture, scanModules, type DetectedArch, type LoraModule } from './modules.js';
import { ENGINE_METHOD, outputDtype, summarise, type DynamicRank, type ModuleRankReport, type RankSummary } from './rank-plan.js';
import type { SafetensorsFile } from './safetensors-read.js';
import { writeSafetensors, type TensorToWrite } from './safetensors-write.js';

export interface MergeInput {
  readonly file: SafetensorsFile;
  readonly weight: number;
}

export interface MergeOptions {
  /** Target rank (svd). Without rank or dynamic, the merge concatenates (exact). */
  readonly rank?: number;
  readonly convRank?: number;
  readonly dynamic?: DynamicRank;
  /** Alpha to store with each merged module (default: its rank, i.e. scale 1). */
  readonly alpha?: number;
  readonly dtype?: WritableDtype;
  /** Worker threads for the per-module math (default: one per core; small files use none). */
  readonly threads?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface MergeResult {
  readonly output: string;
  readonly method: 'concat' | 'svd';
  readonly arch: DetectedArch;
  readonly dtype: WritableDtype;
  readonly sizeBytes: number;
  readonly inputs: ReadonlyArray<{ readonly file: string; readonly weight: number; readonly modules: number }>;
  readonly summary: RankSummary;
  readonly modules: readonly ModuleRankReport[];
}

interface Slot {
  readonly key: string;
  readonly outName: string;
  readonly entries: Array<{ input: number; module: LoraModule }>;
}

export async function mergeLoras(inputs: readonly MergeInput[], output: string, options: MergeOptions = {}): Promise<MergeResult> {
  if (inputs.length < 2) throw loraErrors.create('LORA_BAD_ARGUMENT', `Merge needs at least two LoRAs; got ${inputs.length}.`, 'Example: tack lora merge a.safetensors:0.7 b.safetensors:0.4 -o merged.safetensors');
  const scans = inputs.map((i) => {
    const scan = scanModules(i.file.header.tensors);
    const modules = requirePlainLora(scan, i.file.file, 'merge');
    const other = modules.find((m) => m.style !== 'kohya');
    if (other) {
      throw loraErrors.create('LORA_UNSUPPORTED_NETWORK', `${i.file.file} uses ${other.style} key names (e.g. ${other.name}); tack merges kohya-format LoRAs, where alpha is stored with each module.`, `Convert it first: tack lora convert ${i.file.file} --to kohya -o converted.safetensors`, { details: { file: i.file.file } });
    }
    return { modules, arch: detectArchitecture(modules, i.file.header.metadata) };
  });
  const arch = scans[0]!.arch.arch;
  scans.forEach((s, idx) => {
    if (s.arch.arch !== arch) {
      throw loraErrors.create('LORA_ARCH_MISMATCH', `${inputs[0]!.file.file} is a ${archLabel(arch)} LoRA but ${inputs[idx]!.file.file} is ${archLabel(s.arch.arch)}; they change different models and cannot be merged.`, 'Merge only LoRAs trained on the same base architecture.', { details: { files: [inputs[0]!.file.file, inputs[idx]!.file.file], archs: [arch, s.arch.arch] } });
    }
  });
  const slots = new Map<string, Slot>();
  scans.forEach((s, input) => {
    for (const module of s.modules) {
      const target = s.arch.matched.get(module.name);
      const key = target ? `${target.part}:${target.diffusers}` : module.name;
      let slot = slots.get(key);
      if (!slot) slots.set(key, (slot = { key, outName: target?.kohya ?? module.name, entries: [] }));
      const first = slot.entries[0];
      if (first && (first.module.outFeatures !== module.outFeatures || first.module.inFeatures !== module.inFeatures || first.module.kernel !== module.kernel || first.module.conv !== module.conv)) {
        const shape = (m: LoraModule) => `${m.outFeatures}x${m.inFeatures}${m.conv ? ` conv ${m.kernel}x${m.kernel}` : ''}`;
        throw loraErrors.create('LORA_SHAPE_MISMATCH', `Module ${module.name} is ${shape(first.module)} in ${inputs[first.input]!.file.file} but ${shape(module)} in ${inputs[input]!.file.file}.`, 'These LoRAs were made for different models; merge only LoRAs of the same base model.', { details: { module: module.name } });
      }
      slot.entries.push({ input, module });
    }
  });
  const method = options.rank === undefined && !options.dynamic ? 'concat' : 'svd';
  const allModules = scans.flatMap((s) => s.modules);
  const dtype = outputDtype(options.dtype, allModules);
  const slotList = [...slots.values()];
  const jobs: MergeJob[] = slotList.map((slot, index) => {
    const sample = slot.entries[0]!.module;
    const isConv3 = sample.conv && sample.kernel > 1;
    const parts = slot.entries.map((e) => ({ input: factorInput(inputs[e.input]!.file, e.module), weight: inputs[e.input]!.weight }));
    const total = parts.reduce((s, p) => s + p.input.rank, 0);
    return {
      kind: 'merge',
      index,
      output,
      name: slot.outName,
      parts,
      svd: method === 'svd',
      cap: (isConv3 ? (options.convRank ?? options.rank) : options.rank) ?? total,
      ...(options.dynamic ? { dynamic: options.dynamic } : {}),
      ...(options.alpha === undefined ? {} : { alpha: options.alpha }),
      dtype,
    };
  });
  const byFile = new Map(inputs.map((i) => [i.file.file, i.file]));
  const results = await runModuleJobs(jobs, {
    threads: threadsFor(jobs, options.threads),
    ...(options.signal ? { signal: options.signal } : {}),
    onResult: (r, done) => options.onProgress?.({ done, total: jobs.length, item: (slotList[r.index] as Slot).outName }),
    read: (f) => readFactorBytes(byFile.get(f.file) as SafetensorsFile, f),
  });
  const tensors: TensorToWrite[] = [];
  const reports: ModuleRankReport[] = [];
  results.forEach((r, index) => {
    const slot = slotList[index] as Slot;
    const sample = slot.entries[0]!.module;
    const rank = r.newRank;
    const inFlat = (jobs[index] as MergeJob).parts[0]!.input.inFlat;
    const out = sample.outFeatures as number;
    const downShape = sample.conv ? [rank, sample.inFeatures as number, sample.kernel, sample.kernel] : [rank, inFlat];
    const upShape = sample.conv ? [out, rank, 1, 1] : [out, rank];
    tensors.push(
      { name: `${slot.outName}.lora_down.weight`, dtype, shape: downShape, data: r.down },
      { name: `${slot.outName}.lora_up.weight`, dtype, shape: upShape, data: r.up },
      { name: `${slot.outName}.alpha`, dtype, shape: [], data: r.alpha },
    );
    reports.push({ module: slot.outName, conv: sample.conv && sample.kernel > 1, oldRank: r.oldRank, newRank: rank, newAlpha: r.newAlpha, sumRetained: r.sumRetained, froRetained: r.froRetained, relativeError: r.relativeError, maxRatio: r.maxRatio });
  });
  const ranks = new Set(reports.map((r) => r.newRank));
  const alphas = new Set(reports.map((r) => r.newAlpha));
  const names = inputs.map((i) => `${path.basename(i.file.file)}:${i.weight}`).join(', ');
  const first = inputs[0]!.file.header.metadata;
  const metadata: Record<string, string> = {
    ss_network_module: 'networks.lora',
    ss_network_dim: ranks.size === 1 ? String([...ranks][0]) : 'Dynamic',
    ss_network_alpha: alphas.size === 1 ? formatPythonFloat([...alphas][0] as number) : 'Dynamic',
    ...(baseModelVersionFor(arch) ? { ss_base_model_version: baseModelVersionFor(arch) as string } : {}),
    ...(first.ss_v2 ? { ss_v2: first.ss_v2 } : {}),
    ss_training_comment: method === 'concat' ? `merged by tack (exact, ranks concatenated) from ${names}` : `merged by tack (SVD${options.dynamic ? ` ${ENGINE_METHOD[options.dynamic.method]} ${formatPythonFloat(options.dynamic.param)}` : ''} to rank ${options.rank ?? 'Dynamic'}) from ${names}`,
    ...(modelspecArchitectureFor(arch) ? { 'modelspec.sai_model_spec': '1.0.1', 'modelspec.architecture': modelspecArchitectureFor(arch) as string, 'modelspec.implementation': first['modelspec.implementation'] ?? 'https://github.com/Stability-AI/generative-models' } : {}),
    'modelspec.title': path.basename(output).replace(/\.safetensors$/i, ''),
    'modelspec.merged_from': inputs.map((i) => i.file.header.metadata['modelspec.title'] ?? path.basename(i.file.file)).join(', '),
    'modelspec.date': new Date().toISOString().slice(0, 19),
  };
  const written = await writeSafetensors(output, tensors, { metadata, sshsHashes: true, signal: options.signal });
  return {
    output,
    method,
    arch,
    dtype,
    sizeBytes: written.sizeBytes,
    inputs: inputs.map((i, idx) => ({ file: i.file.file, weight: i.weight, modules: scans[idx]!.modules.length })),
    summary: summarise(reports),
    modules: reports,
  };
}

/**
 * Convert: kohya <-> diffusers / PEFT key naming (SDXL, SD1, SD2), weights unchanged.
 *  - kohya: `lora_unet_input_blocks_4_1_proj_in.lora_down.weight`, `.lora_up.weight`, `.alpha`
 *    (sd-scripts.md 7.1; the U-Net spelled as in the checkpoint for SDXL).
 *  - peft: `unet.down_blocks.1.attentions.0.proj_in.lora_A.weight` / `.lora_B.weight`, what
 *    diffusers' save_lora_weights writes; alphas go into the `lora_adapter_metadata` JSON
 *    (r, lora_alpha, alpha_pattern, rank_pattern per component), which diffusers reads back.
 *  - diffusers: the same names with `.lora.down.weight` / `.lora.up.weight` (text encoders:
 *    `.lora_linear_layer.down.weight`), diffusers' own older format.
 * What the target format cannot hold (the alpha dtype, the source's kohya spelling) is kept in
 * the `tack_convert` metadata entry, so converting there and back gives the same file.
 */
import type { ProgressListener } from '../core/index.js';
import { decodeFloats, encodeFloats, type Dtype, type WritableDtype } from './dtypes.js';
import { loraErrors } from './errors.js';
import { DIFFUSERS_PREFIX, type LayoutModule, type Part } from './layout.js';
import { baseModelVersionFor, formatPythonFloat } from './metadata.js';
import { readAlpha } from './module-io.js';
import { archLabel, detectArchitecture, scanModules, type DetectedArch, type LoraModule } from './modules.js';
import type { SafetensorsFile } from './safetensors-read.js';
import { writeSafetensors, type TensorToWrite } from './safetensors-write.js';

export type ConvertTarget = 'kohya' | 'diffusers' | 'peft';

export interface ConvertOptions {
  readonly to: ConvertTarget;
  /** Multiply up by alpha/rank so loaders that ignore alpha apply the right strength (peft/diffusers only). */
  readonly foldAlpha?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface ConvertResult {
  readonly input: string;
  readonly output: string;
  readonly from: string;
  readonly to: ConvertTarget;
  readonly arch: DetectedArch;
  readonly modules: number;
  readonly sizeBytes: number;
  readonly foldedAlpha: boolean;
}

const ADAPTER_KEY = 'lora_adapter_metadata';
const RECORD_KEY = 'tack_convert';

interface ConvertRecord {
  readonly kohyaNames?: 'primary' | 'alt';
  readonly alphaDtype?: Dtype;
  readonly addedKeys?: readonly string[];
}

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function adapterAlpha(adapter: Record<string, unknown> | undefined, part: Part, path: string): number | undefined {
  if (!adapter) return undefined;
  const prefix = DIFFUSERS_PREFIX[part];
  const pattern = adapter[`${prefix}.alpha_pattern`];
  if (pattern && typeof pattern === 'object') {
    for (const [key, value] of Object.entries(pattern as Record<string, unknown>)) {
      if (typeof value === 'number' && (key === path || path.endsWith(`.${key}`))) return value;
    }
  }
  const base = adapter[`${prefix}.lora_alpha`];
  return typeof base === 'number' ? base : undefined;
}

function mostCommon(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 0;
}

export async function convertLora(input: SafetensorsFile, output: string, options: ConvertOptions): Promise<ConvertResult> {
  const file = input.file;
  const scan = scanModules(input.header.tensors);
  if (scan.modules.length === 0) throw loraErrors.create('LORA_NOT_A_LORA', `${file} holds no LoRA modules tack recognises.`, 'Check that the file is a LoRA (not a checkpoint, VAE or embedding).', { details: { file } });
  for (const m of scan.modules) {
    if (m.kind !== 'lora' || m.tensors.mid || m.tensors.dora) {
      throw loraErrors.create('LORA_UNSUPPORTED_NETWORK', `${file}: module ${m.name} is ${m.kind === 'lora' ? (m.tensors.mid ? 'a Tucker (lora_mid) module' : 'a DoRA module') : `a ${m.kind} module`}; tack converts plain LoRA/LoCon files only.`, 'Use the tool that trained it to export another format.', { details: { file, module: m.name } });
    }
    if (m.problem) throw loraErrors.create('LORA_BAD_MODULE', `${file}: module ${m.name} ${m.problem}.`, 'The file is damaged or was written by a broken tool; export it again.', { details: { file, module: m.name } });
  }
  if (scan.unrecognised.length > 0) {
    const names = scan.unrecognised.slice(0, 3).map((t) => t.name).join(', ');
    throw loraErrors.create('LORA_UNKNOWN_KEYS', `${file} has ${scan.unrecognised.length} tensors that are not LoRA weights (${names}${scan.unrecognised.length > 3 ? ', ...' : ''}); converting would drop them.`, 'Remove them with the tool that made the file, or keep the original format.', { details: { file, tensors: scan.unrecognised.map((t) => t.name) } });
  }
  const detection = detectArchitecture(scan.modules, input.header.metadata);
  const unknown = scan.modules.filter((m) => !detection.matched.has(m.name));
  if (detection.arch !== 'sdxl' && detection.arch !== 'sd1' && detection.arch !== 'sd2') {
    throw loraErrors.create('LORA_UNKNOWN_KEYS', `${file} is a ${archLabel(detection.arch)} LoRA; tack converts SDXL, SD 1.x and SD 2.x LoRAs.`, 'Keep the original format for this architecture.', { details: { file } });
  }
  if (unknown.length > 0) {
    throw loraErrors.create('LORA_UNKNOWN_KEYS', `${file}: ${unknown.length} of ${scan.modules.length} modules do not name a ${detection.label} module (e.g. ${unknown.slice(0, 3).map((m) => m.name).join(', ')}), so their ${options.to} names are unknown.`, 'Check the file with: tack lora inspect <file>', { details: { file, modules: unknown.map((m) => m.name) } });
  }
  const metadataIn = input.header.metadata;
  const record = (parseObject(metadataIn[RECORD_KEY]) ?? {}) as ConvertRecord;
  const adapter = parseObject(metadataIn[ADAPTER_KEY]);
  const from = [...new Set(scan.modules.map((m) => m.style))].join('+');
  const plan: Array<{ module: LoraModule; target: LayoutModule; alpha: number; alphaDtype: Dtype }> = [];
  for (const module of scan.modules) {
    const target = detection.matched.get(module.name) as LayoutModule;
    const stored = await readAlpha(input, module);
    const alpha = stored ?? adapterAlpha(adapter, target.part, target.diffusers) ?? (module.rank as number);
    plan.push({ module, target, alpha, alphaDtype: module.tensors.alpha?.dtype ?? record.alphaDtype ?? 'F32' });
  }
  const tensors: TensorToWrite[] = [];
  const foldAlpha = Boolean(options.foldAlpha) && options.to !== 'kohya';
  for (const { module, target, alpha, alphaDtype } of plan) {
    const down = module.tensors.down!;
    const up = module.tensors.up!;
    let downName: string;
    let upName: string;
    if (options.to === 'kohya') {
      const base = record.kohyaNames === 'alt' ? target.kohyaAlt : target.kohya;
      downName = `${base}.lora_down.weight`;
      upName = `${base}.lora_up.weight`;
      tensors.push({ name: `${base}.alpha`, dtype: alphaDtype, shape: module.tensors.alpha?.shape ?? [], data: encodeFloats([alpha], alphaDtype === 'F16' || alphaDtype === 'BF16' ? alphaDtype : 'F32') });
    } else {
      const base = `${DIFFUSERS_PREFIX[target.part]}.${target.diffusers}`;
      const [d, u] = options.to === 'peft' ? ['lora_A.weight', 'lora_B.weight'] : target.part === 'unet' ? ['lora.down.weight', 'lora.up.weight'] : ['lora_linear_layer.down.weight', 'lora_linear_layer.up.weight'];
      downName = `${base}.${d}`;
      upName = `${base}.${u}`;
    }
    tensors.push({ name: downName, dtype: down.dtype, shape: down.shape, data: () => input.readBytes(down) });
    const rank = module.rank as number;
    if (foldAlpha && alpha !== rank && alpha !== 0) {
      const upDtype = up.dtype as WritableDtype;
      tensors.push({ name: upName, dtype: up.dtype, shape: up.shape, data: async () => encodeFloats(decodeFloats(await input.readBytes(up), up.dtype).map((v) => (v * alpha) / rank), upDtype) });
    } else {
      tensors.push({ name: upName, dtype: up.dtype, shape: up.shape, data: () => input.readBytes(up) });
    }
  }
  if (foldAlpha && plan.some((p) => !['F32', 'F16', 'BF16'].includes(p.module.tensors.up!.dtype))) {
    throw loraErrors.create('LORA_UNSUPPORTED_NETWORK', `${file}: --fold-alpha needs F32, F16 or BF16 weights.`, 'Convert without --fold-alpha.');
  }
  const metadata = buildMetadata(metadataIn, record, plan, options.to, foldAlpha, detection.arch);
  const written = await writeSafetensors(output, tensors, { metadata, sshsHashes: options.to === 'kohya' || 'sshs_model_hash' in metadataIn, signal: options.signal });
  return { input: file, output, from, to: options.to, arch: detection.arch, modules: plan.length, sizeBytes: written.sizeBytes, foldedAlpha: foldAlpha };
}

function buildMetadata(source: Readonly<Record<string, string>>, record: ConvertRecord, plan: ReadonlyArray<{ module: LoraModule; target: LayoutModule; alpha: number; alphaDtype: Dtype }>, to: ConvertTarget, folded: boolean, arch: DetectedArch): Record<string, string> {
  const added = new Set(record.addedKeys ?? []);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) {
    if (k === RECORD_KEY || k === ADAPTER_KEY || added.has(k)) continue;
    if (k === 'format' && !added.has(k) && to === 'kohya' && source[ADAPTER_KEY] !== undefined) continue;
    metadata[k] = v;
  }
  if (to === 'kohya') {
    if (!source[RECORD_KEY]) {
      const ranks = plan.map((p) => p.module.rank as number);
      const alphas = plan.map((p) => p.alpha);
      metadata.ss_network_module ??= 'networks.lora';
      metadata.ss_network_dim ??= new Set(ranks).size === 1 ? String(ranks[0]) : 'Dynamic';
      metadata.ss_network_alpha ??= new Set(alphas).size === 1 ? formatPythonFloat(alphas[0] as number) : 'Dynamic';
      const version = baseModelVersionFor(arch);
      if (version) metadata.ss_base_model_version ??= version;
    }
    return metadata;
  }
  const before = new Set(Object.keys(metadata));
  const adapter: Record<string, unknown> = {};
  for (const part of ['unet', 'te1', 'te2'] as const) {
    const mods = plan.filter((p) => p.target.part === part);
    if (mods.length === 0) continue;
    const prefix = DIFFUSERS_PREFIX[part];
    const r = mostCommon(mods.map((p) => p.module.rank as number));
    const effective = (p: (typeof mods)[number]) => (folded ? (p.module.rank as number) : p.alpha === 0 ? (p.module.rank as number) : p.alpha);
    const alpha = mostCommon(mods.map(effective));
    adapter[`${prefix}.r`] = r;
    adapter[`${prefix}.lora_alpha`] = alpha;
    adapter[`${prefix}.target_modules`] = [...new Set(mods.map((p) => p.target.diffusers))].sort();
    adapter[`${prefix}.rank_pattern`] = Object.fromEntries(mods.filter((p) => p.module.rank !== r).map((p) => [p.target.diffusers, p.module.rank]));
    adapter[`${prefix}.alpha_pattern`] = Object.fromEntries(mods.filter((p) => effective(p) !== alpha).map((p) => [p.target.diffusers, effective(p)]));
  }
  metadata.format ??= 'pt';
  metadata[ADAPTER_KEY] = JSON.stringify(sortKeys(adapter), null, 2);
  const kohyaSource = plan.every((p) => p.module.style === 'kohya');
  if (kohyaSource) {
    const alt = plan.filter((p) => p.target.part === 'unet').every((p) => p.module.name === p.target.kohyaAlt && p.target.kohyaAlt !== p.target.kohya);
    const dtypes = new Set(plan.map((p) => p.alphaDtype));
    const newRecord: ConvertRecord = {
      kohyaNames: alt && plan.some((p) => p.target.part === 'unet') ? 'alt' : 'primary',
      ...(dtypes.size === 1 ? { alphaDtype: [...dtypes][0] as Dtype } : {}),
      addedKeys: Object.keys(metadata).filter((k) => !before.has(k) && k !== ADAPTER_KEY).concat([ADAPTER_KEY]).filter((k) => !(k in source)),
    };
    if (!folded) metadata[RECORD_KEY] = JSON.stringify(newRecord);
  }
  return metadata;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  return value;
}

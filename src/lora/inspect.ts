/**
 * Inspect: what a LoRA file is (architecture, network kind, modules per part with rank and
 * alpha), how it was trained (readable metadata), whether its numbers are sane (NaN/Inf,
 * all-zero tensors), its hashes, and whether ComfyUI, A1111, Forge and diffusers load its keys.
 */
import { finding, plural, throwIfCancelled, type Finding, type ProgressListener } from '../core/index.js';
import { checkLoaders, type LoaderVerdict } from './compat.js';
import { decodeFloats, isDecodable } from './dtypes.js';
import { computeLoraHashes, type LoraHashes } from './hashes.js';
import { formatPythonFloat, readTrainingInfo, type TrainingInfo } from './metadata.js';
import { archLabel, detectArchitecture, scanModules, type DetectedArch, type LoraModule } from './modules.js';
import type { SafetensorsFile } from './safetensors-read.js';

export interface InspectOptions {
  /** Read every tensor to find NaN/Inf and all-zero tensors (default true). */
  readonly scanValues?: boolean;
  /** Compute hashes (one more pass over the file; default true). */
  readonly hashes?: boolean;
  readonly topTags?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface CountOf<T> {
  readonly value: T;
  readonly count: number;
}

export interface PartSummary {
  readonly part: 'unet' | 'te1' | 'te2' | 'other';
  readonly label: string;
  readonly modules: number;
  readonly convModules: number;
  readonly ranks: readonly CountOf<number>[];
  readonly alphas: readonly CountOf<number | null>[];
}

export interface ModuleSummary {
  readonly name: string;
  readonly part: string;
  readonly kind: string;
  readonly rank: number | null;
  readonly alpha: number | null;
  readonly shape: string;
}

export interface HealthReport {
  readonly scanned: boolean;
  readonly nonFinite: ReadonlyArray<{ readonly tensor: string; readonly nan: number; readonly inf: number }>;
  readonly zeroTensors: readonly string[];
  /** Modules whose up (or whole) weights are all zero: they change nothing. */
  readonly zeroModules: readonly string[];
}

export interface LoraInspection {
  readonly file: string;
  readonly sizeBytes: number;
  readonly headerBytes: number;
  readonly tensorCount: number;
  readonly dtypes: Readonly<Record<string, number>>;
  readonly architecture: { readonly id: DetectedArch; readonly label: string; readonly evidence: string; readonly metadataSays?: DetectedArch };
  readonly network: {
    readonly kind: string;
    readonly keyStyles: readonly string[];
    readonly modules: number;
    readonly engineModule?: string;
    readonly dynamicRank: boolean;
    readonly rank: { readonly min: number | null; readonly max: number | null };
  };
  readonly parts: readonly PartSummary[];
  readonly modules: readonly ModuleSummary[];
  readonly training: TrainingInfo;
  readonly health: HealthReport;
  readonly hashes?: LoraHashes;
  readonly loaders: readonly LoaderVerdict[];
  readonly unrecognisedTensors: { readonly count: number; readonly examples: readonly string[] };
  readonly metadataKeys: number;
  readonly findings: readonly Finding[];
}

const PART_LABEL = { unet: 'U-Net', te1: 'text encoder 1', te2: 'text encoder 2', other: 'other' } as const;

function counts<T>(values: readonly T[]): CountOf<T>[] {
  const map = new Map<T, number>();
  for (const v of values) map.set(v, (map.get(v) ?? 0) + 1);
  return [...map].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count);
}

function networkKindOf(modules: readonly LoraModule[]): string {
  const kinds = new Set(modules.map((m) => m.kind));
  const names: string[] = [];
  if (kinds.has('lora')) names.push(modules.some((m) => m.kind === 'lora' && m.conv && m.kernel > 1) ? 'LoCon (LoRA with 3x3 conv layers)' : 'LoRA');
  if (kinds.has('loha')) names.push('LoHa');
  if (kinds.has('lokr')) names.push('LoKr');
  for (const k of ['ia3', 'glora', 'full', 'norm', 'oft'] as const) if (kinds.has(k)) names.push(k === 'ia3' ? '(IA)^3' : k === 'glora' ? 'GLoRA' : k === 'full' ? 'full weight difference' : k === 'norm' ? 'norm layers' : 'OFT');
  return names.join(' + ') || 'none';
}

async function scanHealth(st: SafetensorsFile, modules: readonly LoraModule[], signal?: AbortSignal, onProgress?: ProgressListener): Promise<HealthReport> {
  const nonFinite: Array<{ tensor: string; nan: number; inf: number }> = [];
  const zero = new Set<string>();
  const total = st.header.dataBytes;
  for await (const { tensor, bytes } of st.iterate()) {
    throwIfCancelled(signal);
    if (!isDecodable(tensor.dtype) || bytes.length === 0) continue;
    const values = decodeFloats(bytes, tensor.dtype);
    let nan = 0;
    let inf = 0;
    let nonzero = false;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (v !== v) nan++;
      else if (v === Infinity || v === -Infinity) inf++;
      else if (v !== 0) nonzero = true;
    }
    if (nan || inf) nonFinite.push({ tensor: tensor.name, nan, inf });
    if (!nonzero && !nan && !inf) zero.add(tensor.name);
    onProgress?.({ done: tensor.end, total, unit: 'bytes', item: tensor.name });
  }
  const zeroModules = modules.filter((m) => {
    const main = m.kind === 'lora' ? [m.tensors.up] : Object.entries(m.tensors).filter(([role]) => role !== 'alpha').map(([, t]) => t);
    return main.some((t) => t !== undefined && zero.has(t.name));
  });
  return { scanned: true, nonFinite, zeroTensors: [...zero], zeroModules: zeroModules.map((m) => m.name) };
}

export async function inspectLora(st: SafetensorsFile, options: InspectOptions = {}): Promise<LoraInspection> {
  const { header } = st;
  const scan = scanModules(header.tensors);
  const detection = detectArchitecture(scan.modules, header.metadata);
  const alphas = new Map<string, number>();
  for (const m of scan.modules) {
    const t = m.tensors.alpha;
    if (t && isDecodable(t.dtype) && t.end - t.begin <= 8) alphas.set(m.name, decodeFloats(await st.readBytes(t), t.dtype)[0] as number);
  }
  const partOf = (m: LoraModule) => detection.matched.get(m.name)?.part ?? 'other';
  const parts: PartSummary[] = [];
  for (const part of ['unet', 'te1', 'te2', 'other'] as const) {
    const mods = scan.modules.filter((m) => partOf(m) === part);
    if (mods.length === 0) continue;
    parts.push({
      part,
      label: PART_LABEL[part],
      modules: mods.length,
      convModules: mods.filter((m) => m.conv && m.kernel > 1).length,
      ranks: counts(mods.map((m) => m.rank ?? -1)).filter((c) => c.value >= 0),
      alphas: counts(mods.map((m) => alphas.get(m.name) ?? null)),
    });
  }
  const ranks = scan.modules.map((m) => m.rank).filter((r): r is number => r !== undefined);
  const dtypes: Record<string, number> = {};
  for (const t of header.tensors) dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
  const training = readTrainingInfo(header.metadata, options.topTags ?? 20);
  const health = options.scanValues === false ? { scanned: false, nonFinite: [], zeroTensors: [], zeroModules: [] } : await scanHealth(st, scan.modules, options.signal, options.onProgress);
  const hashes = options.hashes === false ? undefined : await computeLoraHashes(st, options.signal);
  const loaders = checkLoaders(scan, detection);
  const findings = findingsFor(st, scan.modules, detection, training, health, hashes, loaders, alphas, scan.unrecognised.length);
  return {
    file: st.file,
    sizeBytes: st.sizeBytes,
    headerBytes: header.headerBytes,
    tensorCount: header.tensors.length,
    dtypes,
    architecture: { id: detection.arch, label: detection.label, evidence: detection.evidence, ...(detection.metadataArch ? { metadataSays: detection.metadataArch } : {}) },
    network: {
      kind: networkKindOf(scan.modules),
      keyStyles: [...new Set(scan.modules.map((m) => m.style))],
      modules: scan.modules.length,
      ...(header.metadata.ss_network_module ? { engineModule: header.metadata.ss_network_module } : {}),
      dynamicRank: new Set(ranks).size > 1,
      rank: { min: ranks.length ? Math.min(...ranks) : null, max: ranks.length ? Math.max(...ranks) : null },
    },
    parts,
    modules: scan.modules.map((m) => ({ name: m.name, part: partOf(m), kind: m.kind, rank: m.rank ?? null, alpha: alphas.get(m.name) ?? null, shape: `${m.outFeatures ?? '?'}x${m.inFeatures ?? '?'}${m.conv ? ` conv${m.kernel}x${m.kernel}` : ''}` })),
    training,
    health,
    ...(hashes ? { hashes } : {}),
    loaders,
    unrecognisedTensors: { count: scan.unrecognised.length, examples: scan.unrecognised.slice(0, 10).map((t) => t.name) },
    metadataKeys: Object.keys(header.metadata).length,
    findings,
  };
}

function findingsFor(
  st: SafetensorsFile,
  modules: readonly LoraModule[],
  detection: ReturnType<typeof detectArchitecture>,
  training: TrainingInfo,
  health: HealthReport,
  hashes: LoraHashes | undefined,
  loaders: readonly LoaderVerdict[],
  alphas: ReadonlyMap<string, number>,
  unrecognised: number,
): Finding[] {
  const out: Finding[] = [];
  const subject = st.file;
  if (modules.length === 0) out.push(finding('error', 'LORA_NO_MODULES', 'The file holds no LoRA modules tack recognises.', { subject, fix: 'Check that this is a LoRA, not a checkpoint, VAE or embedding.' }));
  const broken = modules.filter((m) => m.problem);
  for (const m of broken.slice(0, 5)) out.push(finding('error', 'LORA_BROKEN_MODULE', `Module ${m.name} ${m.problem}.`, { subject, fix: 'Loaders will fail on this module; export the LoRA again.' }));
  if (detection.metadataArch && detection.matched.size > 0 && detection.metadataArch !== detection.arch) {
    out.push(finding('warning', 'LORA_ARCH_DISAGREES', `The metadata says ${archLabel(detection.metadataArch)} but the keys and shapes are ${detection.label}.`, { subject, fix: 'Trust the keys: use it with a ' + detection.label + ' model. UIs that filter by metadata may hide it.' }));
  }
  if (detection.arch === 'sdxl' && training.clipSkip !== undefined && training.clipSkip !== 1) {
    out.push(finding('warning', 'LORA_CLIP_SKIP_IGNORED', `The metadata records clip skip ${training.clipSkip}, but SDXL training ignores clip skip: both text encoders always use the penultimate layer (pitfall P5).`, { subject, fix: 'Nothing to do for this file; do not read the number as a setting that was applied. For Pony models, set clip skip 2 in the generator.' }));
  }
  for (const t of health.nonFinite.slice(0, 5)) out.push(finding('error', 'LORA_NON_FINITE_VALUES', `Tensor ${t.tensor} has ${t.nan} NaN and ${t.inf} infinite values.`, { subject, fix: 'Training diverged (lower the learning rate) or the file is damaged; use an earlier epoch.', data: t }));
  if (health.zeroModules.length > 0) {
    out.push(finding('warning', 'LORA_ZERO_MODULES', `${plural(health.zeroModules.length, 'module')} have all-zero weights and change nothing (e.g. ${health.zeroModules.slice(0, 3).join(', ')}).`, { subject, fix: 'sd-scripts starts lora_up at zero: these were never trained (too few steps, or a learning rate of 0 for that part).', data: { count: health.zeroModules.length } }));
  }
  const zeroAlpha = modules.filter((m) => alphas.get(m.name) === 0);
  if (zeroAlpha.length > 0) {
    out.push(finding('warning', 'LORA_ALPHA_ZERO', `${plural(zeroAlpha.length, 'module')} store alpha 0. sd-scripts reads 0 as alpha = rank (scale 1), but ComfyUI multiplies by 0/rank, so there the LoRA does nothing.`, { subject, fix: 'Resize or convert it with tack (both write alpha = rank for these), or set the alpha explicitly when training.' }));
  }
  if (hashes?.sshsModelHash.matches === false) {
    out.push(finding('warning', 'LORA_STALE_HASH', `sshs_model_hash in the metadata (${hashes.sshsModelHash.stored?.slice(0, 12)}…) is not the hash of the weights (${hashes.autoV3.slice(0, 12)}…).`, { subject, fix: 'A1111 and Civitai identify the LoRA by the stored value, so images will point to other weights. Rewrite it: tack lora convert <file> --to kohya -o fixed.safetensors' }));
  }
  if (hashes?.sshsLegacyHash.matches === false) out.push(finding('info', 'LORA_STALE_LEGACY_HASH', 'sshs_legacy_hash does not match the weights (old sd-webui-additional-networks hash).', { subject }));
  const ranks = [...new Set(modules.map((m) => m.rank).filter((r) => r !== undefined))];
  const dim = st.header.metadata.ss_network_dim;
  if (dim && dim !== 'Dynamic' && ranks.length === 1 && Number(dim) !== ranks[0]) {
    out.push(finding('info', 'LORA_DIM_DISAGREES', `ss_network_dim says ${dim} but the modules have rank ${ranks[0]}.`, { subject }));
  }
  const styles = new Set(modules.map((m) => m.style));
  if (styles.size > 1) out.push(finding('warning', 'LORA_MIXED_KEYS', `The file mixes key styles (${[...styles].join(', ')}); some loaders handle only one per file.`, { subject, fix: 'Normalise it: tack lora convert <file> --to kohya -o fixed.safetensors' }));
  for (const l of loaders) {
    if (l.status === 'partial' || l.status === 'ignored' || l.status === 'fails') {
      const what = l.status === 'fails' ? 'fails to load it' : `would skip ${l.skipped} of ${l.loaded + l.skipped} modules ("lora key not loaded")`;
      out.push(finding('warning', 'LORA_LOADER_SKIPS', `${l.label} ${what}, e.g. ${l.examples.slice(0, 2).join(', ')}.`, { subject, fix: l.loader === 'diffusers' ? 'Convert it: tack lora convert <file> --to peft -o out.safetensors' : 'Convert it: tack lora convert <file> --to kohya -o out.safetensors', data: { loader: l.loader, skipped: l.skipped } }));
    }
  }
  if (detection.arch === 'unknown' && modules.length > 0) out.push(finding('info', 'LORA_ARCH_UNKNOWN', `The base architecture is not recognised (${detection.evidence}).`, { subject }));
  if (unrecognised > 0) out.push(finding('info', 'LORA_EXTRA_TENSORS', `${plural(unrecognised, 'tensor')} are not LoRA weights (bundled embeddings or other data).`, { subject }));
  if (training.networkAlpha && training.networkDim && training.networkDim !== 'Dynamic' && training.networkAlpha !== 'Dynamic') {
    const scale = Number(training.networkAlpha) / Number(training.networkDim);
    if (Number.isFinite(scale) && scale > 0 && scale < 0.1) out.push(finding('info', 'LORA_SMALL_SCALE', `alpha ${training.networkAlpha} / rank ${training.networkDim} = scale ${formatPythonFloat(scale)}: a very small scale (the GUI's alpha-0 trap, pitfall P6, gives 1/rank).`, { subject }));
  }
  return out;
}

/**
 * Groups the tensors of a LoRA file into modules and recognises what they are: the tensor
 * suffix style (kohya lora_down/lora_up, PEFT lora_A/lora_B, diffusers lora.down/lora.up ...),
 * the network kind (LoRA, LoHa, LoKr, ...; key names as LyCORIS and ComfyUI's loader use them),
 * and which base-model module each targets, which also tells the base architecture.
 */
import { ARCHS, layoutFor, type ArchId, type Layout, type LayoutModule, type Part } from './layout.js';
import type { TensorInfo } from './safetensors-read.js';

export type KeyStyle = 'kohya' | 'peft' | 'diffusers' | 'diffusers-processor' | 'transformers' | 'lycoris';
export type NetworkKind = 'lora' | 'loha' | 'lokr' | 'ia3' | 'glora' | 'full' | 'norm' | 'oft';
export type NameForm = 'kohya' | 'lycoris' | 'diffusers' | 'diffusers-bare' | 'checkpoint' | 'other';

interface SuffixRule {
  readonly suffix: string;
  readonly role: string;
  readonly kind: NetworkKind;
  readonly style: KeyStyle;
}

// Longest suffixes first so ".lora.down.weight" is not taken for a generic ".weight".
const SUFFIXES: readonly SuffixRule[] = [
  { suffix: '.lora_linear_layer.down.weight', role: 'down', kind: 'lora', style: 'transformers' },
  { suffix: '.lora_linear_layer.up.weight', role: 'up', kind: 'lora', style: 'transformers' },
  { suffix: '.lora_down.weight', role: 'down', kind: 'lora', style: 'kohya' },
  { suffix: '.lora_up.weight', role: 'up', kind: 'lora', style: 'kohya' },
  { suffix: '.lora_mid.weight', role: 'mid', kind: 'lora', style: 'kohya' },
  { suffix: '.lora_A.weight', role: 'down', kind: 'lora', style: 'peft' },
  { suffix: '.lora_B.weight', role: 'up', kind: 'lora', style: 'peft' },
  { suffix: '.lora.down.weight', role: 'down', kind: 'lora', style: 'diffusers' },
  { suffix: '.lora.up.weight', role: 'up', kind: 'lora', style: 'diffusers' },
  { suffix: '_lora.down.weight', role: 'down', kind: 'lora', style: 'diffusers-processor' },
  { suffix: '_lora.up.weight', role: 'up', kind: 'lora', style: 'diffusers-processor' },
  { suffix: '.lora_magnitude_vector', role: 'dora', kind: 'lora', style: 'peft' },
  { suffix: '.dora_scale', role: 'dora', kind: 'lora', style: 'kohya' },
  { suffix: '.alpha', role: 'alpha', kind: 'lora', style: 'kohya' },
  ...['hada_w1_a', 'hada_w1_b', 'hada_w2_a', 'hada_w2_b', 'hada_t1', 'hada_t2'].map((r) => ({ suffix: `.${r}`, role: r, kind: 'loha' as const, style: 'lycoris' as const })),
  ...['lokr_w1', 'lokr_w2', 'lokr_w1_a', 'lokr_w1_b', 'lokr_w2_a', 'lokr_w2_b', 'lokr_t2'].map((r) => ({ suffix: `.${r}`, role: r, kind: 'lokr' as const, style: 'lycoris' as const })),
  ...['a1.weight', 'a2.weight', 'b1.weight', 'b2.weight'].map((r) => ({ suffix: `.${r}`, role: r, kind: 'glora' as const, style: 'lycoris' as const })),
  { suffix: '.on_input', role: 'on_input', kind: 'ia3', style: 'lycoris' },
  { suffix: '.diff_b', role: 'diff_b', kind: 'full', style: 'lycoris' },
  { suffix: '.diff', role: 'diff', kind: 'full', style: 'lycoris' },
  { suffix: '.w_norm', role: 'w_norm', kind: 'norm', style: 'lycoris' },
  { suffix: '.b_norm', role: 'b_norm', kind: 'norm', style: 'lycoris' },
  { suffix: '.oft_blocks', role: 'oft_blocks', kind: 'oft', style: 'lycoris' },
  { suffix: '.oft_diag', role: 'oft_diag', kind: 'oft', style: 'lycoris' },
];

export interface LoraModule {
  /** The module name as written in the file (the key without its role suffix). */
  readonly name: string;
  readonly kind: NetworkKind;
  readonly style: KeyStyle;
  readonly nameForm: NameForm;
  readonly tensors: Readonly<Record<string, TensorInfo>>;
  /** lora_down rows (LoRA), hada_w1_b rows (LoHa); undefined when it has no single rank. */
  readonly rank: number | undefined;
  readonly outFeatures: number | undefined;
  /** Input features, without the kernel. */
  readonly inFeatures: number | undefined;
  /** Kernel size of a conv module (1 for linear layers). */
  readonly kernel: number;
  readonly conv: boolean;
  /** What is wrong with its tensors (missing up, rank mismatch ...), if anything. */
  readonly problem?: string;
}

export interface ModuleScan {
  readonly modules: readonly LoraModule[];
  /** Tensors that belong to no module (bundled embeddings, stray keys). */
  readonly unrecognised: readonly TensorInfo[];
}

function roleOf(name: string): { module: string; rule: SuffixRule } | undefined {
  for (const rule of SUFFIXES) {
    if (name.endsWith(rule.suffix) && name.length > rule.suffix.length) return { module: name.slice(0, -rule.suffix.length), rule };
  }
  return undefined;
}

function nameFormOf(name: string): NameForm {
  if (/^lora_(unet|te\d?|prior_unet|prior_te)_/.test(name)) return 'kohya';
  if (name.startsWith('lycoris_')) return 'lycoris';
  if (/^(unet|text_encoder|text_encoder_2)\./.test(name)) return 'diffusers';
  if (/^(model\.)?diffusion_model\./.test(name)) return 'checkpoint';
  if (/^(down_blocks|up_blocks|mid_block|conv_in|conv_out|time_embedding|add_embedding)[._]/.test(name)) return 'diffusers-bare';
  return 'other';
}

function describeLora(name: string, t: Record<string, TensorInfo>): Pick<LoraModule, 'rank' | 'outFeatures' | 'inFeatures' | 'kernel' | 'conv' | 'problem'> {
  const down = t.down;
  const up = t.up;
  if (!down || !up) return { rank: undefined, outFeatures: undefined, inFeatures: undefined, kernel: 1, conv: false, problem: `has ${down ? 'a down' : 'an up'} weight but no ${down ? 'up' : 'down'} weight` };
  const ds = down.shape;
  const ush = up.shape;
  const conv = ds.length === 4;
  const rank = ds[0];
  if ((ds.length !== 2 && ds.length !== 4) || (ush.length !== 2 && ush.length !== 4) || ds.length !== ush.length) {
    return { rank, outFeatures: ush[0], inFeatures: ds[1], kernel: 1, conv, problem: `has down ${JSON.stringify(ds)} and up ${JSON.stringify(ush)}, which are not a linear or conv LoRA pair` };
  }
  const kernel = conv ? (t.mid ? (t.mid.shape[2] ?? 1) : (ds[2] ?? 1)) : 1;
  if (conv && (ds[2] !== ds[3] || ush[2] !== 1 || ush[3] !== 1)) {
    return { rank, outFeatures: ush[0], inFeatures: ds[1], kernel, conv, problem: `has conv shapes down ${JSON.stringify(ds)} / up ${JSON.stringify(ush)} that tack does not support (square kernel on down, 1x1 on up expected)` };
  }
  if (ush[1] !== rank) return { rank, outFeatures: ush[0], inFeatures: ds[1], kernel, conv, problem: `has rank ${rank} in its down weight but ${ush[1]} in its up weight` };
  if (t.alpha && t.alpha.shape.reduce((a, b) => a * b, 1) !== 1) return { rank, outFeatures: ush[0], inFeatures: ds[1], kernel, conv, problem: `has an alpha of shape ${JSON.stringify(t.alpha.shape)} instead of one number` };
  return { rank, outFeatures: ush[0], inFeatures: ds[1], kernel, conv };
}

function product(shape: readonly number[] | undefined, from = 0): number {
  return shape ? shape.slice(from).reduce((a, b) => a * b, 1) : NaN;
}

function describeOther(kind: NetworkKind, t: Record<string, TensorInfo>): Pick<LoraModule, 'rank' | 'outFeatures' | 'inFeatures' | 'kernel' | 'conv'> {
  if (kind === 'loha' && t.hada_w1_a && t.hada_w1_b) {
    const conv = (t.hada_w1_b.shape.length === 4) || Boolean(t.hada_t1);
    return { rank: t.hada_w1_b.shape[0], outFeatures: t.hada_w1_a.shape[0], inFeatures: t.hada_w1_b.shape[1], kernel: t.hada_t1 ? (t.hada_t1.shape[2] ?? 1) : (t.hada_w1_b.shape[2] ?? 1), conv };
  }
  if (kind === 'lokr') {
    const w1o = t.lokr_w1?.shape[0] ?? t.lokr_w1_a?.shape[0];
    const w1i = t.lokr_w1?.shape[1] ?? t.lokr_w1_b?.shape[1];
    const w2 = t.lokr_w2?.shape;
    const w2o = w2?.[0] ?? t.lokr_w2_a?.shape[0];
    const w2i = w2?.[1] ?? t.lokr_w2_b?.shape[1];
    const conv = (w2?.length ?? t.lokr_w2_b?.shape.length ?? 2) === 4 || Boolean(t.lokr_t2);
    const kernel = conv ? (w2?.[2] ?? t.lokr_t2?.shape[2] ?? t.lokr_w2_b?.shape[2] ?? 1) : 1;
    const rank = t.lokr_w2_a?.shape[1] ?? t.lokr_w1_a?.shape[1];
    return { rank, outFeatures: w1o !== undefined && w2o !== undefined ? w1o * w2o : undefined, inFeatures: w1i !== undefined && w2i !== undefined ? w1i * w2i : undefined, kernel, conv };
  }
  if (kind === 'full' && t.diff) return { rank: undefined, outFeatures: t.diff.shape[0], inFeatures: t.diff.shape[1], kernel: t.diff.shape[2] ?? 1, conv: t.diff.shape.length === 4 };
  const any = Object.values(t)[0];
  return { rank: undefined, outFeatures: any?.shape[0], inFeatures: Number.isNaN(product(any?.shape, 1)) ? undefined : product(any?.shape, 1), kernel: 1, conv: false };
}

/** Groups tensors by module. Pure: works on the header only. */
export function scanModules(tensors: readonly TensorInfo[]): ModuleScan {
  const groups = new Map<string, { tensors: Record<string, TensorInfo>; rules: SuffixRule[] }>();
  const unrecognised: TensorInfo[] = [];
  const iaWeights = new Map<string, TensorInfo>();
  for (const t of tensors) {
    const r = roleOf(t.name);
    if (!r) {
      if (t.name.endsWith('.weight')) iaWeights.set(t.name.slice(0, -'.weight'.length), t);
      else unrecognised.push(t);
      continue;
    }
    let g = groups.get(r.module);
    if (!g) groups.set(r.module, (g = { tensors: Object.create(null) as Record<string, TensorInfo>, rules: [] }));
    g.tensors[r.rule.role] = t;
    g.rules.push(r.rule);
  }
  for (const [name, t] of iaWeights) {
    const g = groups.get(name);
    if (g && g.tensors.on_input) {
      g.tensors.weight = t;
      continue;
    }
    unrecognised.push(t);
  }
  const modules: LoraModule[] = [];
  for (const [name, g] of groups) {
    const main = g.rules.find((r) => r.role !== 'alpha' && r.role !== 'dora');
    if (!main) {
      for (const t of Object.values(g.tensors)) unrecognised.push(t);
      continue;
    }
    const kind = main.kind;
    const style = kind === 'lora' ? (g.rules.find((r) => r.role === 'down' || r.role === 'up')?.style ?? 'kohya') : 'lycoris';
    const shape = kind === 'lora' ? describeLora(name, g.tensors) : describeOther(kind, g.tensors);
    let moduleName = name;
    if (style === 'diffusers-processor') moduleName = name;
    modules.push({ name: moduleName, kind, style, nameForm: nameFormOf(name), tensors: g.tensors, ...shape });
  }
  return { modules, unrecognised };
}

/** Normalises diffusers attention-processor names (…attn1.processor.to_q → …attn1.to_q). */
function unprocess(p: string): string {
  return p.replace(/\.processor\.(to_q|to_k|to_v)$/, '.$1').replace(/\.processor\.to_out$/, '.to_out.0');
}

/** The layout module a LoRA module targets in `layout`, if its name is one of the known spellings. */
export function resolveModule(layout: Layout, name: string): LayoutModule | undefined {
  const direct = layout.byKohya.get(name);
  if (direct) return direct;
  if (name.startsWith('lycoris_')) return layout.byKohya.get(`lora_unet_${name.slice('lycoris_'.length)}`);
  if (name.startsWith('lora_te_') && layout.arch === 'sdxl') return layout.byKohya.get(`lora_te1_${name.slice('lora_te_'.length)}`);
  if (name.startsWith('lora_te1_') && layout.arch !== 'sdxl') return layout.byKohya.get(`lora_te_${name.slice('lora_te1_'.length)}`);
  let m = /^(unet|text_encoder|text_encoder_2|base_model\.model)\.(.+)$/.exec(name);
  if (m) {
    const part: Part = m[1] === 'text_encoder' ? 'te1' : m[1] === 'text_encoder_2' ? 'te2' : 'unet';
    return layout.byDiffusers.get(`${part}:${part === 'unet' ? unprocess(m[2] as string) : m[2]}`);
  }
  if (/^(down_blocks|up_blocks|mid_block)\./.test(name)) return layout.byDiffusers.get(`unet:${unprocess(name)}`);
  m = /^(?:model\.)?diffusion_model\.(.+)$/.exec(name);
  if (m) return layout.bySgm.get(`model.diffusion_model.${m[1]}`);
  return undefined;
}

/** Whether a module's shape matches the layout module it resolved to. */
export function shapeFits(module: LoraModule, target: LayoutModule): boolean {
  if (module.outFeatures === undefined || module.inFeatures === undefined) return true;
  return module.outFeatures === target.outFeatures && module.inFeatures === target.inFeatures && (module.kernel === target.kernel || !module.conv);
}

export type DetectedArch = ArchId | 'flux' | 'sd3' | 'unknown';

export interface ArchDetection {
  readonly arch: DetectedArch;
  readonly label: string;
  /** Modules matched to the layout of `arch`, by module name. */
  readonly matched: ReadonlyMap<string, LayoutModule>;
  /** What the decision rests on, for people. */
  readonly evidence: string;
  /** What the metadata claims, when it says. */
  readonly metadataArch?: DetectedArch;
}

const ARCH_LABELS: Record<DetectedArch, string> = { sdxl: 'SDXL', sd1: 'SD 1.x', sd2: 'SD 2.x', flux: 'FLUX.1', sd3: 'SD3', unknown: 'unknown' };

export function archLabel(arch: DetectedArch): string {
  return ARCH_LABELS[arch];
}

/** The architecture the metadata claims (ss_base_model_version, modelspec.architecture, ss_v2). */
export function archFromMetadata(metadata: Readonly<Record<string, string>>): DetectedArch | undefined {
  const base = (metadata.ss_base_model_version ?? '').toLowerCase();
  const spec = (metadata['modelspec.architecture'] ?? '').toLowerCase();
  if (base.startsWith('sdxl') || spec.startsWith('stable-diffusion-xl')) return 'sdxl';
  if (base.startsWith('flux') || spec.startsWith('flux')) return 'flux';
  if (base.startsWith('sd3') || spec.startsWith('stable-diffusion-3')) return 'sd3';
  if (base.startsWith('sd_v2') || spec.startsWith('stable-diffusion-v2') || metadata.ss_v2 === 'True') return 'sd2';
  if (base.startsWith('sd_v1') || spec.startsWith('stable-diffusion-v1')) return 'sd1';
  return undefined;
}

/**
 * Decides the base architecture from the module names and shapes (cross-attention context
 * width 2048 / 768 / 1024 tells SDXL / SD1 / SD2 apart), falling back to the metadata.
 */
export function detectArchitecture(modules: readonly LoraModule[], metadata: Readonly<Record<string, string>>): ArchDetection {
  const metadataArch = archFromMetadata(metadata);
  let best: { arch: ArchId; matched: Map<string, LayoutModule>; score: number } | undefined;
  for (const arch of Object.keys(ARCHS) as ArchId[]) {
    const layout = layoutFor(arch);
    const matched = new Map<string, LayoutModule>();
    let exact = 0;
    for (const m of modules) {
      const target = resolveModule(layout, m.name);
      if (target && shapeFits(m, target)) {
        matched.set(m.name, target);
        // A name this architecture's trainers write as is beats one a loader merely tolerates
        // (SD1's lora_te_ also maps onto SDXL's first text encoder).
        if (layout.byKohya.get(m.name) === target || !m.name.startsWith('lora_')) exact++;
      }
    }
    const score = matched.size * 2 + exact;
    if (!best || score > best.score) best = { arch, matched, score };
  }
  const meta = metadataArch ? { metadataArch } : {};
  if (best && best.matched.size > 0) {
    return { arch: best.arch, label: ARCH_LABELS[best.arch], matched: best.matched, evidence: `${best.matched.size} of ${modules.length} modules match the ${ARCH_LABELS[best.arch]} layout (names and shapes)`, ...meta };
  }
  const names = modules.map((m) => m.name).join('\n');
  if (/double_blocks|single_blocks|single_transformer_blocks/.test(names)) return { arch: 'flux', label: ARCH_LABELS.flux, matched: new Map(), evidence: 'module names have FLUX double/single blocks', ...meta };
  if (/joint_blocks|context_block/.test(names)) return { arch: 'sd3', label: ARCH_LABELS.sd3, matched: new Map(), evidence: 'module names have SD3 joint blocks', ...meta };
  if (metadataArch) return { arch: metadataArch, label: ARCH_LABELS[metadataArch], matched: new Map(), evidence: 'from the metadata only (no module matched a known layout)', metadataArch };
  return { arch: 'unknown', label: ARCH_LABELS.unknown, matched: new Map(), evidence: 'no module matched a known layout and the metadata does not say' };
}

export type { ArchId, LayoutModule, Part };

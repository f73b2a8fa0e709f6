/**
 * The LoRA-targetable modules of the base architectures tack knows, with every name a module
 * goes by: the kohya name sd-scripts writes (sd-scripts.md 7.1: prefix + module path with "."
 * -> "_"), the other kohya spelling loaders also accept, the diffusers path, the key of its
 * weight in a single-file checkpoint, and its shape. Generated from the U-Net/CLIP structure:
 * SDXL (channels 320/640/1280, transformer depth 0/2/10, mid 10, context 2048; CLIP-L 12
 * layers + bigG 32 layers) gives the 722 U-Net + 72 + 192 text-encoder modules of
 * sd-scripts.md 7.1, and with the LoCon conv targets 788 U-Net modules.
 */

export type Part = 'unet' | 'te1' | 'te2';
export type ArchId = 'sdxl' | 'sd1' | 'sd2';

export interface LayoutModule {
  readonly part: Part;
  /** The kohya name sd-scripts writes for this architecture. */
  readonly kohya: string;
  /** The other kohya spelling (diffusers-style for SDXL, checkpoint-style for SD1/2). */
  readonly kohyaAlt: string;
  /** Path inside the diffusers component (unet / text_encoder / text_encoder_2). */
  readonly diffusers: string;
  /** Path inside the single-file checkpoint's model, without ".weight". */
  readonly sgm: string;
  /** Key of the weight in a single-file checkpoint, and the rows it occupies when fused (CLIP-G q/k/v). */
  readonly baseKey: string;
  readonly baseRows?: readonly [number, number];
  readonly outFeatures: number;
  readonly inFeatures: number;
  /** 1 for linear layers and 1x1 convolutions, 3 for 3x3 convolutions. */
  readonly kernel: number;
  readonly conv: boolean;
  /** Only trained with LoCon (conv_dim) in sd-scripts. */
  readonly loconOnly: boolean;
}

interface UnetConfig {
  readonly channels: readonly number[];
  readonly depth: readonly number[];
  readonly midDepth: number;
  readonly layersPerBlock: number;
  readonly context: number;
  readonly linearProj: boolean;
  /** Kohya names follow the checkpoint ("sgm") layout (SDXL) or the diffusers one (SD1/2). */
  readonly kohyaStyle: 'sgm' | 'diffusers';
}

interface TextConfig {
  readonly part: Part;
  readonly kohyaPrefix: string;
  readonly layers: number;
  readonly width: number;
  readonly mlp: number;
  /** Checkpoint key prefix; "openclip" layers fuse q/k/v in attn.in_proj_weight. */
  readonly basePrefix: string;
  readonly openclip: boolean;
}

interface ArchConfig {
  readonly label: string;
  readonly unet: UnetConfig;
  readonly text: readonly TextConfig[];
}

export const ARCHS: Readonly<Record<ArchId, ArchConfig>> = {
  sdxl: {
    label: 'SDXL',
    unet: { channels: [320, 640, 1280], depth: [0, 2, 10], midDepth: 10, layersPerBlock: 2, context: 2048, linearProj: true, kohyaStyle: 'sgm' },
    text: [
      { part: 'te1', kohyaPrefix: 'lora_te1_', layers: 12, width: 768, mlp: 3072, basePrefix: 'conditioner.embedders.0.transformer.text_model.encoder.layers', openclip: false },
      { part: 'te2', kohyaPrefix: 'lora_te2_', layers: 32, width: 1280, mlp: 5120, basePrefix: 'conditioner.embedders.1.model.transformer.resblocks', openclip: true },
    ],
  },
  sd1: {
    label: 'SD 1.x',
    unet: { channels: [320, 640, 1280, 1280], depth: [1, 1, 1, 0], midDepth: 1, layersPerBlock: 2, context: 768, linearProj: false, kohyaStyle: 'diffusers' },
    text: [{ part: 'te1', kohyaPrefix: 'lora_te_', layers: 12, width: 768, mlp: 3072, basePrefix: 'cond_stage_model.transformer.text_model.encoder.layers', openclip: false }],
  },
  sd2: {
    label: 'SD 2.x',
    unet: { channels: [320, 640, 1280, 1280], depth: [1, 1, 1, 0], midDepth: 1, layersPerBlock: 2, context: 1024, linearProj: true, kohyaStyle: 'diffusers' },
    text: [{ part: 'te1', kohyaPrefix: 'lora_te_', layers: 23, width: 1024, mlp: 4096, basePrefix: 'cond_stage_model.model.transformer.resblocks', openclip: true }],
  },
};

const TEXT_TARGETS = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.out_proj', 'mlp.fc1', 'mlp.fc2'] as const;

function us(p: string): string {
  return p.replace(/\./g, '_');
}

function buildUnet(config: UnetConfig): LayoutModule[] {
  const out: LayoutModule[] = [];
  const { channels, depth, layersPerBlock: lpb } = config;
  const n = channels.length;
  const timeDim = channels[0]! * 4;
  const add = (sgm: string, diffusers: string, outF: number, inF: number, kernel: number, conv: boolean, loconOnly: boolean) => {
    const sgmName = `lora_unet_${us(sgm)}`;
    const diffName = `lora_unet_${us(diffusers)}`;
    out.push({
      part: 'unet',
      kohya: config.kohyaStyle === 'sgm' ? sgmName : diffName,
      kohyaAlt: config.kohyaStyle === 'sgm' ? diffName : sgmName,
      diffusers,
      sgm,
      baseKey: `model.diffusion_model.${sgm}.weight`,
      outFeatures: outF,
      inFeatures: inF,
      kernel,
      conv,
      loconOnly,
    });
  };
  const transformer = (sgm: string, diff: string, c: number, d: number) => {
    add(`${sgm}.proj_in`, `${diff}.proj_in`, c, c, 1, !config.linearProj, false);
    for (let b = 0; b < d; b++) {
      const s = `${sgm}.transformer_blocks.${b}`;
      const f = `${diff}.transformer_blocks.${b}`;
      for (const attn of ['attn1', 'attn2']) {
        const kv = attn === 'attn2' ? config.context : c;
        add(`${s}.${attn}.to_q`, `${f}.${attn}.to_q`, c, c, 1, false, false);
        add(`${s}.${attn}.to_k`, `${f}.${attn}.to_k`, c, kv, 1, false, false);
        add(`${s}.${attn}.to_v`, `${f}.${attn}.to_v`, c, kv, 1, false, false);
        add(`${s}.${attn}.to_out.0`, `${f}.${attn}.to_out.0`, c, c, 1, false, false);
      }
      add(`${s}.ff.net.0.proj`, `${f}.ff.net.0.proj`, 8 * c, c, 1, false, false);
      add(`${s}.ff.net.2`, `${f}.ff.net.2`, c, 4 * c, 1, false, false);
    }
    add(`${sgm}.proj_out`, `${diff}.proj_out`, c, c, 1, !config.linearProj, false);
  };
  const resnet = (sgm: string, diff: string, inC: number, outC: number) => {
    add(`${sgm}.in_layers.2`, `${diff}.conv1`, outC, inC, 3, true, true);
    add(`${sgm}.emb_layers.1`, `${diff}.time_emb_proj`, outC, timeDim, 1, false, true);
    add(`${sgm}.out_layers.3`, `${diff}.conv2`, outC, outC, 3, true, true);
    if (inC !== outC) add(`${sgm}.skip_connection`, `${diff}.conv_shortcut`, outC, inC, 1, true, true);
  };
  const skips: number[] = [channels[0]!];
  let cur = channels[0]!;
  for (let level = 0; level < n; level++) {
    const c = channels[level]!;
    for (let j = 0; j < lpb; j++) {
      const index = 1 + level * (lpb + 1) + j;
      resnet(`input_blocks.${index}.0`, `down_blocks.${level}.resnets.${j}`, cur, c);
      cur = c;
      if (depth[level]! > 0) transformer(`input_blocks.${index}.1`, `down_blocks.${level}.attentions.${j}`, c, depth[level]!);
      skips.push(c);
    }
    if (level < n - 1) {
      const index = 1 + level * (lpb + 1) + lpb;
      add(`input_blocks.${index}.0.op`, `down_blocks.${level}.downsamplers.0.conv`, c, c, 3, true, true);
      skips.push(c);
    }
  }
  const mid = channels[n - 1]!;
  resnet('middle_block.0', 'mid_block.resnets.0', mid, mid);
  transformer('middle_block.1', 'mid_block.attentions.0', mid, config.midDepth);
  resnet('middle_block.2', 'mid_block.resnets.1', mid, mid);
  for (let up = 0; up < n; up++) {
    const level = n - 1 - up;
    const c = channels[level]!;
    const d = depth[level]!;
    for (let j = 0; j <= lpb; j++) {
      const index = up * (lpb + 1) + j;
      const inC = cur + skips.pop()!;
      resnet(`output_blocks.${index}.0`, `up_blocks.${up}.resnets.${j}`, inC, c);
      cur = c;
      if (d > 0) transformer(`output_blocks.${index}.1`, `up_blocks.${up}.attentions.${j}`, c, d);
      if (j === lpb && up < n - 1) add(`output_blocks.${index}.${d > 0 ? 2 : 1}.conv`, `up_blocks.${up}.upsamplers.0.conv`, c, c, 3, true, true);
    }
  }
  return out;
}

function buildText(config: TextConfig): LayoutModule[] {
  const out: LayoutModule[] = [];
  for (let i = 0; i < config.layers; i++) {
    for (const target of TEXT_TARGETS) {
      const diffusers = `text_model.encoder.layers.${i}.${target}`;
      const isFc1 = target === 'mlp.fc1';
      const isFc2 = target === 'mlp.fc2';
      const outF = isFc1 ? config.mlp : config.width;
      const inF = isFc2 ? config.mlp : config.width;
      let baseKey = `${config.basePrefix}.${i}.${target}.weight`;
      let baseRows: [number, number] | undefined;
      if (config.openclip) {
        const qkv = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj'].indexOf(target);
        if (qkv >= 0) {
          baseKey = `${config.basePrefix}.${i}.attn.in_proj_weight`;
          baseRows = [qkv * config.width, (qkv + 1) * config.width];
        } else if (target === 'self_attn.out_proj') baseKey = `${config.basePrefix}.${i}.attn.out_proj.weight`;
        else baseKey = `${config.basePrefix}.${i}.mlp.${isFc1 ? 'c_fc' : 'c_proj'}.weight`;
      }
      const kohya = `${config.kohyaPrefix}${us(diffusers)}`;
      out.push({ part: config.part, kohya, kohyaAlt: kohya, diffusers, sgm: baseKey.replace(/\.weight$/, ''), baseKey, ...(baseRows ? { baseRows } : {}), outFeatures: outF, inFeatures: inF, kernel: 1, conv: false, loconOnly: false });
    }
  }
  return out;
}

export interface Layout {
  readonly arch: ArchId;
  readonly label: string;
  readonly modules: readonly LayoutModule[];
  /** By kohya name (both spellings). */
  readonly byKohya: ReadonlyMap<string, LayoutModule>;
  /** By "<part>:<diffusers path>". */
  readonly byDiffusers: ReadonlyMap<string, LayoutModule>;
  /** By checkpoint path (model.diffusion_model.x / text encoder path), without ".weight". */
  readonly bySgm: ReadonlyMap<string, LayoutModule>;
}

const cache = new Map<ArchId, Layout>();

export function layoutFor(arch: ArchId): Layout {
  let layout = cache.get(arch);
  if (!layout) {
    const config = ARCHS[arch];
    const modules = [...config.text.flatMap(buildText), ...buildUnet(config.unet)];
    const byKohya = new Map<string, LayoutModule>();
    const byDiffusers = new Map<string, LayoutModule>();
    const bySgm = new Map<string, LayoutModule>();
    for (const m of modules) {
      byKohya.set(m.kohya, m);
      byKohya.set(m.kohyaAlt, m);
      byDiffusers.set(`${m.part}:${m.diffusers}`, m);
      bySgm.set(m.part === 'unet' ? `model.diffusion_model.${m.sgm}` : m.sgm, m);
    }
    layout = { arch, label: config.label, modules, byKohya, byDiffusers, bySgm };
    cache.set(arch, layout);
  }
  return layout;
}

/** The diffusers component prefix of a part (as in diffusers' save_lora_weights). */
export const DIFFUSERS_PREFIX: Readonly<Record<Part, string>> = { unet: 'unet', te1: 'text_encoder', te2: 'text_encoder_2' };

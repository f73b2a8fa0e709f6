/**
 * Recognises the base model from its safetensors header alone (8-byte little-endian length,
 * then a JSON object of tensor names, dtypes and shapes), so a 7 GB checkpoint is checked by
 * reading a few hundred kilobytes. SDXL checkpoints in the original layout (which sd-scripts
 * loads and saves: sdxl_model_util.py) have both text encoders under `conditioner.embedders.0`
 * (CLIP-L) and `conditioner.embedders.1` (OpenCLIP bigG) and a U-Net whose class embedding
 * takes 2816 inputs (pooled 1280 + size embeddings 1536, sd-scripts.md 3). Pony Diffusion and
 * its derivatives are SDXL checkpoints.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { finding, type Finding } from '../../core/index.js';

export type ModelKind = 'sdxl' | 'sd1' | 'sd2' | 'sd3' | 'flux' | 'lora' | 'unknown';

export interface BaseModelInfo {
  readonly file: string;
  readonly format: 'safetensors' | 'diffusers' | 'other';
  readonly kind: ModelKind;
  readonly sizeBytes: number;
  readonly tensorCount?: number;
  /** What the decision rests on, in words. */
  readonly evidence: string;
  /** `modelspec.prediction_type` when the file says "v" (needs --v_parameterization). */
  readonly vPrediction?: boolean;
  readonly metadataArchitecture?: string;
}

/** Largest header tack reads (real SDXL headers are ~200 KB; the format allows up to 100 MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export class BaseModelError extends Error {}

async function readSafetensorsHeader(file: string): Promise<{ header: Record<string, unknown>; sizeBytes: number }> {
  const handle = await fsp.open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 8) throw new BaseModelError(`${file} is ${size} bytes: too small to be a safetensors file.`);
    const lengthBuf = Buffer.alloc(8);
    await handle.read(lengthBuf, 0, 8, 0);
    const length = lengthBuf.readBigUInt64LE(0);
    if (length < 2n || length > BigInt(Math.min(MAX_HEADER_BYTES, size - 8))) {
      throw new BaseModelError(`${file} does not start with a valid safetensors header (header length ${length}).`);
    }
    const headerBuf = Buffer.alloc(Number(length));
    await handle.read(headerBuf, 0, headerBuf.length, 8);
    let header: unknown;
    try {
      header = JSON.parse(headerBuf.toString('utf8'));
    } catch {
      throw new BaseModelError(`${file} has a damaged safetensors header (not JSON).`);
    }
    if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new BaseModelError(`${file} has a damaged safetensors header.`);
    return { header: header as Record<string, unknown>, sizeBytes: size };
  } finally {
    await handle.close();
  }
}

/** Classifies a checkpoint from its tensor names and shapes. */
export function classifyTensors(names: readonly string[], shapeOf: (name: string) => readonly number[] | undefined): { kind: ModelKind; evidence: string } {
  const has = (prefix: string) => names.some((n) => n.startsWith(prefix));
  if (has('lora_unet_') || has('lora_te') || names.some((n) => n.includes('.lora_down.') || n.includes('.lora_A.'))) return { kind: 'lora', evidence: 'LoRA tensors (lora_unet_ / lora_down)' };
  if (has('double_blocks.') || has('model.diffusion_model.double_blocks.')) return { kind: 'flux', evidence: 'FLUX double_blocks' };
  if (has('model.diffusion_model.joint_blocks.') || has('joint_blocks.')) return { kind: 'sd3', evidence: 'SD3 joint_blocks' };
  const labelEmb = shapeOf('model.diffusion_model.label_emb.0.0.weight');
  if (has('conditioner.embedders.1.') && has('model.diffusion_model.')) {
    return { kind: 'sdxl', evidence: `SDXL layout: conditioner.embedders.0/1 text encoders${labelEmb ? `, label_emb ${labelEmb.join('x')}` : ''}` };
  }
  if (labelEmb && labelEmb[1] === 2816) return { kind: 'sdxl', evidence: 'SDXL U-Net (label_emb takes 2816 inputs)' };
  if (has('cond_stage_model.model.')) return { kind: 'sd2', evidence: 'SD 2.x text encoder (cond_stage_model.model)' };
  if (has('cond_stage_model.transformer.')) return { kind: 'sd1', evidence: 'SD 1.x text encoder (cond_stage_model.transformer)' };
  return { kind: 'unknown', evidence: `no known checkpoint layout among ${names.length} tensors` };
}

/** Reads the model's header (or diffusers folder index) and says what it is. */
export async function inspectBaseModel(file: string): Promise<BaseModelInfo> {
  const stat = await fsp.stat(file);
  if (stat.isDirectory()) {
    const index = path.join(file, 'model_index.json');
    let cls: string | undefined;
    try {
      cls = (JSON.parse(await fsp.readFile(index, 'utf8')) as { _class_name?: string })._class_name;
    } catch {
      throw new BaseModelError(`${file} is a folder without model_index.json: not a diffusers model.`);
    }
    const kind: ModelKind = cls?.includes('XL') ? 'sdxl' : cls === 'StableDiffusionPipeline' ? 'sd1' : 'unknown';
    return { file, format: 'diffusers', kind, sizeBytes: 0, evidence: `diffusers ${cls ?? 'pipeline'}` };
  }
  if (!/\.safetensors$/i.test(file)) {
    return { file, format: 'other', kind: 'unknown', sizeBytes: stat.size, evidence: `${path.extname(file) || 'no extension'}: only .safetensors headers can be read without loading the model` };
  }
  const { header, sizeBytes } = await readSafetensorsHeader(file);
  return describeSafetensorsHeader(file, header, sizeBytes);
}

/** What a safetensors header (already parsed) says about the model; `file` only names it (a remote reads the header there). */
export function describeSafetensorsHeader(file: string, header: Record<string, unknown>, sizeBytes: number): BaseModelInfo {
  const meta = (header.__metadata__ ?? {}) as Record<string, unknown>;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const shapeOf = (name: string) => {
    const entry = header[name] as { shape?: number[] } | undefined;
    return Array.isArray(entry?.shape) ? entry.shape : undefined;
  };
  const { kind, evidence } = classifyTensors(names, shapeOf);
  const arch = typeof meta['modelspec.architecture'] === 'string' ? (meta['modelspec.architecture'] as string) : undefined;
  return {
    file,
    format: 'safetensors',
    kind,
    sizeBytes,
    tensorCount: names.length,
    evidence,
    ...(meta['modelspec.prediction_type'] === 'v' ? { vPrediction: true } : {}),
    ...(arch ? { metadataArchitecture: arch } : {}),
  };
}

const KIND_NAMES: Record<ModelKind, string> = {
  sdxl: 'an SDXL checkpoint',
  sd1: 'a Stable Diffusion 1.x checkpoint',
  sd2: 'a Stable Diffusion 2.x checkpoint',
  sd3: 'an SD3 checkpoint',
  flux: 'a FLUX checkpoint',
  lora: 'a LoRA, not a base model',
  unknown: 'not a checkpoint tack recognises',
};

/** Findings about a base model for doctor and train. */
export function checkBaseModel(info: BaseModelInfo): Finding[] {
  const subject = info.file;
  if (info.kind === 'sdxl') {
    const out = [finding('info', 'ENGINE_MODEL_SDXL', `${path.basename(info.file)} is ${KIND_NAMES.sdxl} (${info.evidence}).`, { subject })];
    if (info.vPrediction) {
      out.push(finding('warning', 'ENGINE_MODEL_V_PRED', `${path.basename(info.file)} says it is a v-prediction model; add "v_parameterization=true" to [train] extra_args.`, { subject, fix: 'extra_args = ["v_parameterization=true"]' }));
    }
    return out;
  }
  if (info.format === 'other') {
    return [finding('warning', 'ENGINE_MODEL_UNCHECKED', `${path.basename(info.file)}: ${info.evidence}.`, { subject, fix: 'Use the .safetensors version of the checkpoint if there is one.' })];
  }
  return [
    finding('error', 'ENGINE_MODEL_NOT_SDXL', `${path.basename(info.file)} is ${KIND_NAMES[info.kind]} (${info.evidence}); tack trains SDXL LoRAs (Pony is SDXL).`, {
      subject,
      fix: info.kind === 'lora' ? 'Set base_model to the checkpoint you generate with, e.g. ponyRealism_V22.safetensors.' : 'Set base_model in tack.toml to an SDXL or Pony checkpoint.',
    }),
  ];
}

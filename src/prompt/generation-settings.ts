/**
 * Generation settings from a PNG's text chunks, whichever tool wrote them:
 *  - A1111 / Forge (and tack): `parameters`, the infotext;
 *  - ComfyUI: `prompt`, the API-format workflow (KSampler, CLIPTextEncode, LoraLoader ... nodes);
 *  - sd-scripts' sdxl_gen_img.py: `prompt`, `negative-prompt`, `seed`, `sampler`, `steps`, `scale`.
 */
import { extractExtraNetworks } from './a1111-prompt.js';
import { promptErrors } from './errors.js';
import { parseInfotext, type Infotext } from './infotext.js';
import { readPngText } from './png-text.js';

export type SettingsSource = 'a1111' | 'comfyui' | 'sd-scripts';

export interface GenerationSettings {
  readonly source: SettingsSource;
  readonly settings: Infotext;
  /** Every text chunk, keyword -> text. */
  readonly chunks: Readonly<Record<string, string>>;
}

type Node = { class_type?: string; inputs?: Record<string, unknown> };

function linkedNode(graph: Record<string, Node>, value: unknown): Node | undefined {
  return Array.isArray(value) && typeof value[0] === 'string' ? graph[value[0]] : undefined;
}

function textOf(graph: Record<string, Node>, value: unknown, depth = 0): string | undefined {
  const node = linkedNode(graph, value);
  if (!node || depth > 8) return undefined;
  const text = node.inputs?.text ?? node.inputs?.text_g;
  if (typeof text === 'string') return text;
  return textOf(graph, node.inputs?.conditioning ?? node.inputs?.conditioning_1, depth + 1);
}

/** Settings from a ComfyUI API-format graph (the `prompt` chunk). */
export function parseComfyGraph(graph: Record<string, Node>): Infotext {
  const nodes = Object.values(graph);
  const sampler = nodes.find((n) => n.class_type === 'KSampler' || n.class_type === 'KSamplerAdvanced');
  const si = sampler?.inputs ?? {};
  const latent = linkedNode(graph, si.latent_image)?.inputs ?? nodes.find((n) => n.class_type === 'EmptyLatentImage')?.inputs ?? {};
  const ckpt = nodes.find((n) => n.class_type === 'CheckpointLoaderSimple')?.inputs?.ckpt_name;
  const clipSkip = nodes.find((n) => n.class_type === 'CLIPSetLastLayer')?.inputs?.stop_at_clip_layer;
  const loras = nodes
    .filter((n) => n.class_type === 'LoraLoader' || n.class_type === 'LoraLoaderModelOnly')
    .map((n) => {
      const name = String(n.inputs?.lora_name ?? '').replace(/\.safetensors$/, '');
      const weight = Number(n.inputs?.strength_model ?? 1);
      return { type: 'lora', name, weight, args: [], raw: `<lora:${name}:${weight}>` };
    });
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const fields: Record<string, unknown> = {
    steps: num(si.steps),
    sampler: typeof si.sampler_name === 'string' ? si.sampler_name : undefined,
    scheduleType: typeof si.scheduler === 'string' ? si.scheduler : undefined,
    cfgScale: num(si.cfg),
    seed: num(si.seed ?? si.noise_seed),
    width: num(latent.width),
    height: num(latent.height),
    clipSkip: typeof clipSkip === 'number' ? -clipSkip : undefined,
    model: typeof ckpt === 'string' ? ckpt : undefined,
  };
  return {
    prompt: textOf(graph, si.positive) ?? '',
    negativePrompt: textOf(graph, si.negative) ?? '',
    params: {},
    loras,
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
  } as Infotext;
}

function fromSdScriptsChunks(chunks: Record<string, string>): Infotext {
  const num = (k: string) => (chunks[k] !== undefined && Number.isFinite(Number(chunks[k])) ? Number(chunks[k]) : undefined);
  const prompt = chunks.prompt ?? '';
  const fields: Record<string, unknown> = { steps: num('steps'), sampler: chunks.sampler, cfgScale: num('scale'), seed: num('seed') };
  return {
    prompt,
    negativePrompt: chunks['negative-prompt'] ?? '',
    params: {},
    loras: extractExtraNetworks(prompt).networks.filter((n) => n.type === 'lora'),
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
  } as Infotext;
}

export function readGenerationSettings(bytes: Uint8Array, name = 'the image'): GenerationSettings {
  const chunks = readPngText(bytes, name);
  if (chunks.parameters !== undefined) return { source: 'a1111', settings: parseInfotext(chunks.parameters), chunks };
  if (chunks.prompt !== undefined) {
    try {
      const graph = JSON.parse(chunks.prompt) as unknown;
      if (graph && typeof graph === 'object' && !Array.isArray(graph)) return { source: 'comfyui', settings: parseComfyGraph(graph as Record<string, Node>), chunks };
    } catch {
      /* not JSON: sd-scripts writes the prompt text itself */
    }
    return { source: 'sd-scripts', settings: fromSdScriptsChunks(chunks), chunks };
  }
  throw promptErrors.create('PROMPT_NO_INFOTEXT', `${name} holds no generation settings${Object.keys(chunks).length ? ` (its text chunks: ${Object.keys(chunks).join(', ')})` : ' (no text chunks)'}.`, 'Only images saved by A1111/Forge, ComfyUI, sd-scripts\' generation script or tack carry their settings; screenshots and re-saved copies lose them.', {
    details: { file: name, keywords: Object.keys(chunks) },
  });
}

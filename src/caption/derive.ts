/**
 * From a model's kept output to the caption written (pure): the engine's tag selection or the
 * sentence cleanup, then the recipe's rules, then the user's tag edits, then the rules once
 * more so the trigger stays first whatever the edits did.
 */
import { applyTagEdit } from './edit.js';
import { applyCaptionRules, formatTrainingCaption, type CaptionRuleConfig } from './rules.js';
import { cleanSentence } from './sentence.js';
import type { RawSentenceOutput, RawTaggerOutput, RawTagScore, TagEdit } from './store.js';
import { splitTags } from './tags.js';
import { CATEGORY, type TagLabel } from './wd14/labels.js';
import { selectWd14Tags, type Wd14PostOptions, type Wd14Selection } from './wd14/postprocess.js';

/** Scores kept per photo: every label at or above this, plus the rating scores. */
export const RAW_SCORE_FLOOR = 0.01;

/** The part of one image's scores worth keeping (sparse, in label order). */
export function keepScores(labels: readonly TagLabel[], scores: Float32Array, floor = RAW_SCORE_FLOOR): RawTagScore[] {
  const kept: RawTagScore[] = [];
  for (const label of labels) {
    const score = scores[label.index] as number;
    if (score >= floor || label.category === CATEGORY.rating) kept.push([label.index, label.name, label.category, score]);
  }
  return kept;
}

/** Whether kept scores can serve these thresholds (else the model must run again). */
export function rawServesThresholds(raw: RawTaggerOutput, post: Wd14PostOptions): boolean {
  return Math.fround(post.generalThreshold) >= raw.floor && Math.fround(post.characterThreshold) >= raw.floor;
}

export function selectFromRaw(raw: RawTaggerOutput, post: Wd14PostOptions): Wd14Selection {
  return selectWd14Tags(
    raw.scores.map(([index, name, category, score]) => ({ index, name, category, score })),
    post,
  );
}

function finish(text: string, rules: CaptionRuleConfig, edits: readonly TagEdit[]): string {
  let out = text;
  for (const edit of edits) out = applyTagEdit(out, edit, rules.token);
  return formatTrainingCaption(out, rules).text;
}

export function deriveTagCaption(raw: RawTaggerOutput, post: Wd14PostOptions, rules: CaptionRuleConfig, edits: readonly TagEdit[]): { text: string; selection: Wd14Selection } {
  const selection = selectFromRaw(raw, post);
  // An expanded character tag ("name, series") is two tags in a caption.
  const tags = selection.tags.flatMap((t) => splitTags(t));
  const config = { ...rules, captioner: 'wd14' as const };
  return { text: finish(applyCaptionRules({ kind: 'tags', tags }, config).text, config, edits), selection };
}

/** Undefined when the model's answer has no usable sentence. */
export function deriveSentenceCaption(raw: RawSentenceOutput, rules: CaptionRuleConfig, edits: readonly TagEdit[]): string | undefined {
  const sentence = cleanSentence(raw.text);
  if (sentence === '') return undefined;
  const config = { ...rules, captioner: 'sentence' as const };
  return finish(applyCaptionRules({ kind: 'sentence', text: sentence }, config).text, config, edits);
}

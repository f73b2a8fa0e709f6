/**
 * Turning tagger scores into tags exactly as the engine's tagging script does
 * (tag_images_by_wd14_tagger.py; sd-scripts.md 8.1):
 * - label names: --character_tag_expand ("name_(series)" -> "name, series"), then
 *   --remove_underscore (only names longer than 3 characters, so "^_^" stays), then
 *   --tag_replacement;
 * - general tags with score >= general threshold, in CSV order; character tags with
 *   score >= character threshold after them (or each inserted first with character_tags_first);
 * - the rating (argmax of the rating scores) first or last when asked;
 * - undesired tags dropped; always-first tags moved to the front one by one, so the last
 *   listed ends up first.
 * Scores are float32; the engine compares them with NumPy 2 rules, i.e. in float32 against the
 * threshold rounded to float32.
 */
import { captionErrors } from '../errors.js';
import { CATEGORY, type TagLabel } from './labels.js';

export type RatingPlacement = 'none' | 'first' | 'last';

export interface Wd14PostOptions {
  readonly generalThreshold: number;
  readonly characterThreshold: number;
  readonly removeUnderscore: boolean;
  readonly characterTagExpand: boolean;
  /** [source, target] pairs, compared with the processed names (after underscore removal). */
  readonly tagReplacements: readonly (readonly [string, string])[];
  readonly undesiredTags: readonly string[];
  readonly alwaysFirstTags: readonly string[];
  readonly ratingTags: RatingPlacement;
  readonly characterTagsFirst: boolean;
}

/** The engine's defaults (--thresh 0.35 for both, nothing removed, no rating). */
export const ENGINE_POST_DEFAULTS: Wd14PostOptions = {
  generalThreshold: 0.35,
  characterThreshold: 0.35,
  removeUnderscore: false,
  characterTagExpand: false,
  tagReplacements: [],
  undesiredTags: [],
  alwaysFirstTags: [],
  ratingTags: 'none',
  characterTagsFirst: false,
};

export interface ScoredLabel extends TagLabel {
  readonly score: number;
}

export interface ScoredTag {
  readonly tag: string;
  readonly score: number;
}

export interface Wd14Selection {
  /** The tags in caption order. A character tag expanded to "name, series" counts as one entry here, as in the engine. */
  readonly tags: readonly string[];
  /** The engine's caption text: the tags joined with ", ". */
  readonly text: string;
  readonly general: readonly ScoredTag[];
  readonly character: readonly ScoredTag[];
  readonly rating?: ScoredTag;
}

const SEPARATOR = ', ';

/** A label's name after the engine's optional rewrites. */
export function processLabelName(label: Pick<TagLabel, 'name' | 'category'>, options: Pick<Wd14PostOptions, 'removeUnderscore' | 'characterTagExpand' | 'tagReplacements'>): string {
  let name = label.name;
  if (options.characterTagExpand && label.category === CATEGORY.character && name.endsWith(')')) {
    const parts = name.split('(');
    let character = parts.slice(0, -1).join('(');
    if (character.endsWith('_')) character = character.slice(0, -1);
    name = `${character}${SEPARATOR}${(parts.at(-1) as string).replace(/\)/g, '')}`;
  }
  if (options.removeUnderscore && name.length > 3) name = name.replace(/_/g, ' ');
  for (const [source, target] of options.tagReplacements) {
    if (name === source) {
      name = target;
      break;
    }
  }
  return name;
}

/** Selects tags from one image's scores (`candidates` in CSV order; missing labels count as 0). */
export function selectWd14Tags(candidates: readonly ScoredLabel[], options: Wd14PostOptions): Wd14Selection {
  const undesired = new Set(options.undesiredTags.map((t) => t.trim()).filter((t) => t !== ''));
  const general: ScoredTag[] = [];
  const character: ScoredTag[] = [];
  const combined: string[] = [];
  const generalThreshold = Math.fround(options.generalThreshold);
  const characterThreshold = Math.fround(options.characterThreshold);
  const ordered = [...candidates].sort((a, b) => a.index - b.index);
  for (const label of ordered) {
    if (label.category === CATEGORY.general && label.score >= generalThreshold) {
      const tag = processLabelName(label, options);
      if (undesired.has(tag)) continue;
      general.push({ tag, score: label.score });
      combined.push(tag);
    } else if (label.category === CATEGORY.character && label.score >= characterThreshold) {
      const tag = processLabelName(label, options);
      if (undesired.has(tag)) continue;
      character.push({ tag, score: label.score });
      if (options.characterTagsFirst) combined.unshift(tag);
      else combined.push(tag);
    }
  }
  let rating: ScoredTag | undefined;
  if (options.ratingTags !== 'none') {
    // numpy argmax: the first of equal maxima.
    let best: ScoredLabel | undefined;
    for (const label of ordered) if (label.category === CATEGORY.rating && (!best || label.score > best.score)) best = label;
    if (best) {
      const tag = processLabelName(best, options);
      if (!undesired.has(tag)) {
        rating = { tag, score: best.score };
        if (options.ratingTags === 'first') combined.unshift(tag);
        else combined.push(tag);
      }
    }
  }
  for (const raw of options.alwaysFirstTags) {
    const tag = raw.trim();
    const at = combined.indexOf(tag);
    if (at >= 0) {
      combined.splice(at, 1);
      combined.unshift(tag);
    }
  }
  return { tags: combined, text: combined.join(SEPARATOR), general, character, ...(rating ? { rating } : {}) };
}

/** Parses "old=new" pairs (tack's form) into replacement pairs; the engine's "old,new;..." form is accepted too. */
export function parseTagReplacements(entries: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at > 0) {
      pairs.push([entry.slice(0, at).trim(), entry.slice(at + 1).trim()]);
      continue;
    }
    const escaped = entry.replace(/\\,/g, '\u0000').replace(/\\;/g, '\u0001');
    for (const part of escaped.split(';')) {
      const [source, target, extra] = part.split(',');
      if (source === undefined || target === undefined || extra !== undefined || source.trim() === '') {
        throw captionErrors.create('CAPTION_BAD_OPTION', `The tag replacement "${entry}" is not "old=new".`, 'Write each replacement as "old=new", e.g. tag_replacements = ["1girl=woman"].', { details: { value: entry } });
      }
      const unescape = (s: string) => s.replace(/\u0000/g, ',').replace(/\u0001/g, ';').trim();
      pairs.push([unescape(source), unescape(target)]);
    }
  }
  return pairs;
}

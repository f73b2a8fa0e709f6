/**
 * The caption rules of the recipe (recipe.md 2) and the engine's caption pitfalls:
 * - a unique trigger token first, followed by a comma (P16: a prefix joined with a space fuses
 *   with the first tag);
 * - class words that fit the captioner: 1girl/1boy with WD14 tags, woman/man with sentences;
 * - no Pony quality tags (score_*, source_*, rating_*) in training captions (P15);
 * - UTF-8, not empty, one line (P14; the engine reads only the first line of a caption file).
 * `checkCaptionText` (check.ts) reports; `formatTrainingCaption` and `applyCaptionRules` fix.
 */
import { dedupeTags, isPonyTag, joinTags, PONY_TAG_IN_TEXT, splitTags, tagKey } from './tags.js';

export type Captioner = 'wd14' | 'sentence' | 'none';

/** The project settings the rules need (a subset of ProjectConfig). */
export interface CaptionRuleConfig {
  readonly token: string;
  readonly class: string;
  readonly captioner: Captioner;
}

export const FEMALE = new Set(['woman', 'girl', 'female', 'lady', '1girl']);
export const MALE = new Set(['man', 'boy', 'male', 'guy', '1boy']);
export const FEMALE_TAGS = new Set(['1girl', '2girls', '3girls', 'multiple girls']);
export const MALE_TAGS = new Set(['1boy', '2boys', '3boys', 'multiple boys']);

/** The class tag WD14 captions use for a class word: woman -> 1girl, man -> 1boy, others unchanged. */
export function classTagFor(className: string): string {
  const key = className.trim().toLowerCase();
  if (FEMALE.has(key)) return '1girl';
  if (MALE.has(key)) return '1boy';
  return className.trim();
}

/** The class word sentence captions use: 1girl -> woman, 1boy -> man, others unchanged. */
export function classSentenceWordFor(className: string): string {
  const key = className.trim().toLowerCase();
  if (key === '1girl') return 'woman';
  if (key === '1boy') return 'man';
  return className.trim();
}

/** The class word in the captioner's form (the class as written for `none`). */
export function classWordFor(className: string, captioner: Captioner): string {
  if (captioner === 'wd14') return classTagFor(className);
  if (captioner === 'sentence') return classSentenceWordFor(className);
  return className.trim();
}

/** The caption of a photo that has none: trigger, a comma, the class word (P16). */
export function defaultCaption(config: CaptionRuleConfig): string {
  return `${config.token}, ${classWordFor(config.class, config.captioner)}`;
}

/** A case-insensitive whole-word match of `word`. */
export function wordPattern(word: string): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}_])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}_])`, 'iu');
}

export function lines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

export interface FormattedCaption {
  /** One line, no trailing newline. */
  readonly text: string;
  /** What was changed, in words (empty when the caption already followed the rules). */
  readonly changes: readonly string[];
}

function placeTriggerInTags(tags: string[], token: string, changes: string[]): string[] {
  const lower = token.toLowerCase();
  const out: string[] = [];
  for (const tag of tags) {
    if (tag.toLowerCase().startsWith(`${lower} `)) {
      const rest = tag.slice(token.length).trim();
      changes.push(`separated the trigger from "${rest}" with a comma (a space fuses them into one tag, P16)`);
      out.push(token, rest);
    } else {
      out.push(tag);
    }
  }
  const index = out.findIndex((t) => t.toLowerCase() === lower);
  if (index === 0) {
    out[0] = token;
    return out;
  }
  if (index > 0) {
    out.splice(index, 1);
    changes.push(`moved the trigger "${token}" to the front`);
  } else {
    changes.push(`added the trigger "${token}" first`);
  }
  return [token, ...out.filter((t) => t.toLowerCase() !== lower)];
}

function placeTriggerInSentence(text: string, token: string, changes: string[]): string {
  const lower = token.toLowerCase();
  const head = text.slice(0, token.length).toLowerCase();
  if (head === lower) {
    const rest = text.slice(token.length);
    if (rest.startsWith(',')) return `${token}, ${rest.slice(1).trim()}`.trim().replace(/,$/, '');
    if (rest === '') return token;
    if (/^\s/.test(rest)) {
      changes.push('put a comma after the trigger (a space fuses it with the next word, P16)');
      return `${token}, ${rest.trim()}`;
    }
  }
  const pattern = wordPattern(token);
  if (pattern.test(text)) {
    changes.push(`moved the trigger "${token}" to the front`);
    text = text.replace(pattern, '').replace(/\s{2,}/g, ' ').replace(/\s+([,.])/g, '$1').trim();
  } else {
    changes.push(`added the trigger "${token}" first`);
  }
  return `${token}, ${text}`;
}

/**
 * Applies the rules to a caption file's text before it is written into the training dataset:
 * BOM dropped, one line, Pony quality tags removed, the trigger first followed by a comma, no
 * repeated tags. An empty caption becomes `defaultCaption`.
 */
export function formatTrainingCaption(text: string, config: CaptionRuleConfig): FormattedCaption {
  const changes: string[] = [];
  let body = text;
  if (body.startsWith('\uFEFF')) {
    body = body.slice(1);
    changes.push('dropped the byte-order mark');
  }
  const sentence = config.captioner === 'sentence';
  const parts = lines(body).map((l) => l.trim()).filter((l) => l !== '');
  if (parts.length > 1) changes.push(`joined ${parts.length} lines into one (the engine reads only the first line)`);
  body = parts.join(sentence ? ' ' : ', ').replace(/\s+/g, ' ').trim();
  if (body === '' || splitTags(body).length === 0) {
    return { text: defaultCaption(config), changes: [...changes, 'the caption was empty: wrote the default caption (trigger + class)'] };
  }
  if (sentence) {
    const pony = [...body.matchAll(PONY_TAG_IN_TEXT)].map((m) => m[0]);
    if (pony.length > 0) {
      changes.push(`removed Pony quality tags: ${pony.join(', ')}`);
      // Drop the commas the removed tags leave before other punctuation, at the start or the end.
      body = body
        .replace(PONY_TAG_IN_TEXT, '')
        .replace(/\s*,\s*(?=[,.;:!?]|$)/g, '')
        .replace(/^[\s,]+/, '')
        .replace(/\s+([.;:!?])/g, '$1')
        .replace(/\s{2,}/g, ' ')
        .trim();
      if (body === '') return { text: defaultCaption(config), changes: [...changes, 'nothing was left: wrote the default caption (trigger + class)'] };
    }
    return { text: placeTriggerInSentence(body, config.token, changes), changes };
  }
  let tags = splitTags(body);
  const pony = tags.filter(isPonyTag);
  if (pony.length > 0) {
    changes.push(`removed Pony quality tags: ${pony.join(', ')}`);
    tags = tags.filter((t) => !isPonyTag(t));
    if (tags.length === 0) return { text: defaultCaption(config), changes: [...changes, 'nothing was left: wrote the default caption (trigger + class)'] };
  }
  tags = placeTriggerInTags(tags, config.token, changes);
  const unique = dedupeTags(tags);
  if (unique.length < tags.length) changes.push(`removed ${tags.length - unique.length} repeated tag${tags.length - unique.length === 1 ? '' : 's'}`);
  const joined = joinTags(unique);
  if (changes.length === 0 && joined !== body) changes.push('normalised the spacing around commas');
  return { text: joined, changes };
}

/**
 * Builds a caption from a captioner's output (WD14 tags or a sentence): the training rules
 * plus, for tags, the class tag right after the trigger. Used by `tack caption`.
 */
export function applyCaptionRules(output: { readonly kind: 'tags'; readonly tags: readonly string[] } | { readonly kind: 'sentence'; readonly text: string }, config: CaptionRuleConfig): FormattedCaption {
  if (output.kind === 'sentence') return formatTrainingCaption(output.text, { ...config, captioner: 'sentence' });
  const classTag = classTagFor(config.class);
  const tags = output.tags.filter((t) => tagKey(t) !== tagKey(classTag));
  const formatted = formatTrainingCaption(joinTags(tags), { ...config, captioner: 'wd14' });
  const [trigger, ...rest] = splitTags(formatted.text);
  return { text: joinTags([trigger ?? config.token, classTag, ...rest]), changes: formatted.changes };
}

/** The text written to a caption file: one line plus a newline, as the engine's tagger writes it. */
export function captionFileText(caption: string): string {
  return `${caption}\n`;
}

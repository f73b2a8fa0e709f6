/**
 * Tag editing across a dataset (pure): filters, remove/replace/add, frequency table, and the
 * suggestion of tags that describe the subject's fixed traits. A tag is a comma-separated
 * piece of a caption; tags are compared by `tagKey` (case, "_" and spaces ignored).
 */
import { captionErrors } from './errors.js';
import { dedupeTags, joinTags, splitTags, tagKey } from './tags.js';
import type { TagEdit } from './store.js';

export interface TagFilter {
  readonly all: readonly string[];
  readonly none: readonly string[];
  /** The filter as typed. */
  readonly text: string;
}

/** "outdoors,!night" -> captions that have outdoors and do not have night. */
export function parseTagFilter(text: string): TagFilter {
  const all: string[] = [];
  const none: string[] = [];
  for (const piece of splitTags(text)) {
    if (piece.startsWith('!') || piece.startsWith('-')) {
      const tag = piece.slice(1).trim();
      if (tag) none.push(tagKey(tag));
    } else {
      all.push(tagKey(piece));
    }
  }
  if (all.length === 0 && none.length === 0) {
    throw captionErrors.create('CAPTION_BAD_EDIT', `--where "${text}" names no tag.`, 'Example: --where "outdoors" or --where "outdoors,!night".', { details: { where: text } });
  }
  return { all, none, text };
}

export function matchesFilter(caption: string, filter: TagFilter | undefined): boolean {
  if (!filter) return true;
  const keys = new Set(splitTags(caption).map(tagKey));
  return filter.all.every((k) => keys.has(k)) && filter.none.every((k) => !keys.has(k));
}

/** Parses the tag list of remove/add: "solo, looking at viewer". */
export function parseTagList(text: string, op: string): string[] {
  const tags = splitTags(text);
  if (tags.length === 0) throw captionErrors.create('CAPTION_BAD_EDIT', `tack tags ${op} needs at least one tag.`, `Example: tack tags my-lora ${op} "solo,looking at viewer"`);
  return tags;
}

/** Parses replace pairs: "1girl=woman, smile=smiling". */
export function parseReplacePairs(text: string): [string, string][] {
  const pairs = splitTags(text).map((piece) => {
    const at = piece.indexOf('=');
    const from = at > 0 ? piece.slice(0, at).trim() : '';
    const to = at > 0 ? piece.slice(at + 1).trim() : '';
    if (!from) {
      throw captionErrors.create('CAPTION_BAD_EDIT', `"${piece}" is not old=new.`, 'Example: tack tags my-lora replace "1girl=woman"; an empty new value removes the tag.', { details: { value: piece } });
    }
    return [from, to] as [string, string];
  });
  if (pairs.length === 0) throw captionErrors.create('CAPTION_BAD_EDIT', 'tack tags replace needs old=new.', 'Example: tack tags my-lora replace "1girl=woman"');
  return pairs;
}

/**
 * Applies one edit to a caption's text. The trigger (first tag) is never removed or replaced;
 * returns the text unchanged when the filter does not match.
 */
export function applyTagEdit(text: string, edit: TagEdit, token: string): string {
  const filter = edit.where ? parseTagFilter(edit.where) : undefined;
  if (!matchesFilter(text, filter)) return text;
  const tags = splitTags(text);
  const isTrigger = (t: string) => t.toLowerCase() === token.toLowerCase();
  let out: string[];
  switch (edit.op) {
    case 'remove': {
      const drop = new Set(edit.tags.map(tagKey));
      out = tags.filter((t) => isTrigger(t) || !drop.has(tagKey(t)));
      break;
    }
    case 'replace': {
      const map = new Map(edit.pairs.map(([from, to]) => [tagKey(from), to]));
      out = tags.flatMap((t) => {
        if (isTrigger(t)) return [t];
        const to = map.get(tagKey(t));
        if (to === undefined) return [t];
        return to === '' ? [] : splitTags(to);
      });
      break;
    }
    case 'add': {
      const have = new Set(tags.map(tagKey));
      out = [...tags, ...edit.tags.filter((t) => !have.has(tagKey(t)))];
      break;
    }
  }
  const result = joinTags(dedupeTags(out));
  return result === joinTags(tags) ? text : result;
}

export interface TagCount {
  readonly tag: string;
  /** Captions that contain the tag (each caption counted once). */
  readonly count: number;
  readonly share: number;
}

/** How many captions contain each tag, most frequent first (ties by name). */
export function tagFrequencies(captions: readonly string[]): TagCount[] {
  const counts = new Map<string, { tag: string; count: number }>();
  for (const caption of captions) {
    const seen = new Set<string>();
    for (const tag of splitTags(caption)) {
      const key = tagKey(tag);
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = counts.get(key);
      if (entry) entry.count++;
      else counts.set(key, { tag, count: 1 });
    }
  }
  const total = Math.max(1, captions.length);
  return [...counts.values()].map((e) => ({ ...e, share: e.count / total })).sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag));
}

/** Words that name a lasting physical trait of a person (hair, eyes, skin, build, marks). */
const TRAIT = /\b(hair|bangs|ponytail|braid|twintails|bun|eyes|eyebrows|eyelashes|skin|freckles|mole|beard|mustache|stubble|lips|nose|teeth|ears|breasts|chest|muscular|tall|petite|plump|curvy|tattoo|scar|piercing|dimples|heterochromia|glasses)\b/i;

export interface TagSuggestion {
  readonly tag: string;
  readonly count: number;
  readonly share: number;
  /** trait: describes the subject itself (fold into the trigger); frequent: common but not a trait. */
  readonly kind: 'trait' | 'frequent';
}

/**
 * Tags present in at least `minShare` of the captions, other than the trigger and class tags.
 * Trait tags (brown hair, freckles) describe the subject: removing them lets the trigger carry
 * them, so the LoRA reproduces them without being asked. Tags that vary should stay.
 */
export function suggestTraitTags(captions: readonly string[], options: { readonly minShare?: number; readonly exclude?: readonly string[] } = {}): TagSuggestion[] {
  const minShare = options.minShare ?? 0.8;
  const exclude = new Set((options.exclude ?? []).map(tagKey));
  return tagFrequencies(captions)
    .filter((t) => t.share >= minShare && !exclude.has(tagKey(t.tag)))
    .map((t) => ({ ...t, kind: TRAIT.test(t.tag.replace(/_/g, ' ')) ? ('trait' as const) : ('frequent' as const) }));
}

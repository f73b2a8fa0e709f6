/**
 * Caption text as tags: the engine splits captions on "," (shuffle_caption, keep_tokens) and
 * the WD14 tagger joins its tags with ", " (sd-scripts.md 8.1), so a tag is whatever lies
 * between commas, trimmed.
 */

/** The separator the engine's tagger writes between tags (its --caption_separator default). */
export const TAG_SEPARATOR = ', ';

/** Splits a caption into trimmed, non-empty tags, in order. */
export function splitTags(text: string): string[] {
  return text
    .split(',')
    .map((t) => t.replace(/\s+/g, ' ').trim())
    .filter((t) => t.length > 0);
}

export function joinTags(tags: readonly string[]): string {
  return tags.join(TAG_SEPARATOR);
}

/** The form tags are compared in: lowercase, underscores and spaces alike, single spaces. */
export function tagKey(tag: string): string {
  return tag.toLowerCase().replace(/_/g, ' ').replace(/\s+/g, ' ').trim();
}

/** Removes repeated tags (compared by `tagKey`), keeping the first occurrence. */
export function dedupeTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const tag of tags) {
    const key = tagKey(tag);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(tag);
  }
  return out;
}

/**
 * Pony Diffusion's quality/source/rating tags (score_9, score_8_up, source_anime, rating_safe,
 * also written with spaces once underscores are removed). The recipe uses them only when
 * generating, never in training captions (recipe.md 2, P15).
 */
const PONY_TAG = /^(score[_ ]\d(?:[_ ]up)?|source[_ ](?:anime|cartoon|furry|furyy|pony|western|comic|real|photo|[a-z]+)|rating[_ ](?:safe|questionable|explicit|[a-z]+))$/i;

export function isPonyTag(tag: string): boolean {
  return PONY_TAG.test(tag.trim());
}

/** Pony tags written anywhere in free text (sentences), as whole words. */
export const PONY_TAG_IN_TEXT = /(?<![\w-])(?:score_\d(?:_up)?|source_[a-z]+|rating_[a-z]+)(?![\w-])/gi;

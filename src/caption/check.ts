/**
 * `checkCaptionText`: a caption file's content against the engine's reading rules (P14: UTF-8,
 * not empty; only the first line is read) and the recipe's rules (rules.ts), as findings for
 * `tack doctor` and `tack caption`.
 */
import { finding, type Finding } from '../core/index.js';
import { clipTokenize } from '../io/index.js';
import { classSentenceWordFor, classTagFor, FEMALE, FEMALE_TAGS, lines, MALE, MALE_TAGS, wordPattern, type Captioner } from './rules.js';
import { isPonyTag, PONY_TAG_IN_TEXT, splitTags, tagKey } from './tags.js';

export interface CaptionCheckContext {
  readonly token: string;
  readonly className: string;
  readonly captioner: Captioner;
  /** Names the caption in findings, e.g. "captions/IMG_0001.txt". */
  readonly subject?: string;
  /** CLIP tokens the trainer reads (max_token_length, default 75); 0 skips the length check. */
  readonly tokenLimit?: number;
}

/** Offset of the first byte that is not part of valid UTF-8, or -1. */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    let extra: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      extra = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      extra = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      extra = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let code = b & (0x3f >> extra);
    for (let k = 1; k <= extra; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      code = (code << 6) | (c & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += extra + 1;
  }
  return -1;
}

/**
 * Checks a caption file's content against the engine's reading rules and the recipe. Pass the
 * raw bytes so encoding problems are found (a `string` skips the UTF-8 check).
 */
export function checkCaptionText(raw: Uint8Array | string, ctx: CaptionCheckContext): Finding[] {
  const subject = ctx.subject;
  const at = subject ? { subject } : {};
  let text: string;
  if (typeof raw === 'string') {
    text = raw;
  } else {
    const bad = firstInvalidUtf8Offset(raw);
    if (bad >= 0) {
      const byte = (raw[bad] as number).toString(16).padStart(2, '0');
      return [
        finding('error', 'CAPTION_NOT_UTF8', `The caption is not UTF-8 (byte ${bad} is 0x${byte}); the engine stops with a UnicodeDecodeError when it reads it.`, {
          ...at,
          fix: 'Re-save the file as UTF-8 in your editor (it was probably saved as Windows-1252 or Latin-1).',
          data: { offset: bad },
        }),
      ];
    }
    text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(raw);
  }
  const findings: Finding[] = [];
  if (text.startsWith('\uFEFF')) {
    findings.push(
      finding('warning', 'CAPTION_BOM', 'The caption starts with a byte-order mark, which the engine keeps as part of the first tag (the trigger no longer matches).', {
        ...at,
        fix: 'tack prepare drops it; or re-save the file as UTF-8 without BOM.',
      }),
    );
    text = text.slice(1);
  }
  if (text.trim() === '') {
    findings.push(
      finding('warning', 'CAPTION_EMPTY', text.length === 0 ? 'The caption file is empty; the engine stops with "caption file is empty" mid-run.' : 'The caption holds only whitespace, so the photo trains without its trigger.', {
        ...at,
        fix: 'Run tack caption, or write one; tack prepare writes the default caption (trigger + class) instead.',
      }),
    );
    return findings;
  }
  const contentLines = lines(text).filter((l) => l.trim() !== '');
  const firstLine = lines(text)[0] ?? '';
  if (contentLines.length > 1 || firstLine.trim() === '') {
    findings.push(
      finding('warning', 'CAPTION_MULTILINE', `The caption has ${contentLines.length} lines of text${firstLine.trim() === '' ? ' and an empty first line' : ''}; the engine reads only the first line.`, {
        ...at,
        fix: 'tack prepare joins the lines into one; or put the caption on one line.',
      }),
    );
  }
  const oneLine = contentLines.join(ctx.captioner === 'sentence' ? ' ' : ', ');
  const tags = splitTags(oneLine);
  const token = ctx.token.toLowerCase();
  const first = tags[0] ?? '';
  if (first.toLowerCase() !== token) {
    if (first.toLowerCase().startsWith(`${token} `)) {
      findings.push(
        finding('warning', 'CAPTION_TRIGGER_FUSED', `The trigger "${ctx.token}" is joined to "${first.slice(token.length).trim()}" by a space, so the engine sees one tag "${first}" (P16).`, {
          ...at,
          fix: `tack prepare writes "${ctx.token}, ${first.slice(token.length).trim()}"; or add the comma yourself.`,
        }),
      );
    } else if (wordPattern(ctx.token).test(oneLine)) {
      findings.push(
        finding('warning', 'CAPTION_TRIGGER_NOT_FIRST', `The trigger "${ctx.token}" is in the caption but not first.`, {
          ...at,
          fix: 'tack prepare moves it to the front (the recipe puts the trigger first in every caption).',
        }),
      );
    } else {
      findings.push(
        finding('warning', 'CAPTION_TRIGGER_MISSING', `The caption does not contain the trigger "${ctx.token}".`, {
          ...at,
          fix: `tack prepare puts "${ctx.token}," first; the LoRA binds the subject to that token.`,
        }),
      );
    }
  }
  const pony = ctx.captioner === 'sentence' ? [...oneLine.matchAll(PONY_TAG_IN_TEXT)].map((m) => m[0]) : tags.filter(isPonyTag);
  if (pony.length > 0) {
    findings.push(
      finding('warning', 'CAPTION_PONY_TAGS', `The caption contains Pony quality tags (${[...new Set(pony)].join(', ')}); the recipe uses them only when generating (P15).`, {
        ...at,
        fix: `tack prepare leaves them out; remove them for good with: tack tags <project> remove "${[...new Set(pony)].join(',')}"`,
        data: { tags: pony },
      }),
    );
  }
  findings.push(...checkClassWords(oneLine, tags, ctx, at));
  if (ctx.captioner !== 'sentence') {
    const keys = tags.map(tagKey);
    const repeated = [...new Set(keys.filter((k, i) => keys.indexOf(k) !== i))];
    if (repeated.length > 0) {
      findings.push(finding('info', 'CAPTION_DUPLICATE_TAGS', `Repeated tags: ${repeated.join(', ')}.`, { ...at, fix: 'tack prepare keeps one of each.' }));
    }
  }
  const limit = ctx.tokenLimit ?? 75;
  if (limit > 0) {
    const count = clipTokenize(oneLine.toLowerCase()).length;
    if (count > limit) {
      findings.push(
        finding('info', 'CAPTION_LONG', `The caption is ${count} CLIP tokens; the trainer reads the first ${limit} (max_token_length) and ignores the rest.`, {
          ...at,
          fix: 'Remove tags that describe nothing you want to control (tack tags <project> suggest), or raise max_token_length to 150 or 225.',
          data: { tokens: count, limit },
        }),
      );
    }
  }
  return findings;
}

function checkClassWords(text: string, tags: readonly string[], ctx: CaptionCheckContext, at: { subject?: string }): Finding[] {
  if (ctx.captioner === 'none') return [];
  const token = ctx.token.toLowerCase();
  // The class word inside a fused first tag ("xanrms woman") still counts as written.
  const keys = tags.map((t, i) => (i === 0 && t.toLowerCase().startsWith(`${token} `) ? tagKey(t.slice(token.length)) : tagKey(t)));
  const className = ctx.className.trim().toLowerCase();
  const gender = FEMALE.has(className) ? 'female' : MALE.has(className) ? 'male' : undefined;
  if (ctx.captioner === 'wd14') {
    const expected = classTagFor(ctx.className).toLowerCase();
    if (keys.includes(expected)) return [];
    const opposite = gender === 'female' ? keys.find((k) => MALE_TAGS.has(k)) : gender === 'male' ? keys.find((k) => FEMALE_TAGS.has(k)) : undefined;
    if (opposite) {
      return [
        finding('warning', 'CAPTION_CLASS_CONFLICT', `The caption says "${opposite}" but the project's class is "${ctx.className}" (tag "${expected}").`, {
          ...at,
          fix: `Check the photo; if it shows the subject, replace the tag: tack tags <project> replace "${opposite}=${expected}"`,
        }),
      ];
    }
    const sentenceWord = keys.find((k) => (gender === 'female' ? FEMALE : gender === 'male' ? MALE : new Set<string>()).has(k));
    if (sentenceWord) {
      return [
        finding('warning', 'CAPTION_CLASS_WORD', `Tag captions use "${expected}" for the class, not "${sentenceWord}" (the recipe: 1girl/1boy with WD14 tags, woman/man with sentences).`, {
          ...at,
          fix: `tack tags <project> replace "${sentenceWord}=${expected}"`,
        }),
      ];
    }
    return [finding('info', 'CAPTION_CLASS_MISSING', `The caption has no class tag "${expected}".`, { ...at, fix: `Add it after the trigger: tack tags <project> add "${expected}"` })];
  }
  const expected = classSentenceWordFor(ctx.className);
  const tagForm = keys.find((k) => k === '1girl' || k === '1boy');
  if (tagForm) {
    return [
      finding('warning', 'CAPTION_CLASS_WORD', `Sentence captions use "${expected}" for the class, not the tag "${tagForm}" (the recipe: woman/man with sentences, 1girl/1boy with tags).`, {
        ...at,
        fix: `tack tags <project> replace "${tagForm}=${expected}"`,
      }),
    ];
  }
  const words = gender === 'female' ? ['woman', 'girl', 'lady'] : gender === 'male' ? ['man', 'boy', 'guy'] : [expected];
  if (!words.some((w) => wordPattern(w).test(text))) {
    return [finding('info', 'CAPTION_CLASS_MISSING', `The sentence does not mention the class word "${expected}".`, { ...at, fix: `Write it after the trigger, e.g. "${ctx.token}, a ${expected} ..."` })];
  }
  return [];
}


/**
 * Checks for the trigger token and class word. The token is put first in every caption and in
 * the kohya folder name `<repeats>_<token> <class>`, so it must survive a path, a TOML string,
 * a shell line and CLIP's tokenizer.
 */
import { finding, type Finding } from '../core/index.js';
import { clipTokenize, isSingleClipToken } from '../io/index.js';
import { CLASS_PATTERN, TOKEN_PATTERN } from './schema/index.js';

const SHELL_OR_PATH = /[\s,/\\:;*?"'<>|$`!&(){}[\]#~=%^]/;

/** Booru/class words that must never be the trigger. */
const RESERVED = new Set(['1girl', '1boy', 'woman', 'man', 'girl', 'boy', 'person', 'solo', 'photo', 'realistic']);

export interface TokenCheckOptions {
  /** Check the token against CLIP's vocabulary (default true). */
  readonly tokenize?: boolean;
  /** Also split it with the full tokenizer to report long tokens (slower; used by tack init). */
  readonly pieces?: boolean;
}

export function checkTriggerToken(token: string, options: TokenCheckOptions = {}): Finding[] {
  const subject = 'token';
  if (token.length === 0) {
    return [finding('error', 'PROJECT_BAD_TOKEN', 'The trigger token is empty.', { subject, fix: 'Pick a made-up word such as "xanrms".' })];
  }
  const bad = [...new Set(token.match(new RegExp(SHELL_OR_PATH.source, 'g')) ?? [])];
  if (bad.length > 0) {
    const shown = bad.map((c) => (c.trim() === '' ? 'a space' : `"${c}"`)).join(', ');
    return [
      finding('error', 'PROJECT_BAD_TOKEN', `The trigger token "${token}" contains ${shown}.`, {
        subject,
        fix: 'Use one word of letters and digits (e.g. "xanrms"): spaces and commas split it in captions, other characters break folder names and shell lines.',
      }),
    ];
  }
  if (!TOKEN_PATTERN.test(token)) {
    return [
      finding('error', 'PROJECT_BAD_TOKEN', `The trigger token "${token}" must start with a letter or digit and use only letters, digits, "_" or "-".`, {
        subject,
        fix: 'Pick a made-up word such as "xanrms".',
      }),
    ];
  }
  const findings: Finding[] = [];
  if (RESERVED.has(token.toLowerCase())) {
    findings.push(
      finding('error', 'PROJECT_BAD_TOKEN', `The trigger token "${token}" is a class or tag word, not a unique token.`, {
        subject,
        fix: 'Pick a made-up word such as "xanrms"; the class word goes in `class`.',
      }),
    );
    return findings;
  }
  if (token !== token.toLowerCase()) {
    findings.push(
      finding('info', 'PROJECT_TOKEN_CASE', `CLIP lowercases text, so "${token}" trains the same as "${token.toLowerCase()}".`, { subject }),
    );
  }
  if (options.tokenize !== false && isSingleClipToken(token)) {
    findings.push(
      finding('warning', 'PROJECT_TOKEN_KNOWN', `The trigger token "${token}" is a whole word in the SDXL text encoders' vocabulary, so the base model already has a meaning for it.`, {
        subject,
        fix: 'A made-up word that CLIP splits into 2-3 pieces (e.g. "xanrms" -> xan + rms) binds to your subject without fighting an existing meaning.',
      }),
    );
  } else if (options.tokenize !== false && options.pieces) {
    const pieces = clipTokenize(token.toLowerCase());
    if (pieces.length > 4) {
      findings.push(
        finding('info', 'PROJECT_TOKEN_LONG', `The trigger token "${token}" is ${pieces.length} CLIP tokens (${pieces.join(' ')}); 2-3 is typical.`, { subject, data: { pieces } }),
      );
    }
  }
  return findings;
}

export function checkClassWord(word: string): Finding[] {
  if (!CLASS_PATTERN.test(word) || word !== word.trim() || /\s{2,}/.test(word)) {
    return [
      finding('error', 'PROJECT_BAD_CLASS', `The class word "${word}" can only use letters, digits, single spaces and "-".`, {
        subject: 'class',
        fix: 'Use woman, man, person, or a plain word for a concept (e.g. "dog", "style").',
      }),
    ];
  }
  return [];
}

/**
 * The WD14 taggers tack knows by name: SmilingWolf's ONNX taggers on the Hugging Face Hub,
 * the ones the engine's tagging script and the kohya GUI offer (sd-scripts.md 8.1,
 * kohya_ss-gui.md 2c). Each repository holds model.onnx and selected_tags.csv.
 */
import path from 'node:path';
import { closest } from '../../core/index.js';
import { isValidRepoId } from '../../io/index.js';
import { captionErrors } from '../errors.js';

export interface TaggerModelInfo {
  readonly name: string;
  readonly repo: string;
  readonly note: string;
}

export const TAGGER_MODEL_FILE = 'model.onnx';
export const TAGGER_LABELS_FILE = 'selected_tags.csv';

export const DEFAULT_TAGGER = 'wd-v1-4-moat-tagger-v2';

export const TAGGER_MODELS: readonly TaggerModelInfo[] = [
  { name: 'wd-v1-4-moat-tagger-v2', repo: 'SmilingWolf/wd-v1-4-moat-tagger-v2', note: "tack's default: the tagger of the recipe's Pony presets (threshold 0.35)" },
  { name: 'wd-v1-4-convnext-tagger-v2', repo: 'SmilingWolf/wd-v1-4-convnext-tagger-v2', note: "the default of the engine's tag_images_by_wd14_tagger.py" },
  { name: 'wd-v1-4-convnextv2-tagger-v2', repo: 'SmilingWolf/wd-v1-4-convnextv2-tagger-v2', note: 'the kohya_ss GUI default' },
  { name: 'wd-v1-4-swinv2-tagger-v2', repo: 'SmilingWolf/wd-v1-4-swinv2-tagger-v2', note: 'v2 family' },
  { name: 'wd-v1-4-vit-tagger-v2', repo: 'SmilingWolf/wd-v1-4-vit-tagger-v2', note: 'v2 family' },
  { name: 'wd-swinv2-tagger-v3', repo: 'SmilingWolf/wd-swinv2-tagger-v3', note: 'v3 family (newer tags)' },
  { name: 'wd-vit-tagger-v3', repo: 'SmilingWolf/wd-vit-tagger-v3', note: 'v3 family' },
  { name: 'wd-convnext-tagger-v3', repo: 'SmilingWolf/wd-convnext-tagger-v3', note: 'v3 family' },
  { name: 'wd-vit-large-tagger-v3', repo: 'SmilingWolf/wd-vit-large-tagger-v3', note: 'v3, large: more accurate, slower' },
  { name: 'wd-eva02-large-tagger-v3', repo: 'SmilingWolf/wd-eva02-large-tagger-v3', note: 'v3, large: the most accurate of these, the slowest' },
];

/** A tagger name ("wd-vit-large-tagger-v3") or a Hub repo id ("owner/name") -> its repo. */
export function resolveTaggerModel(nameOrRepo: string): { readonly name: string; readonly repo: string } {
  const value = nameOrRepo.trim();
  const known = TAGGER_MODELS.find((m) => m.name === value || m.repo === value);
  if (known) return { name: known.name, repo: known.repo };
  if (value.includes('/')) {
    if (isValidRepoId(value)) return { name: value, repo: value };
    throw captionErrors.create('TAGGER_UNKNOWN_MODEL', `"${value}" is not a Hugging Face repository id.`, 'Use owner/name (e.g. SmilingWolf/wd-vit-tagger-v3) or a tagger name from `tack caption --help`.', {
      details: { model: value },
    });
  }
  const guess = closest(value, TAGGER_MODELS.map((m) => m.name));
  throw captionErrors.create(
    'TAGGER_UNKNOWN_MODEL',
    `"${value}" is not a WD14 tagger tack knows.`,
    `${guess ? `Did you mean ${guess}? ` : ''}Known: ${TAGGER_MODELS.map((m) => m.name).join(', ')}; or give a Hugging Face repo id (owner/name) holding model.onnx and selected_tags.csv.`,
    { details: { model: value } },
  );
}

/** The folders [caption] model_dir may hold the tagger's files in: itself, or a subfolder named after the repo ("owner_name"). */
export function taggerDirCandidates(modelDir: string, repo: string): string[] {
  return [modelDir, path.join(modelDir, repo.replace('/', '_'))];
}

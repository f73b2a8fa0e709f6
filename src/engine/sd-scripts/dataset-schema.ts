/**
 * The dataset TOML rules of sd-scripts (library/config_util.py, sd-scripts.md 1.5). The engine
 * validates with voluptuous: an unknown or misplaced key is an error ("extra keys not allowed"),
 * and types are isinstance checks, so a float key rejects an integer literal (`0` vs `0.0`).
 * tack checks its own dataset TOML with the same rules before launching, and reports problems
 * in the engine's words plus what to do.
 */
import { closest, finding, type Finding } from '../../core/index.js';
import { pythonTypeName, showTomlValue, type EngineTomlTable, type EngineTomlValue } from './toml.js';

type Kind = 'int' | 'float' | 'float|int' | 'str' | 'bool' | 'float-pair' | 'int|int-pair' | 'table';
type Level = 'general' | 'dataset' | 'subset';

interface DatasetKey {
  readonly kind: Kind;
  /** Levels where the key is accepted: G = [general], D = [[datasets]], S = [[datasets.subsets]]. */
  readonly levels: readonly Level[];
}

const GDS: readonly Level[] = ['general', 'dataset', 'subset'];
const GD: readonly Level[] = ['general', 'dataset'];
const S: readonly Level[] = ['subset'];

/** Every key of the dataset TOML with its type and where it may appear (sd-scripts.md 1.5). */
export const DATASET_KEYS: Readonly<Record<string, DatasetKey>> = {
  image_dir: { kind: 'str', levels: S },
  is_reg: { kind: 'bool', levels: S },
  alpha_mask: { kind: 'bool', levels: S },
  metadata_file: { kind: 'str', levels: S },
  conditioning_data_dir: { kind: 'str', levels: S },
  num_repeats: { kind: 'int', levels: GDS },
  caption_extension: { kind: 'str', levels: GDS },
  class_tokens: { kind: 'str', levels: GDS },
  cache_info: { kind: 'bool', levels: GDS },
  shuffle_caption: { kind: 'bool', levels: GDS },
  caption_separator: { kind: 'str', levels: GDS },
  keep_tokens: { kind: 'int', levels: GDS },
  keep_tokens_separator: { kind: 'str', levels: GDS },
  secondary_separator: { kind: 'str', levels: GDS },
  enable_wildcard: { kind: 'bool', levels: GDS },
  caption_prefix: { kind: 'str', levels: GDS },
  caption_suffix: { kind: 'str', levels: GDS },
  caption_dropout_rate: { kind: 'float|int', levels: GDS },
  caption_dropout_every_n_epochs: { kind: 'int', levels: GDS },
  caption_tag_dropout_rate: { kind: 'float|int', levels: GDS },
  token_warmup_min: { kind: 'int', levels: GDS },
  token_warmup_step: { kind: 'float|int', levels: GDS },
  color_aug: { kind: 'bool', levels: GDS },
  flip_aug: { kind: 'bool', levels: GDS },
  random_crop: { kind: 'bool', levels: GDS },
  face_crop_aug_range: { kind: 'float-pair', levels: GDS },
  custom_attributes: { kind: 'table', levels: GDS },
  resize_interpolation: { kind: 'str', levels: GDS },
  resolution: { kind: 'int|int-pair', levels: GD },
  batch_size: { kind: 'int', levels: GD },
  enable_bucket: { kind: 'bool', levels: GD },
  min_bucket_reso: { kind: 'int', levels: GD },
  max_bucket_reso: { kind: 'int', levels: GD },
  bucket_reso_steps: { kind: 'int', levels: GD },
  bucket_no_upscale: { kind: 'bool', levels: GD },
  validation_split: { kind: 'float', levels: GD },
  validation_seed: { kind: 'int', levels: GD },
  network_multiplier: { kind: 'float', levels: GD },
};

/** Keys whose numbers must be written as floats. */
export function isDatasetFloatKey(key: string): boolean {
  const kind = DATASET_KEYS[key]?.kind;
  return kind === 'float' || kind === 'float|int' || kind === 'float-pair';
}

function kindOk(kind: Kind, v: EngineTomlValue): boolean {
  switch (kind) {
    case 'int':
      return typeof v === 'bigint';
    case 'float':
      return typeof v === 'number';
    case 'float|int':
      return typeof v === 'number' || typeof v === 'bigint';
    case 'str':
      return typeof v === 'string';
    case 'bool':
      return typeof v === 'boolean';
    case 'float-pair':
      return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number');
    case 'int|int-pair':
      return typeof v === 'bigint' || (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'bigint'));
    case 'table':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
  }
}

const KIND_WORDS: Record<Kind, string> = {
  int: 'an integer (no decimal point)',
  float: 'a float (write 0.0, not 0)',
  'float|int': 'a number',
  str: 'a string',
  bool: 'true or false',
  'float-pair': 'two floats, e.g. [0.5, 1.0]',
  'int|int-pair': 'an integer or two integers, e.g. [1024, 1024]',
  table: 'a table',
};

const LEVEL_NAMES: Record<Level, string> = { general: '[general]', dataset: '[[datasets]]', subset: '[[datasets.subsets]]' };

function pathText(parts: ReadonlyArray<string | number>): string {
  return `data${parts.map((p) => (typeof p === 'number' ? `[${p}]` : `['${p}']`)).join('')}`;
}

function checkLevel(table: EngineTomlTable, level: Level, parts: ReadonlyArray<string | number>, file: string, out: Finding[], extraAllowed: readonly string[] = []): void {
  for (const [key, value] of Object.entries(table)) {
    if (extraAllowed.includes(key)) continue;
    const spec = DATASET_KEYS[key];
    const where = pathText([...parts, key]);
    if (!spec || !spec.levels.includes(level)) {
      const allowedHere = Object.entries(DATASET_KEYS)
        .filter(([, s]) => s.levels.includes(level))
        .map(([k]) => k);
      const guess = spec ? undefined : closest(key, allowedHere);
      const message = spec
        ? `${file}: ${key} is not allowed in ${LEVEL_NAMES[level]}; it belongs in ${spec.levels.map((l) => LEVEL_NAMES[l]).join(' or ')}. The engine stops with "extra keys not allowed @ ${where}".`
        : `${file}: unknown key ${key}. The engine stops with "Invalid user config" / "extra keys not allowed @ ${where}".${guess ? ` Did you mean "${guess}"?` : ''}`;
      out.push(
        finding('error', spec ? 'ENGINE_DATASET_MISPLACED_KEY' : 'ENGINE_DATASET_UNKNOWN_KEY', message, {
          subject: where,
          fix: spec ? `Move ${key} to ${LEVEL_NAMES[spec.levels[0] as Level]}.` : guess ? `Rename it to ${guess}.` : 'Remove the key.',
          data: { pitfall: 'P11', key },
        }),
      );
      continue;
    }
    if (!kindOk(spec.kind, value)) {
      out.push(
        finding('error', 'ENGINE_DATASET_TYPE', `${file}: ${key} must be ${KIND_WORDS[spec.kind]}; got ${showTomlValue(value)} (a ${pythonTypeName(value)}). The engine rejects it at ${where}.`, {
          subject: where,
          fix: `Write ${key} as ${KIND_WORDS[spec.kind]}.`,
          data: { pitfall: 'P11', key },
        }),
      );
    }
  }
}

/** Checks a parsed dataset TOML against the engine's schema. */
export function checkDatasetToml(table: EngineTomlTable, file: string): Finding[] {
  const out: Finding[] = [];
  for (const [key, value] of Object.entries(table)) {
    if (key === 'general') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        out.push(finding('error', 'ENGINE_DATASET_TYPE', `${file}: general must be a table ([general]).`, { subject: "data['general']" }));
      } else checkLevel(value, 'general', ['general'], file, out);
    } else if (key === 'datasets') {
      if (!Array.isArray(value)) {
        out.push(finding('error', 'ENGINE_DATASET_TYPE', `${file}: datasets must be an array of tables ([[datasets]]).`, { subject: "data['datasets']" }));
        continue;
      }
      value.forEach((ds, i) => {
        if (ds === null || typeof ds !== 'object' || Array.isArray(ds)) return;
        checkLevel(ds, 'dataset', ['datasets', i], file, out, ['subsets']);
        const subsets = ds.subsets;
        if (subsets === undefined) return;
        if (!Array.isArray(subsets)) {
          out.push(finding('error', 'ENGINE_DATASET_TYPE', `${file}: datasets[${i}].subsets must be an array of tables ([[datasets.subsets]]).`, { subject: pathText(['datasets', i, 'subsets']) }));
          return;
        }
        subsets.forEach((s, j) => {
          if (s !== null && typeof s === 'object' && !Array.isArray(s)) checkLevel(s, 'subset', ['datasets', i, 'subsets', j], file, out);
        });
      });
    } else {
      out.push(
        finding('error', 'ENGINE_DATASET_UNKNOWN_KEY', `${file}: top-level key ${key} is not allowed (only [general] and [[datasets]]). The engine stops with "extra keys not allowed @ data['${key}']".`, {
          subject: `data['${key}']`,
          fix: key === 'settings' || key === 'model' ? 'This looks like a training-arguments TOML: pass it as --config_file, not --dataset_config.' : 'Remove the key.',
          data: { pitfall: 'P11', key },
        }),
      );
    }
  }
  return out;
}

export interface ResolvedSubset {
  readonly datasetIndex: number;
  readonly subsetIndex: number;
  /** subset -> dataset -> general -> args -> engine default (config_util.py:438). */
  get(key: string): EngineTomlValue | undefined;
}

/** Each subset with the engine's value fallback, for cross-key checks (P3, P21 ...). */
export function resolveSubsets(table: EngineTomlTable, args: EngineTomlTable): ResolvedSubset[] {
  const general = (table.general ?? {}) as EngineTomlTable;
  const datasets = (Array.isArray(table.datasets) ? table.datasets : []) as EngineTomlTable[];
  const renamed: Record<string, string> = { batch_size: 'train_batch_size', num_repeats: 'dataset_repeats' };
  const out: ResolvedSubset[] = [];
  datasets.forEach((ds, i) => {
    const subsets = (Array.isArray(ds.subsets) ? ds.subsets : []) as EngineTomlTable[];
    subsets.forEach((s, j) => {
      out.push({
        datasetIndex: i,
        subsetIndex: j,
        get: (key) => s[key] ?? ds[key] ?? general[key] ?? args[renamed[key] ?? key],
      });
    });
  });
  return out;
}

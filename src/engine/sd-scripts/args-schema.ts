/**
 * Checks a training-arguments TOML (`--config_file`) the way the engine reads it, and more
 * strictly where the engine is silent (sd-scripts.md 1.3): sections are flattened one level,
 * keys must be argparse dest names, and since the engine does no type conversion and no
 * `choices` check on TOML values, tack checks both here. An unknown key is an error because the
 * engine would silently ignore it (P11): a typo must not silently do nothing.
 */
import { closest, finding, type Finding } from '../../core/index.js';
import { SD_SCRIPTS_ARGS, type ArgSpec } from './args-table.js';
import { pythonTypeName, showTomlValue, type EngineTomlTable, type EngineTomlValue } from './toml.js';

const BY_DEST = new Map(SD_SCRIPTS_ARGS.map((a) => [a.dest, a]));

export function argSpec(dest: string): ArgSpec | undefined {
  return BY_DEST.get(dest);
}

export function allArgDests(): string[] {
  return [...BY_DEST.keys()];
}

/** The flag for a dest (`learning_rate` -> `--learning_rate`). */
export function flagFor(dest: string): string {
  return BY_DEST.get(dest)?.flags[0] ?? `--${dest}`;
}

/**
 * read_config_from_file (train_util.py:4700): top-level scalars stay, every key of a top-level
 * table is lifted to the top (later sections overwrite earlier duplicates).
 */
export function flattenArgsToml(table: EngineTomlTable): { args: EngineTomlTable; origin: Record<string, string> } {
  const args: EngineTomlTable = {};
  const origin: Record<string, string> = {};
  for (const [key, value] of Object.entries(table)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, v] of Object.entries(value)) {
        args[inner] = v;
        origin[inner] = `[${key}] ${inner}`;
      }
    } else {
      args[key] = value;
      origin[key] = key;
    }
  }
  return { args, origin };
}

function isInt(v: EngineTomlValue): boolean {
  return typeof v === 'bigint';
}

function isFloat(v: EngineTomlValue): boolean {
  return typeof v === 'number';
}

function expectedType(spec: ArgSpec): string {
  if (spec.action === 'store_true') return 'true or false';
  const one = spec.type === 'int' ? 'an integer' : spec.type === 'float' ? 'a number' : spec.type === 'int_or_float' ? 'an integer step count' : 'a string';
  return spec.nargs === '*' ? `an array of ${one.replace(/^an? /, '')} values` : one;
}

function scalarOk(spec: ArgSpec, v: EngineTomlValue): boolean {
  switch (spec.type) {
    case 'int':
      return isInt(v);
    case 'float':
      return isInt(v) || isFloat(v);
    case 'int_or_float':
      return isInt(v) || isFloat(v);
    case 'str':
    case 'Path':
      return typeof v === 'string';
    default:
      return false;
  }
}

function choiceOk(spec: ArgSpec, v: EngineTomlValue): boolean {
  if (!spec.choices) return true;
  const plain = typeof v === 'bigint' ? Number(v) : v;
  return spec.choices.some((c) => c !== null && c === plain);
}

/** Checks each key's name, type and choice. `file` names the TOML in messages. */
export function checkArgsTypes(args: EngineTomlTable, origin: Record<string, string>, file: string): Finding[] {
  const findings: Finding[] = [];
  for (const [key, value] of Object.entries(args)) {
    const where = origin[key] ?? key;
    const spec = BY_DEST.get(key);
    if (!spec) {
      const dashed = BY_DEST.get(key.replace(/-/g, '_'));
      const guess = dashed?.dest ?? closest(key, BY_DEST.keys());
      findings.push(
        finding('error', 'ENGINE_UNKNOWN_ARG', `${file}: "${where}" is not an argument of sdxl_train_network.py; the engine would silently ignore it (P11).${guess ? ` Did you mean "${guess}"?` : ''}`, {
          subject: key,
          fix: guess ? `Rename it to ${guess}.` : 'Remove it; `tack train --help` and sd-scripts-args list the valid names.',
          data: { pitfall: key === 'text_encoder_lr1' || key === 'text_encoder_lr2' ? 'P9' : 'P11', key },
        }),
      );
      continue;
    }
    if (key === 'config_file' || key === 'output_config' || key === 'dataset_config') {
      findings.push(finding('error', 'ENGINE_ARG_PLACEMENT', `${file}: ${key} must be given on the command line, not inside the config file.`, { subject: key, fix: `Remove ${key} from ${file}.` }));
      continue;
    }
    let ok: boolean;
    if (spec.action === 'store_true') ok = typeof value === 'boolean';
    else if (spec.nargs === '*') ok = Array.isArray(value) && value.every((v) => scalarOk(spec, v));
    else ok = !Array.isArray(value) && scalarOk(spec, value);
    if (!ok) {
      findings.push(
        finding('error', 'ENGINE_ARG_TYPE', `${file}: ${where} must be ${expectedType(spec)}; got ${showTomlValue(value)} (a ${pythonTypeName(value)}). The engine does not convert TOML values (P11).`, {
          subject: key,
          fix: key === 'resolution' ? 'Write it as a string: resolution = "1024,1024".' : `Write ${key} as ${expectedType(spec)}.`,
          data: { pitfall: 'P11', key, expected: spec.type },
        }),
      );
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    const bad = values.find((v) => !choiceOk(spec, v));
    if (bad !== undefined) {
      const choices = (spec.choices ?? []).filter((c) => c !== null).map(String);
      const guess = typeof bad === 'string' ? closest(bad, choices) : undefined;
      findings.push(
        finding('error', 'ENGINE_ARG_CHOICE', `${file}: ${where} = ${showTomlValue(bad)} is not one of ${choices.join(', ')}.${guess ? ` Did you mean "${guess}"?` : ''}`, {
          subject: key,
          fix: `Use one of: ${choices.join(', ')}.`,
          data: { key, choices },
        }),
      );
    }
  }
  return findings;
}

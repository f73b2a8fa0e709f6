/**
 * TOML text for the engine. sd-scripts reads TOML with Python's `toml` package and checks
 * types with isinstance (sd-scripts.md 1.3, 1.5): an integer literal is an int, a literal with a
 * point or exponent is a float, and the difference matters (a float key in the dataset TOML
 * rejects `0`; `lr_warmup_steps = 0.1` is a ratio, `= 100` a step count: P11, P12). JavaScript has
 * one number type, so the writer is told which keys are floats, and the checkers read the text
 * back with integers as bigint to see exactly what the engine will see.
 */
import { parse as parseToml, TomlError } from 'smol-toml';

/** A parsed TOML value as the engine sees it: bigint = integer literal, number = float literal. */
export type EngineTomlValue = string | bigint | number | boolean | EngineTomlValue[] | { [key: string]: EngineTomlValue };
export type EngineTomlTable = { [key: string]: EngineTomlValue };

/** A plain value tack writes; `float` marks numbers the engine must read as floats. */
export type TomlInput = string | number | boolean | readonly TomlInput[] | { readonly [key: string]: TomlInput };

/** Formats a float so it parses back as a float (1 -> 1.0, 1e-5 stays in exponent form). */
export function formatTomlFloat(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  const text = String(value);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

export function formatTomlString(value: string): string {
  return JSON.stringify(value).replace(/\u007f/g, '\\u007f');
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

export function formatTomlKey(key: string): string {
  return BARE_KEY.test(key) ? key : formatTomlString(key);
}

/** One value; `float` says whether numbers under this key are floats. */
export function formatTomlValue(value: TomlInput, float: boolean): string {
  if (typeof value === 'string') return formatTomlString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (float) return formatTomlFloat(value);
    if (!Number.isInteger(value)) throw new Error(`integer expected, got ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => formatTomlValue(v as TomlInput, float)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, TomlInput>);
  return `{ ${entries.map(([k, v]) => `${formatTomlKey(k)} = ${formatTomlValue(v, float)}`).join(', ')} }`;
}

export function formatTomlComment(text: string, indent = ''): string[] {
  return text.split('\n').map((line) => `${indent}# ${line}`.trimEnd());
}

export interface ParsedToml {
  readonly table?: EngineTomlTable;
  readonly error?: { readonly message: string; readonly line?: number; readonly column?: number };
}

/** Parses TOML text with integer literals kept apart from floats (bigint vs number). */
export function parseEngineToml(text: string): ParsedToml {
  try {
    return { table: parseToml(text, { integersAsBigInt: true }) as unknown as EngineTomlTable };
  } catch (error) {
    if (error instanceof TomlError) return { error: { message: error.message.split('\n')[0] ?? error.message, line: error.line, column: error.column } };
    return { error: { message: error instanceof Error ? error.message : String(error) } };
  }
}

/** The engine's view of a value's type, in Python's words (for messages). */
export function pythonTypeName(value: EngineTomlValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}

/** Shows a parsed value as it appears in TOML (1 vs 1.0). */
export function showTomlValue(value: EngineTomlValue): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return formatTomlFloat(value);
  if (typeof value === 'string') return formatTomlString(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(showTomlValue).join(', ')}]`;
  return `{ ${Object.entries(value).map(([k, v]) => `${k} = ${showTomlValue(v)}`).join(', ')} }`;
}

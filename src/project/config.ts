/**
 * Reading, validating and writing tack.toml. Validation never throws on the first problem: it
 * returns every finding, each naming the key, the bad value and the valid values.
 */
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { didYouMean, finding, type Finding } from '../core/index.js';
import { describeSchema, projectSchema, unwrapSchema, type ProjectConfig, type ProjectConfigInput } from './schema/index.js';

export interface ConfigParseResult {
  readonly config?: ProjectConfig;
  readonly findings: Finding[];
}

function keyPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `"${value}" (a string)`;
  if (Array.isArray(value)) return `${JSON.stringify(value)} (an array)`;
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'object') return 'a table';
  return `${String(value)} (a ${typeof value === 'number' && !Number.isInteger(value) ? 'float' : typeof value})`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function schemaAt(path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType = projectSchema;
  for (const part of path) {
    const inner = unwrapSchema(current);
    const shape = (inner as { shape?: Record<string, z.ZodType> }).shape;
    if (!shape || typeof part !== 'string' || !shape[part]) return undefined;
    current = shape[part];
  }
  return current;
}

function knownKeys(path: readonly PropertyKey[]): string[] {
  const schema = schemaAt(path);
  const shape = schema ? (unwrapSchema(schema) as { shape?: Record<string, unknown> }).shape : undefined;
  return shape ? Object.keys(shape) : [];
}

function issueToFinding(issue: z.core.$ZodIssue, raw: unknown, file: string): Finding[] {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(issue.path);
    return issue.keys.map((key) => {
      const full = keyPath([...issue.path, key]);
      return finding('error', 'PROJECT_UNKNOWN_KEY', `Unknown key "${full}" in ${file}.${didYouMean(key, known)}`, {
        subject: full,
        fix: known.length ? `Valid keys here: ${known.join(', ')}.` : 'Remove the key.',
      });
    });
  }
  const key = keyPath(issue.path);
  const value = valueAt(raw, issue.path);
  const description = (() => {
    const schema = schemaAt(issue.path);
    return schema ? describeSchema(schema) : undefined;
  })();
  let message: string;
  let fix: string | undefined = description;
  switch (issue.code) {
    case 'invalid_value':
      message = `${key} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}; got ${describeValue(value)}.`;
      if (typeof value === 'string') fix = `${didYouMean(value, issue.values.map(String)).trim() || description || ''}`.trim() || undefined;
      break;
    case 'invalid_type':
      message =
        value === undefined
          ? `${key} is required in ${file}.`
          : `${key} must be ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}; got ${describeValue(value)}.`;
      break;
    case 'too_small':
      message = `${key} must be at least ${String(issue.minimum)}; got ${describeValue(value)}.`;
      break;
    case 'too_big':
      message = `${key} must be at most ${String(issue.maximum)}; got ${describeValue(value)}.`;
      break;
    case 'invalid_format':
      message = `${key} has an invalid value ${describeValue(value)}: ${issue.message}.`;
      break;
    case 'invalid_union':
      message = `${key} has an invalid value ${describeValue(value)}.`;
      break;
    default:
      message = `${key}: ${issue.message} (got ${describeValue(value)}).`;
  }
  return [finding('error', 'PROJECT_BAD_VALUE', message, { subject: key, ...(fix ? { fix } : {}) })];
}

/** Validates an already-parsed object against the schema. */
export function validateConfig(raw: unknown, file = 'tack.toml'): ConfigParseResult {
  const result = projectSchema.safeParse(raw);
  if (result.success) return { config: result.data, findings: [] };
  return { findings: result.error.issues.flatMap((issue) => issueToFinding(issue, raw, file)) };
}

/** Parses TOML text then validates it. */
export function parseConfigText(text: string, file = 'tack.toml'): ConfigParseResult {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (error) {
    const where = error instanceof TomlError ? ` (line ${error.line}, column ${error.column})` : '';
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return {
      findings: [
        finding('error', 'PROJECT_BAD_TOML', `${file} is not valid TOML${where}: ${reason}`, {
          subject: file,
          fix: 'Fix the line shown; strings need double quotes, e.g. token = "xanrms".',
        }),
      ],
    };
  }
  return validateConfig(raw, file);
}

function tomlValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  return String(value);
}

function commentLines(text: string | undefined): string[] {
  return text ? [`# ${text}`] : [];
}

/**
 * Renders a config as TOML with every key's description as a comment. Keys that are not set
 * and have no default are written commented out so users see that they exist.
 */
export function formatConfigToml(config: ProjectConfigInput): string {
  const full = projectSchema.parse(config) as Record<string, unknown>;
  const lines: string[] = ['# tack project settings. Every key is explained; `tack doctor` checks them.', ''];
  const sections: string[] = [];
  for (const [key, schema] of Object.entries(projectSchema.shape) as [string, z.ZodType][]) {
    const inner = unwrapSchema(schema) as { shape?: Record<string, z.ZodType> };
    if (inner.shape) {
      sections.push(key);
      continue;
    }
    lines.push(...commentLines(describeSchema(schema)), `${key} = ${tomlValue(full[key])}`, '');
  }
  for (const section of sections) {
    const schema = (projectSchema.shape as Record<string, z.ZodType>)[section] as z.ZodType;
    const shape = (unwrapSchema(schema) as unknown as { shape: Record<string, z.ZodType> }).shape;
    const values = (full[section] ?? {}) as Record<string, unknown>;
    lines.push(...commentLines(describeSchema(schema)), `[${section}]`);
    for (const [key, fieldSchema] of Object.entries(shape)) {
      lines.push(...commentLines(describeSchema(fieldSchema)));
      lines.push(values[key] === undefined ? `# ${key} =` : `${key} = ${tomlValue(values[key])}`);
    }
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/**
 * Changing tack.toml from a form (the studio's settings page): a patch of "section.key" values
 * is applied to the file's own values (defaults stay unwritten where they were), checked by the
 * same validation every command runs when it loads the project (so the messages are the CLI's),
 * and saved only when nothing is wrong.
 */
import * as fsp from 'node:fs/promises';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { fileReadError, partitionFindings, type Finding } from '../core/index.js';
import { validateConfig } from './config.js';
import type { ProjectPaths } from './layout.js';
import { checkProjectConfig, saveProjectConfig } from './project.js';
import { projectSchema, type ProjectConfig } from './schema/index.js';

/** tack.toml's schema as JSON Schema (types, ranges, choices, defaults, and each key's help). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(projectSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** The values written in tack.toml (without defaults). */
export async function readConfigValues(paths: ProjectPaths): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await fsp.readFile(paths.configFile, 'utf8');
  } catch (cause) {
    throw fileReadError(paths.configFile, cause);
  }
  return parseToml(text) as Record<string, unknown>;
}

/** Applies {"train.network_dim": 16, "preset": "x", "train.seed": null (unset)} to `values`. */
export function applyConfigPatch(values: Record<string, unknown>, patch: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(values);
  for (const [key, value] of Object.entries(patch)) {
    const [section, name] = key.includes('.') ? (key.split('.', 2) as [string, string]) : [undefined, key];
    const target = section === undefined ? out : ((out[section] ??= {}) as Record<string, unknown>);
    if (value === null) delete target[name];
    else target[name] = value;
  }
  return out;
}

export interface ConfigUpdate {
  readonly values: Record<string, unknown>;
  readonly config?: ProjectConfig;
  readonly findings: readonly Finding[];
  readonly saved: boolean;
}

/** Checks the patched settings and, unless `dryRun` or something is wrong, writes tack.toml. */
export async function updateProjectConfig(paths: ProjectPaths, patch: Readonly<Record<string, unknown>>, options: { readonly dryRun?: boolean } = {}): Promise<ConfigUpdate> {
  const values = applyConfigPatch(await readConfigValues(paths), patch);
  const parsed = validateConfig(values, 'tack.toml');
  const findings = [...parsed.findings, ...(parsed.config ? checkProjectConfig(parsed.config) : [])];
  const ok = parsed.config !== undefined && partitionFindings(findings).errors.length === 0;
  if (ok && !options.dryRun) await saveProjectConfig(paths, values as Parameters<typeof saveProjectConfig>[1]);
  return { values, ...(parsed.config ? { config: parsed.config } : {}), findings, saved: ok && !options.dryRun };
}

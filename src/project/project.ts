/** Creating and opening a project folder. */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { fileReadError, partitionFindings, pathExists, writeFileAtomic, type Finding } from '../core/index.js';
import { formatConfigToml, parseConfigText } from './config.js';
import { projectErrors } from './errors.js';
import { CONFIG_FILE_NAME, projectPaths, type ProjectPaths } from './layout.js';
import { NAME_PATTERN, type ProjectConfig, type ProjectConfigInput } from './schema/index.js';
import { checkClassWord, checkTriggerToken, type TokenCheckOptions } from './trigger-token.js';

export interface Project {
  readonly paths: ProjectPaths;
  readonly config: ProjectConfig;
  /** Warnings and notes about the settings (errors make loading fail). */
  readonly findings: readonly Finding[];
}

export interface InitProjectOptions {
  readonly token: string;
  readonly className: string;
  readonly name?: string;
  readonly settings?: Omit<ProjectConfigInput, 'token' | 'class' | 'name'>;
}

export interface InitProjectResult {
  readonly project: Project;
  readonly created: boolean;
}

function badConfigError(file: string, findings: readonly Finding[]) {
  const errors = findings.filter((f) => f.severity === 'error');
  const lines = errors.map((f) => `  - ${f.message}${f.fix ? ` ${f.fix}` : ''}`).join('\n');
  return projectErrors.create('PROJECT_BAD_CONFIG', `${file} has ${errors.length === 1 ? 'a problem' : `${errors.length} problems`}:\n${lines}`, `Edit ${file} and run the command again.`, {
    details: { file, findings: errors },
  });
}

function defaultName(root: string): string {
  const base = path.basename(root).replace(/[^a-z0-9._-]+/gi, '-').replace(/^[^a-z0-9]+/i, '');
  return base && NAME_PATTERN.test(base) ? base : 'lora';
}

/** Checks that need more than the schema: the token and class word rules. */
export function checkProjectConfig(config: ProjectConfig, options: TokenCheckOptions = {}): Finding[] {
  return [...checkTriggerToken(config.token, options), ...checkClassWord(config.class)];
}

/** Creates `root` with a tack.toml. Refuses to overwrite an existing project. */
export async function initProject(root: string, options: InitProjectOptions): Promise<InitProjectResult> {
  const paths = projectPaths(root);
  if (await pathExists(paths.configFile)) {
    throw projectErrors.create('PROJECT_EXISTS', `${paths.configFile} already exists.`, `Use the existing project (tack doctor ${root}) or pick another folder.`, {
      details: { file: paths.configFile },
    });
  }
  const input: ProjectConfigInput = {
    ...(options.settings ?? {}),
    name: options.name ?? defaultName(paths.root),
    token: options.token,
    class: options.className,
  };
  const text = formatConfigToml(input);
  const parsed = parseConfigText(text, CONFIG_FILE_NAME);
  const findings = [...parsed.findings, ...(parsed.config ? checkProjectConfig(parsed.config, { pieces: true }) : [])];
  if (!parsed.config || partitionFindings(findings).errors.length > 0) {
    const errors = partitionFindings(findings).errors;
    const tokenError = errors.find((f) => f.code === 'PROJECT_BAD_TOKEN' || f.code === 'PROJECT_BAD_CLASS');
    if (tokenError) {
      throw projectErrors.create(tokenError.code as 'PROJECT_BAD_TOKEN', tokenError.message, tokenError.fix ?? 'Pick another value.', { details: { finding: tokenError } });
    }
    throw badConfigError(CONFIG_FILE_NAME, findings);
  }
  await fsp.mkdir(paths.photosDir, { recursive: true });
  await fsp.mkdir(paths.captionsDir, { recursive: true });
  await writeFileAtomic(paths.configFile, text);
  return { project: { paths, config: parsed.config, findings }, created: true };
}

/** Opens the project at `root`: reads and validates tack.toml. */
export async function loadProject(root: string, options: { readonly tokenize?: boolean } = {}): Promise<Project> {
  const paths = projectPaths(root);
  if (!(await pathExists(paths.root))) {
    throw projectErrors.create('PROJECT_NOT_FOUND', `The project folder ${root} does not exist.`, `Create it with: tack init ${root} --token <trigger> --class <woman|man|...>`, {
      details: { folder: paths.root },
    });
  }
  let text: string;
  try {
    text = await fsp.readFile(paths.configFile, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw projectErrors.create('PROJECT_NOT_FOUND', `${root} is not a tack project: it has no ${CONFIG_FILE_NAME}.`, `Create one with: tack init ${root} --token <trigger> --class <woman|man|...>`, {
        details: { folder: paths.root },
      });
    }
    throw fileReadError(paths.configFile, cause);
  }
  const parsed = parseConfigText(text, paths.configFile);
  if (!parsed.config) throw badConfigError(paths.configFile, parsed.findings);
  const findings = checkProjectConfig(parsed.config, options);
  if (partitionFindings(findings).errors.length > 0) throw badConfigError(paths.configFile, findings);
  return { paths, config: parsed.config, findings };
}

/** Rewrites tack.toml with `config` (comments are regenerated from the schema). */
export async function saveProjectConfig(paths: ProjectPaths, config: ProjectConfigInput): Promise<void> {
  await writeFileAtomic(paths.configFile, formatConfigToml(config));
}

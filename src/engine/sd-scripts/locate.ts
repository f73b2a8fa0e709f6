/**
 * Where the engine is: the sd-scripts checkout and the Python that runs it. Order: environment
 * ($TACK_SD_SCRIPTS, $TACK_PYTHON), then tack.toml [train] sd_scripts / python, then the folder
 * `tack engine install` uses. The Python defaults to the checkout's own venv (sd-scripts' README
 * creates `venv` inside the checkout), else python3 on the PATH.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { pathExists, tackDataDir } from '../../core/index.js';

/** The commit tack's argument table was extracted from (sd-scripts.md 0). */
export const PINNED_SD_SCRIPTS_COMMIT = '48d368fa557731ad0488c07304dfeba8c07910eb';
export const SD_SCRIPTS_REPO = 'https://github.com/kohya-ss/sd-scripts.git';
export const TRAIN_SCRIPT = 'sdxl_train_network.py';

export type LocationSource = 'env' | 'config' | 'install' | 'venv' | 'path' | 'none';

export interface EngineLocation {
  /** The checkout, or undefined when none was found. */
  readonly sdScriptsDir?: string;
  readonly sdScriptsSource: LocationSource;
  /** Where tack engine install puts (or put) sd-scripts. */
  readonly installDir: string;
  readonly python: string;
  readonly pythonSource: LocationSource;
  /** `git rev-parse HEAD` of the checkout, read from .git without running git. */
  readonly commit?: string;
  /** The checkout's .git folder (passed to the engine as GIT_DIR so its metadata names the commit). */
  readonly gitDir?: string;
}

export interface LocateOptions {
  readonly env: NodeJS.ProcessEnv;
  /** [train] sd_scripts / python from tack.toml ('' = unset), relative to `baseDir`. */
  readonly configDir?: string;
  readonly configPython?: string;
  readonly baseDir?: string;
}

export function defaultInstallDir(env: NodeJS.ProcessEnv): string {
  return path.join(tackDataDir(env), 'sd-scripts');
}

export function venvPython(dir: string): string {
  return process.platform === 'win32' ? path.join(dir, 'Scripts', 'python.exe') : path.join(dir, 'bin', 'python');
}

/** True when `dir` looks like an sd-scripts checkout. */
export async function isSdScriptsDir(dir: string): Promise<boolean> {
  return (await pathExists(path.join(dir, TRAIN_SCRIPT))) && (await pathExists(path.join(dir, 'library')));
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await fsp.readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Resolves HEAD from a .git folder (or a .git file pointing at one), like `git rev-parse HEAD`. */
export async function readGitHead(checkout: string): Promise<{ commit?: string; gitDir?: string }> {
  let gitDir = path.join(checkout, '.git');
  try {
    const stat = await fsp.stat(gitDir);
    if (stat.isFile()) {
      const pointer = /^gitdir:\s*(.+)$/m.exec((await readText(gitDir)) ?? '')?.[1];
      if (!pointer) return {};
      gitDir = path.resolve(checkout, pointer);
    }
  } catch {
    return {};
  }
  const head = await readText(path.join(gitDir, 'HEAD'));
  if (!head) return { gitDir };
  if (/^[0-9a-f]{40}$/.test(head)) return { commit: head, gitDir };
  const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
  if (!ref) return { gitDir };
  const direct = await readText(path.join(gitDir, ref));
  if (direct && /^[0-9a-f]{40}$/.test(direct)) return { commit: direct, gitDir };
  const packed = await readText(path.join(gitDir, 'packed-refs'));
  const line = packed?.split('\n').find((l) => l.endsWith(` ${ref}`));
  const commit = line?.split(' ')[0];
  return commit && /^[0-9a-f]{40}$/.test(commit) ? { commit, gitDir } : { gitDir };
}

export async function locateEngine(options: LocateOptions): Promise<EngineLocation> {
  const { env } = options;
  const base = options.baseDir ?? process.cwd();
  const installDir = defaultInstallDir(env);
  let sdScriptsDir: string | undefined;
  let sdScriptsSource: LocationSource = 'none';
  if (env.TACK_SD_SCRIPTS) {
    sdScriptsDir = path.resolve(env.TACK_SD_SCRIPTS);
    sdScriptsSource = 'env';
  } else if (options.configDir) {
    sdScriptsDir = path.resolve(base, options.configDir);
    sdScriptsSource = 'config';
  } else if (await pathExists(path.join(installDir, TRAIN_SCRIPT))) {
    sdScriptsDir = installDir;
    sdScriptsSource = 'install';
  }
  let python = 'python3';
  let pythonSource: LocationSource = 'path';
  if (env.TACK_PYTHON) {
    python = env.TACK_PYTHON.includes(path.sep) ? path.resolve(env.TACK_PYTHON) : env.TACK_PYTHON;
    pythonSource = 'env';
  } else if (options.configPython) {
    python = options.configPython.includes('/') || options.configPython.includes('\\') ? path.resolve(base, options.configPython) : options.configPython;
    pythonSource = 'config';
  } else if (sdScriptsDir) {
    for (const venv of ['venv', '.venv']) {
      const candidate = venvPython(path.join(sdScriptsDir, venv));
      if (await pathExists(candidate)) {
        python = candidate;
        pythonSource = 'venv';
        break;
      }
    }
  }
  const git = sdScriptsDir ? await readGitHead(sdScriptsDir) : {};
  return {
    ...(sdScriptsDir ? { sdScriptsDir } : {}),
    sdScriptsSource,
    installDir,
    python,
    pythonSource,
    ...(git.commit ? { commit: git.commit } : {}),
    ...(git.gitDir ? { gitDir: git.gitDir } : {}),
  };
}

/**
 * The projects the studio knows: those under the folders given to `tack studio` (the folder
 * itself, its subfolders and theirs), and those opened or created in the studio (remembered in
 * tack's data folder, most recent first). Only these folders' files are ever served. A project
 * is named in URLs by a short hash of its real path, never by the path itself.
 */
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { pathExists, readJson, writeJsonAtomic } from '../core/index.js';
import { CONFIG_FILE_NAME } from '../project/index.js';
import { studioErrors } from './errors.js';

export interface ProjectEntry {
  readonly id: string;
  /** The project folder's real path (symlinks resolved). */
  readonly dir: string;
}

const MAX_RECENT = 30;
const SKIP = new Set(['node_modules', 'photos', 'captions', 'dataset', 'runs']);

export function projectIdFor(realDir: string): string {
  return createHash('sha256').update(realDir).digest('hex').slice(0, 12);
}

async function isProject(dir: string): Promise<boolean> {
  return pathExists(path.join(dir, CONFIG_FILE_NAME));
}

/** Project folders at `dir` and up to `depth` levels below it. */
async function scan(dir: string, depth: number, out: string[]): Promise<void> {
  if (await isProject(dir)) {
    out.push(dir);
    return;
  }
  if (depth === 0) return;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.') || SKIP.has(e.name)) continue;
    await scan(path.join(dir, e.name), depth - 1, out);
  }
}

export class ProjectRegistry {
  private readonly known = new Map<string, string>();

  constructor(
    readonly roots: readonly string[],
    private readonly recentFile: string,
  ) {}

  private async recent(): Promise<string[]> {
    const data = await readJson<{ projects?: string[] }>(this.recentFile, { projects: [] }).catch(() => ({ projects: [] }));
    return Array.isArray(data.projects) ? data.projects.filter((p) => typeof p === 'string') : [];
  }

  private remember(real: string): ProjectEntry {
    const entry = { id: projectIdFor(real), dir: real };
    this.known.set(entry.id, real);
    return entry;
  }

  /** Every project: under the roots, then the recently opened ones that still exist. */
  async list(): Promise<ProjectEntry[]> {
    const found: string[] = [];
    for (const root of this.roots) await scan(path.resolve(root), 2, found);
    for (const dir of await this.recent()) if (await isProject(dir)) found.push(dir);
    const seen = new Set<string>();
    const out: ProjectEntry[] = [];
    for (const dir of found) {
      const real = await fsp.realpath(dir).catch(() => undefined);
      if (!real || seen.has(real)) continue;
      seen.add(real);
      out.push(this.remember(real));
    }
    return out;
  }

  /** Registers a project folder (it must have a tack.toml) and remembers it as recent. */
  async add(dir: string): Promise<ProjectEntry> {
    const real = await fsp.realpath(path.resolve(dir)).catch(() => undefined);
    if (!real || !(await isProject(real))) {
      throw studioErrors.create('STUDIO_NOT_A_PROJECT', `${dir} is not a tack project (it has no ${CONFIG_FILE_NAME}).`, 'Pick the folder that holds tack.toml, or create a project there.', { details: { folder: dir } });
    }
    const recent = [real, ...(await this.recent()).filter((p) => p !== real)].slice(0, MAX_RECENT);
    await writeJsonAtomic(this.recentFile, { version: 1, projects: recent }, { durable: false });
    return this.remember(real);
  }

  /** Drops a project from the recent list (its folder is untouched). */
  async forget(id: string): Promise<void> {
    const dir = this.known.get(id);
    if (!dir) return;
    await writeJsonAtomic(this.recentFile, { version: 1, projects: (await this.recent()).filter((p) => p !== dir) }, { durable: false });
  }

  /** The project with this id; throws STUDIO_NOT_FOUND for an id the studio does not know. */
  async resolve(id: string): Promise<ProjectEntry> {
    if (!/^[0-9a-f]{12}$/.test(id)) throw studioErrors.create('STUDIO_NOT_FOUND', `"${id}" is not a project id.`, 'Open the project from the projects page.');
    if (!this.known.has(id)) await this.list();
    const dir = this.known.get(id);
    if (!dir || !(await isProject(dir))) throw studioErrors.create('STUDIO_NOT_FOUND', `The studio knows no project ${id}.`, 'Open the project from the projects page.', { details: { id } });
    return { id, dir };
  }

  /** The registered project that contains `file` (a real path), if any. */
  containing(realFile: string): ProjectEntry | undefined {
    for (const [id, dir] of this.known) if (realFile === dir || realFile.startsWith(dir + path.sep)) return { id, dir };
    return undefined;
  }
}

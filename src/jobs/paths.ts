/**
 * Where the job store lives: tack's data folder (src/core/dirs.ts), where `tack engine install`
 * puts the engine too. The project folders stay the source of truth for photos, captions and
 * runs; the store only records the work done on them.
 */
import path from 'node:path';
import { tackDataDir } from '../core/dirs.js';

export { tackDataDir };

export function jobStoreFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(tackDataDir(env), 'jobs.sqlite');
}

/** The output of job `id`'s worker process (what it printed besides its events). */
export function jobLogFile(id: number, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(tackDataDir(env), 'job-logs', `${id}.log`);
}

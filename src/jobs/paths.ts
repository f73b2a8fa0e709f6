/**
 * Where the job store lives: tack's data folder, the same convention as `tack engine install`
 * (src/engine/sd-scripts/locate.ts): $TACK_DATA_DIR, else $XDG_DATA_HOME/tack, else
 * ~/.local/share/tack. The project folders stay the source of truth for photos, captions and
 * runs; the store only records the work done on them.
 */
import os from 'node:os';
import path from 'node:path';

export function tackDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TACK_DATA_DIR) return path.resolve(env.TACK_DATA_DIR);
  const base = env.XDG_DATA_HOME ? path.resolve(env.XDG_DATA_HOME) : path.join(env.HOME ?? os.homedir(), '.local', 'share');
  return path.join(base, 'tack');
}

export function jobStoreFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(tackDataDir(env), 'jobs.sqlite');
}

/** The output of job `id`'s worker process (what it printed besides its events). */
export function jobLogFile(id: number, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(tackDataDir(env), 'job-logs', `${id}.log`);
}

/**
 * tack's data folder: $TACK_DATA_DIR, else $XDG_DATA_HOME/tack, else ~/.local/share/tack. The
 * engine tack installs (sd-scripts/), the job store and the studio's staged uploads live there.
 */
import os from 'node:os';
import path from 'node:path';

export function tackDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TACK_DATA_DIR) return path.resolve(env.TACK_DATA_DIR);
  const base = env.XDG_DATA_HOME ? path.resolve(env.XDG_DATA_HOME) : path.join(env.HOME ?? os.homedir(), '.local', 'share');
  return path.join(base, 'tack');
}

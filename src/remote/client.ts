/**
 * How tack runs ssh on this machine: the program ($TACK_SSH, else ssh on the PATH), an optional
 * config file ($TACK_SSH_CONFIG, passed as -F instead of ~/.ssh/config), and the folder of the
 * control sockets ($TACK_SSH_CONTROL_DIR, else $XDG_RUNTIME_DIR/tack-ssh, else
 * <tmp>/tack-ssh-<uid>, else ~/.ssh/tack when those paths are too long for a socket), which must
 * belong to the user and be closed to others: a socket there is a logged-in connection.
 */
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SshClient, SshEndpoint } from '../io/index.js';
import { remoteErrors } from './errors.js';
import type { RemoteEntry } from './registry.js';

/** A unix socket path has about 104 bytes; ssh adds a 40-character hash and a 17-character temp suffix. */
const MAX_CONTROL_DIR = 44;

function defaultControlDir(env: NodeJS.ProcessEnv): string {
  const uid = process.getuid?.() ?? 0;
  const candidates = [
    env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'tack-ssh') : undefined,
    path.join(os.tmpdir(), `tack-ssh-${uid}`),
    // macOS: its temporary folder's path is too long for a socket; ~/.ssh is where ssh users keep theirs.
    path.join(env.HOME ?? os.homedir(), '.ssh', 'tack'),
  ];
  return candidates.find((dir): dir is string => dir !== undefined && dir.length <= MAX_CONTROL_DIR) ?? (candidates[2] as string);
}

/** Creates the control-socket folder owner-only, or refuses one that others could use. */
export async function ensureControlDir(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const stat = await fsp.lstat(dir);
  const uid = process.getuid?.();
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) {
    throw remoteErrors.create('REMOTE_SSH_FAILED', `${dir} (tack's ssh control sockets) is not a folder of yours.`, 'Remove it, or set TACK_SSH_CONTROL_DIR to a private folder.', { details: { dir } });
  }
  if ((stat.mode & 0o077) !== 0) await fsp.chmod(dir, 0o700);
}

export function sshClientFor(env: NodeJS.ProcessEnv): SshClient {
  return {
    program: env.TACK_SSH || 'ssh',
    ...(env.TACK_SSH_CONFIG ? { configFile: path.resolve(env.TACK_SSH_CONFIG) } : {}),
    controlDir: env.TACK_SSH_CONTROL_DIR ? path.resolve(env.TACK_SSH_CONTROL_DIR) : defaultControlDir(env),
    connectTimeoutSec: Number(env.TACK_SSH_CONNECT_TIMEOUT) > 0 ? Number(env.TACK_SSH_CONNECT_TIMEOUT) : 15,
    persistSec: 60,
    env,
  };
}

export function endpointOf(entry: RemoteEntry): SshEndpoint {
  return { host: entry.host, ...(entry.user ? { user: entry.user } : {}), ...(entry.port ? { port: entry.port } : {}), ...(entry.identityFile ? { identityFile: entry.identityFile } : {}) };
}

/** The command a user types to connect by hand (for hints). */
export function manualSshCommand(entry: RemoteEntry): string {
  const parts = ['ssh'];
  if (entry.port) parts.push('-p', String(entry.port));
  if (entry.identityFile) parts.push('-i', entry.identityFile);
  parts.push(`${entry.user ? `${entry.user}@` : ''}${entry.host}`);
  return parts.join(' ');
}

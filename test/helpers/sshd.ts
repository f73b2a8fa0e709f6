/**
 * A real OpenSSH server on a loopback port, started by the tests as the current user, as the
 * "remote" of remote-training tests: host and user keys generated in a temp folder, a client
 * config file (`ssh -F`) with its own known_hosts and identity, so the real user's ~/.ssh is
 * never read. The fake trainer runs on it like a real one on a rented GPU.
 *
 * When the server is missing the tests are skipped with the install command, unless
 * TACK_REQUIRE_SSHD=1 (set by .ci/run), which makes a missing server a failure.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { processesMentioning } from './fake-engine.js';

export const SSHD = process.env.TACK_TEST_SSHD ?? '/usr/sbin/sshd';
export const SSHD_INSTALL_HINT = 'install it with: apt-get install openssh-server openssh-client rsync';

export interface TestSshd {
  /** Everything of this server and its clients lives here. */
  readonly dir: string;
  readonly port: number;
  /** The server's own pid. */
  readonly pid: number;
  /** `user@127.0.0.1:port`, as `tack remote add` takes it. */
  readonly target: string;
  /** The client config (ssh -F): known_hosts and identity inside `dir`. */
  readonly sshConfig: string;
  readonly knownHosts: string;
  readonly identity: string;
  /** Where tack keeps its control sockets in these tests. */
  readonly controlDir: string;
  /** Environment for tack: the client config and the control-socket folder. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Pids of the ssh control masters connected to this server. */
  masters(): Promise<number[]>;
  /** Kills the control masters (a dropped connection). */
  killMasters(): Promise<number>;
  stop(): Promise<void>;
}

/** Every process below `pid` (Linux /proc). */
async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) parents.set(Number(entry), ppid);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parents) if (parent === p) (out.push(child), walk(child));
  };
  walk(pid);
  return out;
}

export function sshdAvailable(): boolean {
  return existsSync(SSHD);
}

/** Skips the test when there is no sshd (fails instead under TACK_REQUIRE_SSHD=1). */
export function skipWithoutSshd(t: TestContext): boolean {
  if (sshdAvailable()) return false;
  if (process.env.TACK_REQUIRE_SSHD === '1') throw new Error(`${SSHD} is missing and TACK_REQUIRE_SSHD=1: ${SSHD_INSTALL_HINT}`);
  t.skip(`no OpenSSH server at ${SSHD} (${SSHD_INSTALL_HINT})`);
  return true;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function userName(): string {
  return execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
}

async function waitForPort(port: number, child: ChildProcess, log: () => Promise<string>): Promise<void> {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`sshd exited at once: ${await log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on ${port}: ${await log()}`);
}

export interface StartSshdOptions {
  /** Variables every session on this server gets (sshd's SetEnv): the remote machine's environment. */
  readonly env?: Record<string, string>;
  /** Leave the server's host key out of known_hosts (tack must refuse to connect). */
  readonly unknownHostKey?: boolean;
}

/** Starts sshd on a free loopback port, with keys and a client config in a new folder under `root`. */
export async function startSshd(root: string, name: string, options: StartSshdOptions = {}): Promise<TestSshd> {
  const dir = path.join(root, `sshd-${name}`);
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o700);
  const hostKey = path.join(dir, 'host_ed25519');
  const identity = path.join(dir, 'id_ed25519');
  for (const key of [hostKey, identity]) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `tack-test-${name}`, '-f', key]);
  const authorized = path.join(dir, 'authorized_keys');
  await writeFile(authorized, await readFile(`${identity}.pub`), { mode: 0o600 });
  // sshd started by root wants its privilege-separation folder (Debian creates it at boot).
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = path.join(dir, 'sshd_config');
  const setEnv = Object.entries(options.env ?? {}).map(([k, v]) => `SetEnv ${k}="${v.replace(/"/g, '')}"`);
  await writeFile(
    config,
    [
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${authorized}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      'MaxSessions 64',
      'MaxStartups 64',
      'LogLevel ERROR',
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      ...setEnv,
      '',
    ].join('\n'),
  );
  const child = spawn(SSHD, ['-D', '-e', '-f', config, '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  await waitForPort(port, child, async () => log);
  const knownHosts = path.join(dir, 'known_hosts');
  const hostLine = `[127.0.0.1]:${port} ${(await readFile(`${hostKey}.pub`, 'utf8')).trim()}\n`;
  await writeFile(knownHosts, options.unknownHostKey ? '' : hostLine);
  const sshConfig = path.join(dir, 'ssh_config');
  await writeFile(
    sshConfig,
    ['Host *', `  UserKnownHostsFile ${knownHosts}`, '  GlobalKnownHostsFile /dev/null', `  IdentityFile ${identity}`, '  IdentitiesOnly yes', '  PasswordAuthentication no', '  LogLevel ERROR', ''].join('\n'),
  );
  // Short: a unix socket path has a limit of about 104 bytes.
  const controlDir = path.join(dir, 'c');
  await mkdir(controlDir, { recursive: true, mode: 0o700 });
  const user = userName();
  const masters = async () => (await processesMentioning(controlDir)).filter((pid) => pid !== child.pid);
  const stopped = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    dir,
    port,
    pid: child.pid as number,
    target: `${user}@127.0.0.1:${port}`,
    sshConfig,
    knownHosts,
    identity,
    controlDir,
    env: (extra = {}) => ({ TACK_SSH_CONFIG: sshConfig, TACK_SSH_CONTROL_DIR: controlDir, SSH_AUTH_SOCK: '', ...extra }),
    masters,
    async killMasters() {
      const pids = await masters();
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      return pids.length;
    },
    async stop() {
      for (const pid of await masters()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      // Everything still running on this "remote" (helpers, wrappers, trainers) was started by a
      // test under this folder's remote root: stop it too, so nothing outlives the suite.
      for (const pid of await processesMentioning(dir)) {
        if (pid === child.pid) continue;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      // Its connections (one process tree per client) end with it, so no client waits on them.
      for (const pid of await descendants(child.pid as number)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      child.kill('SIGTERM');
      await Promise.race([stopped, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      for (const name of await readdir(controlDir).catch(() => [] as string[])) await rm(path.join(controlDir, name), { force: true });
    },
  };
}

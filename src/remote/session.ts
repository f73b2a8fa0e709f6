/**
 * One remote as tack uses it: the shared ssh connection, tack's helper program on it
 * (assets/remote/tack-remote.py, copied to <remote folder>/.tack/ under a name that carries its
 * content hash, so a newer tack brings its own), and typed calls to the helper. Every ssh
 * failure becomes a REMOTE_ error that quotes ssh and says what to do.
 */
import { readFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hashBytes, sleep, throwIfCancelled, type TackError } from '../core/index.js';
import {
  checkMaster,
  classifySshFailure,
  controlSocketPath,
  formatRemoteCommand,
  quoteRemoteWord,
  runSsh,
  spawnSsh,
  startMaster,
  stopMaster,
  type SshClient,
  type SshCommandOptions,
  type SshCommandResult,
  type SshEndpoint,
  type SshFailure,
} from '../io/index.js';
import { ensureControlDir, endpointOf, manualSshCommand, sshClientFor } from './client.js';
import { remoteErrors } from './errors.js';
import { formatSshTarget, type RemoteEntry } from './registry.js';

export const HELPER_SOURCE_FILE = fileURLToPath(new URL('../../assets/remote/tack-remote.py', import.meta.url));

let helperCache: { source: Buffer; name: string } | undefined;

/** The helper's bytes and its versioned file name. */
export function helperProgram(): { source: Buffer; name: string } {
  if (!helperCache) {
    const source = readFileSync(HELPER_SOURCE_FILE);
    helperCache = { source, name: `tack-remote-${hashBytes(source).slice(0, 12)}.py` };
  }
  return helperCache;
}

export interface RemoteInfo {
  readonly version: number;
  readonly hostname: string;
  readonly system: string;
  readonly release: string;
  readonly machine: string;
  readonly agentPython: string;
  /** The interpreter that ran the helper, as a full path (used for later calls: a version-manager shim can cost a third of a second). */
  readonly agentExecutable?: string;
  readonly home: string;
  /** The remote folder, absolute. */
  readonly root: string;
  readonly rootExists: boolean;
  readonly disk: { readonly path: string; readonly freeBytes: number; readonly totalBytes: number };
  readonly rsync: string | null;
  readonly tar: string | null;
  readonly git: string | null;
  readonly nvidiaSmi: { readonly gpus?: ReadonlyArray<{ index: number; name: string; memoryMiB: number; usedMiB: number; driver: string }>; readonly error?: string };
  readonly engine: {
    readonly dir: string | null;
    readonly source: 'config' | 'install' | 'none';
    readonly ok: boolean;
    readonly installDir: string;
    readonly python: string;
    readonly pythonSource: 'config' | 'venv' | 'path';
    readonly commit: string | null;
    readonly gitDir: string | null;
    readonly checkout: boolean;
    readonly venv: boolean;
  };
  readonly probe?: { readonly code: number | null; readonly stdout: string; readonly stderr: string; readonly error?: string };
}

/** Holds `file` (created exclusively) until the returned release; a lock older than a minute is stale. */
async function lockFile(file: string, signal?: AbortSignal): Promise<() => Promise<void>> {
  const until = Date.now() + 90_000;
  for (;;) {
    try {
      await fsp.writeFile(file, String(process.pid), { flag: 'wx' });
      return () => fsp.rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await fsp.stat(file).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 60_000 || Date.now() > until) await fsp.rm(file, { force: true });
      else await sleep(100, signal);
      throwIfCancelled(signal);
    }
  }
}

export interface HelperOptions extends SshCommandOptions {
  /** What tack was doing, for error messages. */
  readonly doing?: string;
  /** Exit codes of the helper that still carry a JSON answer (an error it explains). */
  readonly accept?: readonly number[];
}

export class RemoteSession {
  readonly client: SshClient;
  readonly endpoint: SshEndpoint;
  private connected = false;
  private root: string | undefined;
  private python: string | undefined;

  constructor(readonly remote: RemoteEntry, env: NodeJS.ProcessEnv) {
    this.client = sshClientFor(env);
    this.endpoint = endpointOf(remote);
  }

  /** "pod (root@203.0.113.7:22022)" */
  get label(): string {
    return `${this.remote.name} (${formatSshTarget(this.remote)})`;
  }

  /** The ssh error for a failure, with what to do about it. */
  sshError(failure: SshFailure): TackError {
    const manual = manualSshCommand(this.remote);
    const said = `${this.label}: ${failure.message}`;
    const details = { remote: this.remote.name, ssh: failure.message, kind: failure.kind };
    switch (failure.kind) {
      case 'ssh-missing':
        return remoteErrors.create('REMOTE_SSH_MISSING', `The OpenSSH client is needed to reach ${this.label}: ${failure.message}.`, 'Install it (Debian/Ubuntu: apt install openssh-client; macOS has it; Windows: the OpenSSH Client optional feature), or set TACK_SSH to its path.', { details });
      case 'host-key-unknown':
        return remoteErrors.create('REMOTE_HOST_KEY_UNKNOWN', `The host key of ${said}`, `tack never accepts a host key by itself. Compare the fingerprint with the one your provider shows, then connect once by hand and accept it: ${manual}`, { details });
      case 'host-key-changed':
        return remoteErrors.create('REMOTE_HOST_KEY_CHANGED', `The host key of ${said}`, `If the machine was replaced (a new pod at the same address), remove the old key (ssh-keygen -R ${this.remote.port ? `'[${this.remote.host}]:${this.remote.port}'` : this.remote.host}) and connect once by hand: ${manual}. Otherwise do not connect: someone may be in between.`, { details });
      case 'auth-refused':
        return remoteErrors.create('REMOTE_AUTH_REFUSED', `The remote refused tack's key: ${said}`, `tack never asks for a password. Give the right key (tack remote add ${this.remote.name} ${formatSshTarget(this.remote)} --key ~/.ssh/<key> --replace) and make sure its public half is in the remote's ~/.ssh/authorized_keys (RunPod, Vast.ai: the SSH keys of your account). Test with: ${manual}`, { details });
      case 'unreachable':
      case 'timeout':
      case 'unknown-host':
        return remoteErrors.create('REMOTE_UNREACHABLE', `Cannot reach ${said}`, 'Check that the machine is running and that the address and port are right (tack remote list); a rented pod gets a new address when it restarts: tack remote add ... --replace.', { details });
      default:
        return remoteErrors.create('REMOTE_SSH_FAILED', `ssh to ${said}`, `Try it by hand: ${manual}`, { details });
    }
  }

  /** Opens (or checks) the shared connection. */
  async connect(signal?: AbortSignal): Promise<void> {
    throwIfCancelled(signal);
    await ensureControlDir(this.client.controlDir);
    if ((await checkMaster(this.client, this.endpoint)) !== undefined) {
      this.connected = true;
      return;
    }
    const socket = await controlSocketPath(this.client, this.endpoint);
    const own = socket?.startsWith(`${this.client.controlDir}/`) ? socket : undefined;
    // Two tack processes starting a master at once: the loser's ssh would find the socket taken
    // and stay up as a plain connection nobody ends. The lock makes them take turns.
    const release = own ? await lockFile(`${own}.lock`, signal) : async () => undefined;
    try {
      if ((await checkMaster(this.client, this.endpoint)) !== undefined) {
        this.connected = true;
        return;
      }
      // A master that was killed leaves its socket behind, and ssh would then run without sharing.
      if (own) await fsp.rm(own, { force: true });
      const failure = await startMaster(this.client, this.endpoint, signal);
      throwIfCancelled(signal);
      if (failure) throw this.sshError(failure);
      this.connected = true;
    } finally {
      await release();
    }
  }

  /** Ends the shared connection (and with it every session that rides on it). */
  async disconnect(): Promise<void> {
    await stopMaster(this.client, this.endpoint);
    this.connected = false;
  }

  /** The remote folder, absolute once known (from info), else as configured ("~/tack"). */
  get rootDir(): string {
    return this.root ?? this.remote.dir;
  }

  private get helperPath(): string {
    return `${this.rootDir.replace(/\/+$/, '')}/.tack/${helperProgram().name}`;
  }

  /** The remote command line that runs the helper with `args`. */
  helperCommand(args: readonly string[]): string {
    return formatRemoteCommand([this.python ?? this.remote.python ?? 'python3', this.helperPath, ...args]);
  }

  private async uploadHelper(signal?: AbortSignal): Promise<void> {
    const target = this.helperPath;
    const dir = target.slice(0, target.lastIndexOf('/'));
    const tmp = `${target}.tmp`;
    const command = `${formatRemoteCommand(['mkdir', '-p', dir])} && cat > ${quoteRemoteWord(tmp)} && ${formatRemoteCommand(['mv', '-f', tmp, target])}`;
    const result = await runSsh(this.client, this.endpoint, command, { input: helperProgram().source, timeoutMs: 60_000, ...(signal ? { signal } : {}) });
    this.check(result, 'copying tack\'s helper');
  }

  /** Turns a failed ssh run into the right error (ssh itself exits with 255); `accept` lists exit codes that carry an answer. */
  check(result: SshCommandResult, doing: string, accept: readonly number[] = []): void {
    if (result.spawnError) throw this.sshError({ kind: 'ssh-missing', message: result.spawnError.code === 'ENOENT' ? `${this.client.program} was not found` : result.spawnError.message });
    if (result.code === 255) throw this.sshError(classifySshFailure(result.stderr));
    const python = this.remote.python ?? 'python3';
    if (result.code === 127 && result.stderr.split('\n').some((l) => l.includes(`${python}: `) && /command not found|No such file or directory|not found/.test(l))) {
      throw remoteErrors.create('REMOTE_NO_PYTHON', `${this.label} has no ${python} (${result.stderr.trim().split('\n').pop()}).`, `Install Python 3 there (apt install python3), or name its Python: tack remote add ${this.remote.name} ... --python /path/to/python3 --replace`, {
        details: { remote: this.remote.name },
      });
    }
    if (result.code !== 0 && !accept.includes(result.code as number)) {
      if (/No space left on device/.test(result.stderr)) {
        throw remoteErrors.create('REMOTE_DISK_FULL', `The disk of ${this.label} is full (while ${doing}).`, `Free space on the remote (df -h ${this.rootDir}), or use a larger volume.`, { details: { remote: this.remote.name } });
      }
      const tail = result.stderr.trim().split('\n').slice(-4).join(' ');
      throw remoteErrors.create('REMOTE_HELPER_FAILED', `${doing} on ${this.label} failed (exit code ${result.code ?? result.signal}): ${tail || 'no message'}`, 'Run tack remote doctor for the state of the remote; rerun with TACK_DEBUG=1 for details.', {
        details: { remote: this.remote.name, code: result.code, stderr: tail },
      });
    }
  }

  /** Runs the helper; copies it there first when it is missing (a first contact or a newer tack). */
  async helper(args: readonly string[], options: HelperOptions = {}): Promise<SshCommandResult> {
    if (!this.connected) await this.connect(options.signal);
    let result = await runSsh(this.client, this.endpoint, this.helperCommand(args), options);
    if (result.code === 2 && /can't open file/.test(result.stderr)) {
      await this.uploadHelper(options.signal);
      result = await runSsh(this.client, this.endpoint, this.helperCommand(args), options);
    }
    throwIfCancelled(options.signal);
    this.check(result, options.doing ?? `tack-remote ${args[0]}`, options.accept);
    return result;
  }

  /** Creates a folder on the remote (and its parents). */
  async makeDir(dir: string, signal?: AbortSignal): Promise<void> {
    if (!this.connected) await this.connect(signal);
    const result = await runSsh(this.client, this.endpoint, formatRemoteCommand(['mkdir', '-p', dir]), { timeoutMs: 60_000, ...(signal ? { signal } : {}) });
    this.check(result, `creating ${dir}`);
  }

  /** Makes sure the helper is there (before streams, which cannot copy it on the way). */
  async ensureHelper(signal?: AbortSignal): Promise<void> {
    await this.helperJson(['version'], undefined, { doing: 'starting tack\'s helper', ...(signal ? { signal } : {}) });
  }

  /** Runs the helper with a JSON request and returns its (last) JSON answer. */
  async helperJson<T>(args: readonly string[], request?: unknown, options: HelperOptions = {}): Promise<T> {
    const result = await this.helper(args, { ...options, ...(request !== undefined ? { input: JSON.stringify(request) } : { input: '' }) });
    const lines = result.stdout.toString('utf8').trim().split('\n');
    try {
      return JSON.parse(lines[lines.length - 1] as string) as T;
    } catch {
      throw remoteErrors.create('REMOTE_HELPER_FAILED', `tack's helper on ${this.label} gave no readable answer to ${args[0]}: ${lines.slice(-2).join(' ').slice(0, 300)}`, 'Run tack remote doctor; rerun with TACK_DEBUG=1 for details.', { details: { remote: this.remote.name } });
    }
  }

  /** Starts the helper with pipes (streams); the caller handles its exit. The helper must exist (call info first). */
  spawnHelper(args: readonly string[], stdin: 'pipe' | 'ignore' = 'pipe'): ChildProcess {
    return spawnSsh(this.client, this.endpoint, this.helperCommand(args), stdin);
  }

  /** What the machine has; remembers the absolute remote folder. */
  async info(request: { readonly probeScript?: string; readonly probeTimeoutSec?: number } = {}, signal?: AbortSignal): Promise<RemoteInfo> {
    const info = await this.helperJson<RemoteInfo>(
      ['info'],
      { root: this.remote.dir, sdScripts: this.remote.sdScripts ?? null, python: this.remote.enginePython ?? null, env: this.remote.env ?? {}, ...request },
      { timeoutMs: ((request.probeTimeoutSec ?? 0) + 60) * 1000, doing: 'looking at the machine', ...(signal ? { signal } : {}) },
    );
    this.root = info.root;
    if (info.agentExecutable?.startsWith('/')) this.python = info.agentExecutable;
    return info;
  }
}

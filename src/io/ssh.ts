/**
 * The system OpenSSH client, so the user's ~/.ssh/config, agent, keys and known_hosts apply.
 * One multiplexed connection (ControlMaster) per remote: the first use starts a background
 * master (`ssh -f -N -M`), every later command rides on it (no new handshake). BatchMode: ssh
 * never prompts, so an unknown or changed host key, or a key that is refused, ends the command
 * with ssh's own message, which `classifySshFailure` names. Host-key checking is left as the
 * user configured it (tack never passes StrictHostKeyChecking=no).
 *
 * A remote command is one string that the remote login shell parses: every argument is quoted
 * as data with `formatRemoteCommand`, never pasted in.
 */
import type { ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { runToEnd, spawnInGroup } from './process.js';

export interface SshEndpoint {
  /** A host name, an address, or a Host alias from the ssh config. */
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
  /** A private key file (`-i`); the agent and the config's keys are used otherwise. */
  readonly identityFile?: string;
}

export interface SshClient {
  /** The ssh program (`ssh`, or $TACK_SSH). */
  readonly program: string;
  /** An ssh config file used instead of ~/.ssh/config (`-F`, $TACK_SSH_CONFIG). */
  readonly configFile?: string;
  /** Folder of the control sockets (owner-only). */
  readonly controlDir: string;
  readonly connectTimeoutSec: number;
  /** How long an idle master stays up after the last command. */
  readonly persistSec: number;
  readonly env: NodeJS.ProcessEnv;
}

/** Quotes one word for a POSIX shell: 'it'\''s'. */
export function posixQuote(word: string): string {
  if (word !== '' && /^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A remote command line from an argument array. A leading `~/` stays expandable ("$HOME"/...),
 * the rest of every argument is quoted as data.
 */
export function formatRemoteCommand(argv: readonly string[]): string {
  return argv.map(quoteRemoteWord).join(' ');
}

/** One argument of a remote command: quoted as data, except that a leading `~/` means the remote home. */
export function quoteRemoteWord(arg: string): string {
  return arg === '~' ? '"$HOME"' : arg.startsWith('~/') ? `"$HOME"/${posixQuote(arg.slice(2))}` : posixQuote(arg);
}

/** Options shared by every ssh invocation for this endpoint (before the host). */
export function sshOptions(client: SshClient, endpoint: SshEndpoint, mode: 'master' | 'client'): string[] {
  const args: string[] = [];
  if (client.configFile) args.push('-F', client.configFile);
  args.push(
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${client.connectTimeoutSec}`,
    '-o', 'ServerAliveInterval=5',
    '-o', 'ServerAliveCountMax=3',
    '-o', `ControlPath=${client.controlDir}/%C`,
    '-o', mode === 'master' ? 'ControlMaster=yes' : 'ControlMaster=no',
  );
  if (mode === 'master') args.push('-o', `ControlPersist=${client.persistSec}`);
  if (endpoint.port) args.push('-p', String(endpoint.port));
  if (endpoint.identityFile) args.push('-i', endpoint.identityFile, '-o', 'IdentitiesOnly=yes');
  if (endpoint.user) args.push('-l', endpoint.user);
  return args;
}

/** The `-e` value for rsync: the same ssh with the same options, quoted the way rsync splits it. */
export function rsyncShell(client: SshClient, endpoint: SshEndpoint): string {
  // rsync splits -e on spaces and honours single and double quotes.
  const quote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'"'"'`)}'`);
  return [client.program, ...sshOptions(client, endpoint, 'client')].map(quote).join(' ');
}

export type SshFailureKind = 'ssh-missing' | 'host-key-unknown' | 'host-key-changed' | 'auth-refused' | 'unreachable' | 'timeout' | 'unknown-host' | 'connection-lost' | 'other';

export interface SshFailure {
  readonly kind: SshFailureKind;
  /** ssh's own words (the meaningful lines of its stderr). */
  readonly message: string;
}

/** Names what went wrong from ssh's stderr (OpenSSH's messages, stable since 7.x). */
export function classifySshFailure(stderr: string): SshFailure {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^@+$/.test(l));
  const text = lines.join('\n');
  const message = lines.filter((l) => !l.startsWith('Warning: Permanently added')).slice(0, 6).join(' ') || 'ssh failed without a message';
  let kind: SshFailureKind = 'other';
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(text)) kind = 'host-key-changed';
  else if (/No \S+ host key is known|Host key verification failed/i.test(text)) kind = 'host-key-unknown';
  else if (/Permission denied|Too many authentication failures|no mutual signature/i.test(text)) kind = 'auth-refused';
  else if (/Could not resolve hostname|Name or service not known|nodename nor servname/i.test(text)) kind = 'unknown-host';
  else if (/Connection timed out|Operation timed out|timed out during banner exchange/i.test(text)) kind = 'timeout';
  else if (/Connection refused|No route to host|Network is unreachable|Connection reset by peer|Connection closed by .* port/i.test(text)) kind = 'unreachable';
  else if (/Broken pipe|Connection to .* closed by remote host|client_loop: send disconnect|mux_client|Control socket connect/i.test(text)) kind = 'connection-lost';
  return { kind, message };
}

export interface SshCommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** ssh itself could not be started (ENOENT: not installed). */
  readonly spawnError?: NodeJS.ErrnoException;
  readonly timedOut: boolean;
}

export interface SshCommandOptions {
  /** Bytes fed to the remote command's stdin (then closed). */
  readonly input?: string | Uint8Array;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** stdout as it arrives (the result still holds all of it unless `keepStdout` is false). */
  readonly onStdout?: (chunk: Buffer) => void;
  readonly onStderr?: (text: string) => void;
  readonly keepStdout?: boolean;
}

/** Spawns a program with pipes in its own process group, killed when tack exits. */
export function spawnPiped(argv: readonly string[], env: NodeJS.ProcessEnv, stdin: 'pipe' | 'ignore' = 'pipe'): ChildProcess {
  return spawnInGroup(argv, { env, stdin });
}

/** Runs a program to its end with optional stdin, capturing stdout (bytes) and stderr (text). */
export async function runPiped(argv: readonly string[], env: NodeJS.ProcessEnv, options: SshCommandOptions = {}): Promise<SshCommandResult> {
  const out: Buffer[] = [];
  let stderr = '';
  const decoder = new StringDecoder('utf8');
  const result = await runToEnd(argv, {
    env,
    ...(options.input !== undefined ? { input: options.input } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onStdout: (chunk) => {
      options.onStdout?.(chunk);
      if (options.keepStdout !== false) out.push(chunk);
    },
    onStderr: (chunk) => {
      const text = decoder.write(chunk);
      options.onStderr?.(text);
      stderr = (stderr + text).slice(-64_000);
    },
  });
  return { ...result, stdout: Buffer.concat(out), stderr };
}

/** `ssh ... host -- <command>` riding on the master. */
export function sshArgv(client: SshClient, endpoint: SshEndpoint, remoteCommand: string): string[] {
  return [client.program, ...sshOptions(client, endpoint, 'client'), endpoint.host, '--', remoteCommand];
}

/** Runs one remote command (already formatted) and captures its output. */
export function runSsh(client: SshClient, endpoint: SshEndpoint, remoteCommand: string, options: SshCommandOptions = {}): Promise<SshCommandResult> {
  return runPiped(sshArgv(client, endpoint, remoteCommand), client.env, options);
}

/** Starts a remote command with pipes (for streams: following a run, tar transfers). */
export function spawnSsh(client: SshClient, endpoint: SshEndpoint, remoteCommand: string, stdin: 'pipe' | 'ignore' = 'ignore'): ChildProcess {
  return spawnPiped(sshArgv(client, endpoint, remoteCommand), client.env, stdin);
}

/** The pid of the running master for this endpoint, or undefined (`ssh -O check`). */
export async function checkMaster(client: SshClient, endpoint: SshEndpoint): Promise<number | undefined> {
  const result = await runPiped([client.program, ...sshOptions(client, endpoint, 'client'), '-O', 'check', endpoint.host], client.env, { timeoutMs: 10_000 });
  if (result.code !== 0) return undefined;
  const pid = /pid=(\d+)/.exec(result.stderr)?.[1];
  return pid ? Number(pid) : -1;
}

/** The control socket's path as ssh expands it (`ssh -G`), or undefined. */
export async function controlSocketPath(client: SshClient, endpoint: SshEndpoint): Promise<string | undefined> {
  const result = await runPiped([client.program, ...sshOptions(client, endpoint, 'client'), '-G', endpoint.host], client.env, { timeoutMs: 10_000 });
  const line = result.stdout.toString('utf8').split('\n').find((l) => l.startsWith('controlpath '));
  return line ? line.slice('controlpath '.length).trim() : undefined;
}

/**
 * Opens the shared connection: `ssh -f -N -M` authenticates, then leaves a background master
 * (its stdio on /dev/null, so it holds none of tack's pipes) that ControlPersist ends when idle.
 */
export async function startMaster(client: SshClient, endpoint: SshEndpoint, signal?: AbortSignal): Promise<SshFailure | undefined> {
  const argv = [client.program, ...sshOptions(client, endpoint, 'master'), '-f', '-N', endpoint.host];
  const result = await runPiped(argv, client.env, { timeoutMs: (client.connectTimeoutSec + 30) * 1000, ...(signal ? { signal } : {}) });
  if (result.spawnError) return { kind: 'ssh-missing', message: result.spawnError.code === 'ENOENT' ? `${client.program} was not found` : result.spawnError.message };
  if (result.code === 0) return undefined;
  if (result.timedOut) return { kind: 'timeout', message: `no answer within ${client.connectTimeoutSec + 30} s` };
  return classifySshFailure(result.stderr);
}

/** Ends the master (`ssh -O exit`); its sessions end with it. */
export async function stopMaster(client: SshClient, endpoint: SshEndpoint): Promise<void> {
  await runPiped([client.program, ...sshOptions(client, endpoint, 'client'), '-O', 'exit', endpoint.host], client.env, { timeoutMs: 10_000 });
}

/**
 * Moving files between this machine and a remote over the shared ssh connection: rsync when
 * both ends have it (resumable: a file cut off by a dropped connection continues from its
 * partial copy), else a tar stream through tack's helper. Both write each file whole under a
 * temporary name and rename it, so nothing half-copied ever looks finished.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { throwIfCancelled } from '../core/index.js';
import { createLineReader, killGroup, rsyncShell, runPiped, type SshCommandResult } from '../io/index.js';
import { remoteErrors } from './errors.js';
import type { TransferMode } from './registry.js';
import type { RemoteSession } from './session.js';
import { extractTar, writeTar } from './tar.js';

let localRsync: Promise<boolean> | undefined;

/** Whether this machine has rsync (asked once). */
export function hasLocalRsync(env: NodeJS.ProcessEnv): Promise<boolean> {
  localRsync ??= runPiped([env.TACK_RSYNC || 'rsync', '--version'], env, { timeoutMs: 10_000 }).then((r) => r.code === 0);
  return localRsync;
}

/** rsync or tar for this remote: the remote's setting, else rsync when both ends have it. */
export async function chooseTransfer(session: RemoteSession, remoteHasRsync: boolean): Promise<'rsync' | 'tar'> {
  const mode: TransferMode = session.remote.transfer ?? 'auto';
  if (mode === 'tar') return 'tar';
  const local = await hasLocalRsync(session.client.env);
  if (mode === 'rsync' && !(local && remoteHasRsync)) {
    throw remoteErrors.create('REMOTE_TRANSFER_FAILED', `${session.label} is set to use rsync, but ${local ? 'the remote' : 'this machine'} has none.`, `Install rsync there, or use tar: tack remote add ${session.remote.name} ... --transfer auto --replace`);
  }
  return local && remoteHasRsync ? 'rsync' : 'tar';
}

function rsyncHost(session: RemoteSession): string {
  return session.endpoint.host.includes(':') ? `[${session.endpoint.host}]` : session.endpoint.host;
}

function transferError(session: RemoteSession, what: string, result: SshCommandResult): Error {
  if (/No space left on device/.test(result.stderr)) {
    return remoteErrors.create('REMOTE_DISK_FULL', `The disk filled up while ${what} (${session.label}).`, 'Free space on the machine that ran out (df -h), then run the same command again: finished files are kept.', { details: { remote: session.remote.name } });
  }
  if (result.code === 255 || /connection unexpectedly closed|Connection (refused|reset|closed)|Broken pipe/i.test(result.stderr)) {
    return remoteErrors.create('REMOTE_TRANSFER_FAILED', `The connection to ${session.label} dropped while ${what}: ${result.stderr.trim().split('\n').slice(-2).join(' ')}`, 'Run the same command again: it continues with what is missing.', { details: { remote: session.remote.name } });
  }
  return remoteErrors.create('REMOTE_TRANSFER_FAILED', `${what} with ${session.label} failed (exit code ${result.code ?? result.signal}): ${result.stderr.trim().split('\n').slice(-3).join(' ') || 'no message'}`, 'Run tack remote doctor; rerun the command to continue.', {
    details: { remote: session.remote.name, code: result.code },
  });
}

export interface TransferOptions {
  readonly signal?: AbortSignal;
  /** Bytes of file content moved so far. */
  readonly onBytes?: (bytes: number) => void;
}

/** rsync's own list of what it moved: "<size> <name>" per file (--out-format). */
function rsyncCounter(onBytes?: (bytes: number) => void): (chunk: Buffer) => void {
  const lines = createLineReader((line) => {
    const size = Number(/^(\d+) /.exec(line)?.[1]);
    if (size > 0) onBytes?.(size);
  });
  return (chunk) => lines.push(chunk);
}

/** tack's helper as a stream (a tar going either way): its stderr kept, stopped by the signal. */
function helperStream(session: RemoteSession, args: readonly string[], signal: AbortSignal | undefined) {
  const child = session.spawnHelper(args, 'pipe');
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const onAbort = () => killGroup(child);
  signal?.addEventListener('abort', onAbort, { once: true });
  child.stdin?.on('error', () => undefined);
  const closed = new Promise<SshCommandResult>((resolve) =>
    child.once('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      resolve({ code, signal: sig, stdout: Buffer.alloc(0), stderr, timedOut: false });
    }),
  );
  return { child, closed, stderr: () => stderr };
}

/** Sends `rels` (relative to `localRoot`) into `remoteRoot`. */
export async function pushFiles(session: RemoteSession, method: 'rsync' | 'tar', localRoot: string, remoteRoot: string, rels: readonly string[], options: TransferOptions = {}): Promise<void> {
  if (!rels.length) return;
  throwIfCancelled(options.signal);
  if (method === 'rsync') {
    const env = session.client.env;
    const argv = [env.TACK_RSYNC || 'rsync', '-a', '-s', '--partial', '--from0', '--files-from=-', '--out-format=%l %n', '-e', rsyncShell(session.client, session.endpoint), `${localRoot}/`, `${rsyncHost(session)}:${remoteRoot}/`];
    const result = await runPiped(argv, env, { input: Buffer.from(`${rels.join('\0')}\0`), onStdout: rsyncCounter(options.onBytes), keepStdout: false, ...(options.signal ? { signal: options.signal } : {}) });
    throwIfCancelled(options.signal);
    if (result.spawnError || result.code !== 0) throw transferError(session, 'sending files', result);
    return;
  }
  const { child, closed, stderr } = helperStream(session, ['receive', remoteRoot], options.signal);
  try {
    await writeTar(child.stdin as NonNullable<typeof child.stdin>, rels.map((rel) => ({ name: rel.split(path.sep).join('/'), file: path.join(localRoot, rel) })), options.onBytes);
  } catch (error) {
    killGroup(child);
    if (!stderr()) throw error;
  }
  const exit = await closed;
  throwIfCancelled(options.signal);
  if (exit.code !== 0) throw transferError(session, 'sending files', exit);
}

/** Brings `rels` (relative to `remoteRoot`) into `localRoot`, each file whole; returns the files written. */
export async function pullFiles(session: RemoteSession, method: 'rsync' | 'tar', remoteRoot: string, localRoot: string, rels: readonly string[], options: TransferOptions = {}): Promise<string[]> {
  if (!rels.length) return [];
  throwIfCancelled(options.signal);
  await fsp.mkdir(localRoot, { recursive: true });
  if (method === 'rsync') {
    const env = session.client.env;
    const argv = [env.TACK_RSYNC || 'rsync', '-a', '-s', '--partial-dir=.tack-partial', '--from0', '--files-from=-', '--out-format=%l %n', '-e', rsyncShell(session.client, session.endpoint), `${rsyncHost(session)}:${remoteRoot}/`, `${localRoot}/`];
    const result = await runPiped(argv, env, { input: Buffer.from(`${rels.join('\0')}\0`), onStdout: rsyncCounter(options.onBytes), keepStdout: false, ...(options.signal ? { signal: options.signal } : {}) });
    throwIfCancelled(options.signal);
    // 24: some files vanished before they were sent (the engine removes old optimizer states).
    if (result.spawnError || (result.code !== 0 && result.code !== 24)) throw transferError(session, 'bringing files home', result);
    const present: string[] = [];
    for (const rel of rels) if (await fsp.stat(path.join(localRoot, rel)).then((s) => s.isFile(), () => false)) present.push(rel);
    return present;
  }
  const { child, closed } = helperStream(session, ['pack'], options.signal);
  child.stdin?.end(JSON.stringify({ root: remoteRoot, paths: rels }));
  let written: string[] = [];
  let extractError: unknown;
  try {
    written = (await extractTar(child.stdout as NonNullable<typeof child.stdout>, localRoot, (entry) => options.onBytes?.(entry.sizeBytes))).map((w) => w.name.split('/').join(path.sep));
  } catch (error) {
    extractError = error;
    killGroup(child);
  }
  const exit = await closed;
  throwIfCancelled(options.signal);
  if (exit.code !== 0 || extractError) throw transferError(session, 'bringing files home', { ...exit, stderr: exit.stderr || String(extractError) });
  return written;
}

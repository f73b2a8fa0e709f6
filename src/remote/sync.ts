/**
 * Sync to a remote: only the files a run needs, only those whose content changed. This side
 * hashes its files (SHA-256, cached by size and mtime in the project's .tack folder); tack's
 * helper reports the hashes of the remote copies (cached there the same way); files that
 * differ or are missing go in one rsync or tar stream, files the remote has but this side no
 * longer does (a photo removed from the dataset) are deleted there. A rerun with nothing
 * changed costs one round trip.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { formatBytes, hashFile, readJson, throwIfCancelled, writeJsonAtomic, type ProgressListener } from '../core/index.js';
import { remoteErrors } from './errors.js';
import type { RemoteSession } from './session.js';
import { pushFiles } from './transfer.js';

export interface SyncEntry {
  /** Relative to both roots, with forward slashes. */
  readonly rel: string;
  readonly file: string;
}

export interface SyncRequest {
  readonly localRoot: string;
  readonly remoteRoot: string;
  readonly files: readonly SyncEntry[];
  /** Folders (relative) mirrored exactly: remote files in them that are not in `files` are removed. */
  readonly mirror: readonly string[];
  readonly method: 'rsync' | 'tar';
  /** Where this side keeps its hash cache. */
  readonly cacheFile: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface SyncResult {
  readonly sent: number;
  readonly sentBytes: number;
  readonly removed: number;
  readonly unchanged: number;
  readonly method: 'rsync' | 'tar';
  readonly durationMs: number;
}

type HashCache = Record<string, [number, number, string]>;

/** SHA-256 of each file, reusing the cache when size and mtime are unchanged. */
export async function hashLocalFiles(entries: readonly SyncEntry[], cacheFile: string, signal?: AbortSignal): Promise<Map<string, { size: number; sha256: string }>> {
  const cache = await readJson<HashCache>(cacheFile, {}).catch(() => ({}) as HashCache);
  const out = new Map<string, { size: number; sha256: string }>();
  let changed = false;
  for (const entry of entries) {
    throwIfCancelled(signal);
    const stat = await fsp.stat(entry.file);
    const cached = cache[entry.file];
    let sha256: string;
    if (cached && cached[0] === stat.size && cached[1] === stat.mtimeMs) sha256 = cached[2];
    else {
      sha256 = await hashFile(entry.file, signal);
      cache[entry.file] = [stat.size, stat.mtimeMs, sha256];
      changed = true;
    }
    out.set(entry.rel, { size: stat.size, sha256 });
  }
  if (changed) await writeJsonAtomic(cacheFile, cache, { durable: false });
  return out;
}

/** Free space the remote must keep beyond the upload itself. */
const SYNC_MARGIN_BYTES = 256 * 1024 * 1024;

export async function syncToRemote(session: RemoteSession, request: SyncRequest): Promise<SyncResult> {
  const started = Date.now();
  const scope = [...new Set([...request.mirror, ...request.files.map((f) => f.rel)])];
  // Both sides hash at the same time.
  const [local, remote] = await Promise.all([
    hashLocalFiles(request.files, request.cacheFile, request.signal),
    session.helperJson<{ files: Record<string, { size: number; sha256: string }>; disk: { freeBytes: number; path: string } }>(
      ['manifest'],
      { root: request.remoteRoot, paths: scope },
      { doing: 'comparing files', ...(request.signal ? { signal: request.signal } : {}) },
    ),
  ]);
  const send = request.files.filter((f) => remote.files[f.rel]?.sha256 !== local.get(f.rel)?.sha256);
  const bytes = send.reduce((sum, f) => sum + (local.get(f.rel)?.size ?? 0), 0);
  const inScope = (rel: string) => request.mirror.some((dir) => rel === dir || rel.startsWith(`${dir}/`));
  const wanted = new Set(request.files.map((f) => f.rel));
  const remove = Object.keys(remote.files).filter((rel) => inScope(rel) && !wanted.has(rel));
  if (bytes > 0 && bytes + SYNC_MARGIN_BYTES > remote.disk.freeBytes) {
    throw remoteErrors.create(
      'REMOTE_DISK_FULL',
      `${session.label} has ${formatBytes(remote.disk.freeBytes)} free at ${remote.disk.path}; the upload needs ${formatBytes(bytes)} plus room for the run.`,
      `Free space there (df -h ${remote.disk.path}), or move tack's folder to a larger volume: tack remote add ${session.remote.name} ... --dir /workspace/tack --replace`,
      { details: { remote: session.remote.name, freeBytes: remote.disk.freeBytes, neededBytes: bytes } },
    );
  }
  let done = 0;
  request.onProgress?.({ done: 0, total: bytes, unit: 'bytes' });
  await pushFiles(session, request.method, request.localRoot, request.remoteRoot, send.map((f) => f.rel.split('/').join(path.sep)), {
    ...(request.signal ? { signal: request.signal } : {}),
    onBytes: (n) => {
      done += n;
      request.onProgress?.({ done: Math.min(done, bytes), total: bytes, unit: 'bytes' });
    },
  });
  if (remove.length) await session.helperJson(['delete'], { root: request.remoteRoot, paths: remove }, { doing: 'removing files', ...(request.signal ? { signal: request.signal } : {}) });
  return { sent: send.length, sentBytes: bytes, removed: remove.length, unchanged: request.files.length - send.length, method: request.method, durationMs: Date.now() - started };
}

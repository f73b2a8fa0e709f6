/**
 * Downloads model files from the Hugging Face Hub into the standard Hugging Face cache, so a
 * model the user already fetched with huggingface_hub (the engine's tagger, ComfyUI, the
 * kohya GUI ...) is reused and a model tack fetched is reused by them:
 *
 *   <cache>/models--<owner>--<name>/blobs/<etag>            the file's bytes
 *   <cache>/models--<owner>--<name>/refs/<revision>         the commit a branch points to
 *   <cache>/models--<owner>--<name>/snapshots/<commit>/<file>  -> ../../blobs/<etag> (symlink)
 *
 * The cache is $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
 * ~/.cache/huggingface/hub (huggingface_hub's rules). The protocol is the Hub's: a HEAD of
 * <endpoint>/<repo>/resolve/<revision>/<file> gives the commit (X-Repo-Commit), the etag
 * (X-Linked-Etag for LFS files: the sha256 of the content; ETag otherwise: the git blob sha1)
 * and the size; large files redirect to a CDN. Downloads go to blobs/<etag>.incomplete and
 * resume from there with a Range request (after a dropped connection, Ctrl-C or a crash); the
 * finished file is checked against its size and hash before it is moved into place.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { coreErrors, pathExists, sleep, throwIfCancelled, writeFileAtomic, type ProgressListener } from '../core/index.js';
import { modelIoErrors } from './model-errors.js';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export interface HubOptions {
  /** Hub URL; default $HF_ENDPOINT, else https://huggingface.co. */
  readonly endpoint?: string;
  /** Cache folder; default from the environment (see above). */
  readonly cacheDir?: string;
  /** Never use the network (also when $HF_HUB_OFFLINE is 1/true). */
  readonly offline?: boolean;
  /** Environment to read HF_* variables from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Give up on a request or a stalled transfer after this long without data (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** Attempts after a failed or interrupted transfer, each resuming where it stopped (default 4). */
  readonly retries?: number;
  /** First wait between attempts; doubles each time (default 1 s). */
  readonly retryDelayMs?: number;
  readonly signal?: AbortSignal;
  /** Bytes of the file being downloaded. */
  readonly onProgress?: ProgressListener;
  /** Extra words for the offline error's hint (e.g. how to point tack at a downloaded folder). */
  readonly manualHint?: string;
}

export interface HubFileRequest {
  /** "owner/name" */
  readonly repo: string;
  /** Path inside the repository, e.g. "model.onnx" or "onnx/encoder_model.onnx". */
  readonly file: string;
  /** Branch, tag or commit (default "main"). */
  readonly revision?: string;
}

export interface HubFile {
  /** The file in the snapshot folder (a symlink to the blob, or a copy where links fail). */
  readonly path: string;
  readonly snapshotDir: string;
  readonly commit: string;
  readonly etag: string;
  readonly sizeBytes: number;
  /** False when the file came from the cache. */
  readonly downloaded: boolean;
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
}

/** The Hugging Face hub cache folder for this environment. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return path.resolve(env.HF_HUB_CACHE);
  if (env.HUGGINGFACE_HUB_CACHE) return path.resolve(env.HUGGINGFACE_HUB_CACHE);
  if (env.HF_HOME) return path.resolve(env.HF_HOME, 'hub');
  const xdg = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(xdg, 'huggingface', 'hub');
}

export function hubEndpoint(options: Pick<HubOptions, 'endpoint' | 'env'> = {}): string {
  const env = options.env ?? process.env;
  return (options.endpoint || env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
}

export function isHubOffline(options: Pick<HubOptions, 'offline' | 'env'> = {}): boolean {
  const env = options.env ?? process.env;
  return Boolean(options.offline) || truthy(env.HF_HUB_OFFLINE) || truthy(env.TRANSFORMERS_OFFLINE);
}

/** The cache folder of one model repository. */
export function hubRepoFolder(cacheDir: string, repo: string): string {
  return path.join(cacheDir, `models--${repo.split('/').join('--')}`);
}

const COMMIT = /^[0-9a-f]{40}$/;

export function isValidRepoId(repo: string): boolean {
  return /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/.test(repo) && !repo.includes('..');
}

/** The cached copy of a file, if any: the revision's snapshot first, then any snapshot. */
export async function findCachedHubFile(cacheDir: string, request: HubFileRequest): Promise<{ path: string; commit: string } | undefined> {
  const folder = hubRepoFolder(cacheDir, request.repo);
  const revision = request.revision ?? 'main';
  let commit: string | undefined = COMMIT.test(revision) ? revision : undefined;
  if (!commit) commit = (await fsp.readFile(path.join(folder, 'refs', revision), 'utf8').catch(() => '')).trim() || undefined;
  if (commit) {
    const file = path.join(folder, 'snapshots', commit, request.file);
    if (await isUsableFile(file)) return { path: file, commit };
    if (COMMIT.test(revision)) return undefined;
  }
  const snapshots = await fsp.readdir(path.join(folder, 'snapshots')).catch(() => [] as string[]);
  let best: { path: string; commit: string; mtime: number } | undefined;
  for (const snap of snapshots) {
    const file = path.join(folder, 'snapshots', snap, request.file);
    const stat = await fsp.stat(file).catch(() => undefined);
    if (stat?.isFile() && (!best || stat.mtimeMs > best.mtime)) best = { path: file, commit: snap, mtime: stat.mtimeMs };
  }
  return best ? { path: best.path, commit: best.commit } : undefined;
}

async function isUsableFile(file: string): Promise<boolean> {
  const stat = await fsp.stat(file).catch(() => undefined);
  return Boolean(stat?.isFile());
}

function resolveUrl(endpoint: string, request: HubFileRequest): string {
  const revision = encodeURIComponent(request.revision ?? 'main');
  const file = request.file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${request.repo}/resolve/${revision}/${file}`;
}

function normalizeEtag(value: string | null): string | undefined {
  if (!value) return undefined;
  return value.replace(/^W\//, '').replace(/^"|"$/g, '') || undefined;
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

interface RemoteFile {
  readonly commit: string;
  readonly etag: string;
  readonly sizeBytes: number;
  readonly downloadUrl: string;
}

class NetworkError extends Error {}

function cancelled(): never {
  throw coreErrors.create('CORE_CANCELLED', 'Stopped by the user.', 'Run the same command again: the partial download is kept and resumes.');
}

/** HEAD the resolve URL (following only same-host redirects, as huggingface_hub does). */
async function headRemote(endpoint: string, request: HubFileRequest, options: HubOptions): Promise<RemoteFile> {
  let url = resolveUrl(endpoint, request);
  // huggingface_hub waits 10 s for this metadata request (HF_HUB_ETAG_TIMEOUT).
  const timeout = Math.min(options.idleTimeoutMs ?? 60_000, 10_000);
  for (let hop = 0; hop < 5; hop++) {
    let response: Response;
    try {
      const signals = [AbortSignal.timeout(timeout), ...(options.signal ? [options.signal] : [])];
      response = await fetch(url, { method: 'HEAD', redirect: 'manual', headers: { 'Accept-Encoding': 'identity', 'User-Agent': 'tack' }, signal: AbortSignal.any(signals) });
    } catch (error) {
      if (options.signal?.aborted) cancelled();
      throw new NetworkError(networkReason(error));
    }
    const errorCode = response.headers.get('x-error-code') ?? '';
    if (response.status === 401 || response.status === 403 || response.status === 404 || /NotFound/.test(errorCode)) {
      const what = /Revision/.test(errorCode) ? `revision "${request.revision ?? 'main'}" of ${request.repo}` : /Entry/.test(errorCode) || response.status === 404 ? `${request.file} in ${request.repo}` : `the repository ${request.repo}`;
      throw modelIoErrors.create('HUB_NOT_FOUND', `The Hugging Face Hub has no ${what} (HTTP ${response.status}${errorCode ? ` ${errorCode}` : ''}).`, `Check the name at ${endpoint}/${request.repo}; private or gated models are not supported.`, {
        details: { repo: request.repo, file: request.file, revision: request.revision ?? 'main', status: response.status },
      });
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const target = new URL(location, url);
      const sameHost = target.host === new URL(url).host && !response.headers.get('x-linked-etag');
      if (sameHost) {
        url = target.toString();
        continue;
      }
    } else if (response.status >= 400) {
      throw new NetworkError(`HTTP ${response.status}`);
    }
    const commit = response.headers.get('x-repo-commit') ?? '';
    const etag = normalizeEtag(response.headers.get('x-linked-etag')) ?? normalizeEtag(response.headers.get('etag'));
    const size = Number(response.headers.get('x-linked-size') ?? response.headers.get('content-length') ?? NaN);
    if (!COMMIT.test(commit) || !etag || !Number.isFinite(size)) {
      throw new NetworkError(`the answer for ${url} lacks the Hub's X-Repo-Commit / ETag / size headers (is ${endpoint} a Hugging Face Hub?)`);
    }
    return { commit, etag, sizeBytes: size, downloadUrl: location ? new URL(location, url).toString() : url };
  }
  throw new NetworkError(`too many redirects for ${url}`);
}

/** sha256 for LFS etags (64 hex), git's blob sha1 for small files (40 hex). */
async function verifyContent(file: string, etag: string, sizeBytes: number, signal?: AbortSignal): Promise<string | undefined> {
  const stat = await fsp.stat(file);
  if (stat.size !== sizeBytes) return `its size is ${stat.size} bytes, not ${sizeBytes}`;
  let hash;
  if (/^[0-9a-f]{64}$/.test(etag)) hash = createHash('sha256');
  else if (/^[0-9a-f]{40}$/.test(etag)) hash = createHash('sha1').update(`blob ${sizeBytes}\0`);
  else return undefined;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, signal })) hash.update(chunk as Buffer);
  const digest = hash.digest('hex');
  return digest === etag ? undefined : `its hash is ${digest}, not ${etag}`;
}

/** Streams one GET into `incomplete`, resuming from its current size. Returns when the body ends. */
async function transfer(remote: RemoteFile, incomplete: string, request: HubFileRequest, options: HubOptions): Promise<void> {
  const existing = (await fsp.stat(incomplete).catch(() => undefined))?.size ?? 0;
  let start = existing > remote.sizeBytes ? 0 : existing;
  if (start === remote.sizeBytes) return;
  const timeout = options.idleTimeoutMs ?? 60_000;
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let timer = setTimeout(() => controller.abort(), timeout);
  const handle = await fsp.open(incomplete, start > 0 ? 'a' : 'w');
  try {
    let response: Response;
    try {
      response = await fetch(remote.downloadUrl, {
        headers: { 'Accept-Encoding': 'identity', 'User-Agent': 'tack', ...(start > 0 ? { Range: `bytes=${start}-` } : {}) },
        signal: controller.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) cancelled();
      throw new NetworkError(networkReason(error));
    }
    if (response.status === 200 && start > 0) {
      // The server ignored the range: start over.
      await handle.truncate(0);
      start = 0;
    } else if (response.status === 416) {
      await handle.truncate(0);
      throw new NetworkError('the server refused to resume (HTTP 416)');
    } else if (response.status !== 200 && response.status !== 206) {
      throw new NetworkError(`HTTP ${response.status}`);
    }
    let done = start;
    let position = start;
    options.onProgress?.({ done, total: remote.sizeBytes, unit: 'bytes', item: request.file });
    if (!response.body) throw new NetworkError('empty response');
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(), timeout);
        await handle.write(chunk, 0, chunk.byteLength, position);
        position += chunk.byteLength;
        done += chunk.byteLength;
        options.onProgress?.({ done, total: remote.sizeBytes, unit: 'bytes', item: request.file });
      }
    } catch (error) {
      if (options.signal?.aborted) cancelled();
      throw new NetworkError(controller.signal.aborted ? `no data for ${Math.round(timeout / 1000)} s` : networkReason(error));
    }
    await handle.sync();
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    await handle.close();
  }
}

async function linkSnapshot(blob: string, target: string): Promise<void> {
  await fsp.mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  await fsp.rm(tmp, { force: true });
  try {
    await fsp.symlink(path.relative(path.dirname(target), blob), tmp);
  } catch {
    // Filesystems without symlinks get a copy, as huggingface_hub does on Windows.
    await fsp.copyFile(blob, tmp);
  }
  await fsp.rename(tmp, target);
}

/** Takes a per-blob lock so two tack processes do not write the same partial file. */
async function withBlobLock<T>(lockFile: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  await fsp.mkdir(path.dirname(lockFile), { recursive: true });
  for (;;) {
    try {
      const handle = await fsp.open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(await fsp.readFile(lockFile, 'utf8').catch(() => ''));
      let alive = false;
      if (pid > 0 && pid !== process.pid) {
        try {
          process.kill(pid, 0);
          alive = true;
        } catch {
          alive = false;
        }
      }
      if (!alive) {
        await fsp.rm(lockFile, { force: true });
        continue;
      }
      throwIfCancelled(signal);
      await sleep(500, signal);
    }
  }
  try {
    return await fn();
  } finally {
    await fsp.rm(lockFile, { force: true });
  }
}

function offlineError(request: HubFileRequest, endpoint: string, cacheDir: string, reason: string, options: HubOptions) {
  const page = `${endpoint}/${request.repo}/tree/${request.revision ?? 'main'}`;
  return modelIoErrors.create(
    'HUB_OFFLINE',
    `${request.file} of ${request.repo} is not in the Hugging Face cache (${cacheDir}) and ${reason}.`,
    `Connect to the internet and run the command again (a partial download resumes), or download the files from ${page} on another machine${options.manualHint ? ` ${options.manualHint}` : ` and copy its ${path.basename(hubRepoFolder(cacheDir, request.repo))} cache folder into ${cacheDir}`}.`,
    { details: { repo: request.repo, file: request.file, cacheDir, endpoint } },
  );
}

/**
 * Returns a local path for `request`, downloading it into the Hugging Face cache when needed.
 * With no network, a cached copy is used; without one the error explains the manual route.
 */
export async function hubDownload(request: HubFileRequest, options: HubOptions = {}): Promise<HubFile> {
  const env = options.env ?? process.env;
  const cacheDir = options.cacheDir ?? hubCacheDir(env);
  const endpoint = hubEndpoint(options);
  const revision = request.revision ?? 'main';
  const folder = hubRepoFolder(cacheDir, request.repo);
  if (!isValidRepoId(request.repo)) {
    throw modelIoErrors.create('HUB_NOT_FOUND', `"${request.repo}" is not a Hugging Face repository id.`, 'Use the form owner/name, e.g. SmilingWolf/wd-v1-4-moat-tagger-v2.', { details: { repo: request.repo } });
  }
  const cached = async () => {
    const hit = await findCachedHubFile(cacheDir, request);
    if (!hit) return undefined;
    const stat = await fsp.stat(hit.path);
    return { path: hit.path, snapshotDir: path.join(folder, 'snapshots', hit.commit), commit: hit.commit, etag: '', sizeBytes: stat.size, downloaded: false } satisfies HubFile;
  };
  if (COMMIT.test(revision) || isHubOffline({ ...options, env })) {
    const hit = await cached();
    if (hit) return hit;
    if (isHubOffline({ ...options, env })) throw offlineError(request, endpoint, cacheDir, 'offline mode is on (HF_HUB_OFFLINE)', options);
  }
  const retries = options.retries ?? 4;
  let delay = options.retryDelayMs ?? 1000;
  let lastReason = '';
  for (let attempt = 0; attempt <= retries; attempt++) {
    throwIfCancelled(options.signal);
    if (attempt > 0) {
      await sleep(delay, options.signal);
      delay *= 2;
      throwIfCancelled(options.signal);
    }
    let remote: RemoteFile;
    try {
      remote = await headRemote(endpoint, request, options);
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      lastReason = error.message;
      const hit = await cached();
      if (hit) return hit;
      if (/^(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ENETUNREACH|EHOSTUNREACH)$/.test(lastReason)) {
        throw offlineError(request, endpoint, cacheDir, `${endpoint} cannot be reached (${lastReason})`, options);
      }
      continue;
    }
    const blob = path.join(folder, 'blobs', remote.etag);
    const snapshotFile = path.join(folder, 'snapshots', remote.commit, request.file);
    if (!COMMIT.test(revision)) await writeFileAtomic(path.join(folder, 'refs', revision), remote.commit);
    const blobStat = await fsp.stat(blob).catch(() => undefined);
    if (blobStat?.isFile() && blobStat.size === remote.sizeBytes) {
      if (!(await isUsableFile(snapshotFile))) await linkSnapshot(blob, snapshotFile);
      return { path: snapshotFile, snapshotDir: path.join(folder, 'snapshots', remote.commit), commit: remote.commit, etag: remote.etag, sizeBytes: remote.sizeBytes, downloaded: false };
    }
    const incomplete = `${blob}.incomplete`;
    try {
      await withBlobLock(`${incomplete}.tack-lock`, options.signal, async () => {
        if (await pathExists(blob)) return;
        await transfer(remote, incomplete, request, options);
        const got = (await fsp.stat(incomplete)).size;
        if (got < remote.sizeBytes) throw new NetworkError(`the connection closed after ${got} of ${remote.sizeBytes} bytes`);
        const problem = await verifyContent(incomplete, remote.etag, remote.sizeBytes, options.signal);
        if (problem) {
          await fsp.rm(incomplete, { force: true });
          throw modelIoErrors.create('HUB_CORRUPT', `The download of ${request.file} from ${request.repo} was rejected: ${problem}.`, 'Run the command again to download it afresh; if it keeps failing, a proxy or disk is damaging the data.', {
            details: { repo: request.repo, file: request.file, etag: remote.etag },
          });
        }
        await fsp.rename(incomplete, blob);
      });
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      lastReason = error.message;
      continue;
    }
    await linkSnapshot(blob, snapshotFile);
    return { path: snapshotFile, snapshotDir: path.join(folder, 'snapshots', remote.commit), commit: remote.commit, etag: remote.etag, sizeBytes: remote.sizeBytes, downloaded: true };
  }
  throw modelIoErrors.create(
    'HUB_DOWNLOAD_FAILED',
    `Downloading ${request.file} from ${request.repo} failed after ${retries + 1} attempts (${lastReason}).`,
    'Check the network and run the command again: what was downloaded is kept and the transfer resumes.',
    { details: { repo: request.repo, file: request.file, endpoint, reason: lastReason } },
  );
}

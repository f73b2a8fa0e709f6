/**
 * File helpers every module uses. Writes are atomic: data goes to a temporary file in the same
 * folder, is flushed, then renamed over the target, so a crash or Ctrl-C never leaves a half
 * written file behind (at worst a stray `*.tmp-*` file, which `removeStaleTemps` cleans up).
 */
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { coreErrors } from './errors.js';

const TEMP_MARK = '.tmp-';

/** A fresh temporary name next to `target`, of the kind removeStaleTemps and isTempName recognise. */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`);
}

function writeError(target: string, cause: unknown) {
  const reason = (cause as NodeJS.ErrnoException)?.code ?? (cause instanceof Error ? cause.message : String(cause));
  return coreErrors.create('CORE_WRITE_FAILED', `Could not write ${target} (${reason}).`, 'Check that the folder exists, is writable and that the disk is not full.', { cause, details: { file: target } });
}

export interface AtomicWriteOptions {
  /**
   * Flush to disk before the rename (default true). Caches and other files tack can rebuild
   * skip it: the rename alone already keeps a crash from leaving a half-written file in place.
   */
  readonly durable?: boolean;
}

/** Fills a temporary file next to `target` with `fill`, then renames it over `target`. */
async function replaceAtomically(target: string, fill: (tmp: string) => Promise<void>, durable: boolean): Promise<void> {
  const tmp = tempPathFor(target);
  try {
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fill(tmp);
    if (durable) {
      const handle = await fsp.open(tmp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await fsp.rename(tmp, target);
  } catch (cause) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw writeError(target, cause);
  }
}

/** Writes `data` to `target` atomically (temp file + fsync + rename). Creates the parent folder. */
export async function writeFileAtomic(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  await replaceAtomically(target, (tmp) => fsp.writeFile(tmp, data), options.durable ?? true);
}

/** Copies `source` to `target` atomically; the bytes are unchanged. */
export async function copyFileAtomic(source: string, target: string, options: AtomicWriteOptions = {}): Promise<void> {
  await replaceAtomically(target, (tmp) => fsp.copyFile(source, tmp), options.durable ?? true);
}

export async function writeJsonAtomic(target: string, value: unknown, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`, options);
}

/** Reads and parses JSON; a missing file gives `fallback` when one is passed. */
export async function readJson<T>(file: string, fallback?: T): Promise<T> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT' && fallback !== undefined) return fallback;
    throw fileReadError(file, cause);
  }
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw coreErrors.create('CORE_BAD_JSON', `${file} is not valid JSON (${(cause as Error).message}).`, 'Fix the file by hand or delete it; tack rebuilds its own state files.', { cause, details: { file } });
  }
}

export function fileReadError(file: string, cause: unknown) {
  const code = (cause as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') {
    return coreErrors.create('CORE_FILE_NOT_FOUND', `${file} does not exist.`, 'Check the path (relative paths start from the current folder).', { cause, details: { file } });
  }
  return coreErrors.create('CORE_FILE_UNREADABLE', `Cannot read ${file} (${code ?? String(cause)}).`, 'Check the file permissions and that it is a file, not a folder.', { cause, details: { file } });
}

export async function pathExists(p: string): Promise<boolean> {
  try {
    await fsp.access(p);
    return true;
  } catch {
    return false;
  }
}

/** SHA-256 of a file, streamed (constant memory). Hex, 64 characters. */
export async function hashFile(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const stream = createReadStream(file, { highWaterMark: 1 << 20, signal });
  try {
    for await (const chunk of stream) hash.update(chunk as Buffer);
  } catch (cause) {
    if ((cause as Error).name === 'AbortError') throw cause;
    throw fileReadError(file, cause);
  }
  return hash.digest('hex');
}

let crcTable: Uint32Array | undefined;
/** CRC-32 (zip, safetensors hashes) of `data`, continuing from `previous` (the CRC of the bytes before it). */
export function crc32(data: Uint8Array, previous = 0): number {
  const native = (zlib as unknown as { crc32?: (d: Uint8Array, value?: number) => number }).crc32;
  if (native) return native(data, previous) >>> 0;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) crc = (crcTable[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

export function hashBytes(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * SHA-256 of bytes off the main thread (WebCrypto digests run on libuv's thread pool), so
 * several files hash at once on several cores. Hex, 64 characters.
 */
export async function hashBytesInPool(data: Uint8Array): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', data)).toString('hex');
}

/** Removes temp files left by an interrupted atomic write in `dir` (not recursive). */
export async function removeStaleTemps(dir: string): Promise<number> {
  let removed = 0;
  let entries: string[];
  try {
    entries = await fsp.readdir(dir);
  } catch {
    return 0;
  }
  for (const name of entries) {
    if (name.startsWith('.') && name.includes(TEMP_MARK)) {
      await fsp.rm(path.join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}

export function isTempName(name: string): boolean {
  return name.startsWith('.') && name.includes(TEMP_MARK);
}

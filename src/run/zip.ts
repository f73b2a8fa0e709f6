/**
 * A small zip writer (PKWARE APPNOTE 6.3: local headers, central directory, end record; no
 * zip64). Photos are stored (they are already compressed), text is deflated. Names are UTF-8
 * (flag bit 11) and carry Unix permissions so the run script stays executable. The archive is
 * written to a temporary file and renamed into place, so a Ctrl-C never leaves half a zip.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { crc32, tempPathFor, throwIfCancelled } from '../core/index.js';

export interface ZipEntry {
  /** Path inside the archive, with forward slashes. */
  readonly name: string;
  /** Bytes, or a file to read them from. */
  readonly data?: Uint8Array | string;
  readonly file?: string;
  /** Unix mode, e.g. 0o755 for a script. */
  readonly mode?: number;
  readonly compress?: boolean;
}

const LIMIT = 0xffffffff;

function dosTime(date: Date): { time: number; day: number } {
  const year = Math.max(1980, date.getFullYear());
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    day: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

export class ZipTooLargeError extends Error {}

interface SharedFields {
  readonly method: number;
  readonly time: number;
  readonly day: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly nameLength: number;
}

/**
 * The 26 bytes the local header (at 4) and the central directory entry (at 6) have in common:
 * version needed (2.0), flags (UTF-8 names), method, DOS time and date, CRC-32, sizes, name length.
 */
function writeSharedFields(header: Buffer, at: number, f: SharedFields): void {
  header.writeUInt16LE(20, at);
  header.writeUInt16LE(0x0800, at + 2);
  header.writeUInt16LE(f.method, at + 4);
  header.writeUInt16LE(f.time, at + 6);
  header.writeUInt16LE(f.day, at + 8);
  header.writeUInt32LE(f.crc, at + 10);
  header.writeUInt32LE(f.compressedSize, at + 14);
  header.writeUInt32LE(f.size, at + 18);
  header.writeUInt16LE(f.nameLength, at + 22);
}

/** Writes `entries` to `target` atomically; returns the archive size in bytes. */
export async function writeZip(target: string, entries: readonly ZipEntry[], options: { readonly signal?: AbortSignal; readonly onEntry?: (done: number, total: number, name: string) => void } = {}): Promise<number> {
  if (entries.length > 0xffff) throw new ZipTooLargeError(`${entries.length} files: more than a zip without zip64 can hold.`);
  const tmp = tempPathFor(target);
  await fsp.mkdir(path.dirname(target), { recursive: true });
  const handle = await fsp.open(tmp, 'w');
  const central: Buffer[] = [];
  let offset = 0;
  const { time, day } = dosTime(new Date());
  try {
    for (const [index, entry] of entries.entries()) {
      throwIfCancelled(options.signal);
      const raw = entry.file ? await fsp.readFile(entry.file) : typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : Buffer.from(entry.data ?? new Uint8Array());
      const crc = crc32(raw);
      const deflated = entry.compress ? zlib.deflateRawSync(raw, { level: 9 }) : undefined;
      const body = deflated && deflated.length < raw.length ? deflated : raw;
      const method = body === raw ? 0 : 8;
      if (raw.length > LIMIT || offset + body.length > LIMIT) throw new ZipTooLargeError(`the bundle would pass 4 GiB at ${entry.name}.`);
      const name = Buffer.from(entry.name, 'utf8');
      const shared = { method, time, day, crc, compressedSize: body.length, size: raw.length, nameLength: name.length };
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      writeSharedFields(local, 4, shared);
      await handle.write(local);
      await handle.write(name);
      await handle.write(body);
      const dir = Buffer.alloc(46);
      dir.writeUInt32LE(0x02014b50, 0);
      dir.writeUInt16LE((3 << 8) | 20, 4);
      writeSharedFields(dir, 6, shared);
      dir.writeUInt32LE((((entry.mode ?? 0o644) | 0o100000) << 16) >>> 0, 38);
      dir.writeUInt32LE(offset, 42);
      central.push(dir, name);
      offset += local.length + name.length + body.length;
      options.onEntry?.(index + 1, entries.length, entry.name);
    }
    const centralBuf = Buffer.concat(central);
    if (offset + centralBuf.length > LIMIT) throw new ZipTooLargeError('the bundle would pass 4 GiB.');
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(centralBuf.length, 12);
    end.writeUInt32LE(offset, 16);
    await handle.write(centralBuf);
    await handle.write(end);
    await handle.sync();
    await handle.close();
    await fsp.rename(tmp, target);
    return offset + centralBuf.length + end.length;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw error;
  }
}

/**
 * A zip reader for bundles that come back from training elsewhere (PKWARE APPNOTE 6.3): the
 * central directory, stored and deflated entries, zip64 sizes and offsets (a zip of a trained
 * bundle easily passes 4 GiB: Python's zipfile and `zip -r` then write zip64 records). Entries
 * are streamed to disk with their CRC-32 checked, so a damaged download is caught, not imported.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { crc32, tempPathFor } from '../core/index.js';

export interface ZipListing {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc: number;
  readonly localHeaderOffset: number;
  /** Modification time from the DOS date and time fields (local time). */
  readonly modified: Date;
}

export class ZipReadError extends Error {}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

async function readAt(handle: fsp.FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buf, 0, length, offset);
  if (bytesRead !== length) throw new ZipReadError('the file ends early: it is not a complete zip');
  return buf;
}

function dosDate(time: number, day: number): Date {
  return new Date(1980 + (day >> 9), ((day >> 5) & 15) - 1, day & 31, time >> 11, (time >> 5) & 63, (time & 31) * 2);
}

/** Every entry of the zip's central directory. */
export async function listZip(file: string): Promise<ZipListing[]> {
  const handle = await fsp.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const tailLength = Math.min(size, 65_557);
    const tail = await readAt(handle, size - tailLength, tailLength);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new ZipReadError('no zip end record: it is not a zip file, or it is cut off');
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const locator = eocd - 20;
      if (locator < 0 || tail.readUInt32LE(locator) !== EOCD64_LOCATOR) throw new ZipReadError('a zip64 end record is announced but missing');
      const record = await readAt(handle, Number(tail.readBigUInt64LE(locator + 8)), 56);
      if (record.readUInt32LE(0) !== EOCD64) throw new ZipReadError('the zip64 end record is damaged');
      count = Number(record.readBigUInt64LE(32));
      cdSize = Number(record.readBigUInt64LE(40));
      cdOffset = Number(record.readBigUInt64LE(48));
    }
    const cd = await readAt(handle, cdOffset, cdSize);
    const out: ZipListing[] = [];
    let at = 0;
    for (let n = 0; n < count; n++) {
      if (cd.readUInt32LE(at) !== CENTRAL) throw new ZipReadError(`central directory entry ${n} is damaged`);
      const flags = cd.readUInt16LE(at + 8);
      const method = cd.readUInt16LE(at + 10);
      const time = cd.readUInt16LE(at + 12);
      const day = cd.readUInt16LE(at + 14);
      const crc = cd.readUInt32LE(at + 16);
      let compressedSize = cd.readUInt32LE(at + 20);
      let uncompressed = cd.readUInt32LE(at + 24);
      const nameLength = cd.readUInt16LE(at + 28);
      const extraLength = cd.readUInt16LE(at + 30);
      const commentLength = cd.readUInt16LE(at + 32);
      let offset = cd.readUInt32LE(at + 42);
      const name = cd.toString(flags & 0x800 ? 'utf8' : 'latin1', at + 46, at + 46 + nameLength);
      let extra = at + 46 + nameLength;
      const extraEnd = extra + extraLength;
      while (extra + 4 <= extraEnd) {
        const id = cd.readUInt16LE(extra);
        const length = cd.readUInt16LE(extra + 2);
        if (id === 0x0001) {
          let field = extra + 4;
          if (uncompressed === 0xffffffff) (uncompressed = Number(cd.readBigUInt64LE(field))), (field += 8);
          if (compressedSize === 0xffffffff) (compressedSize = Number(cd.readBigUInt64LE(field))), (field += 8);
          if (offset === 0xffffffff) offset = Number(cd.readBigUInt64LE(field));
        }
        extra += 4 + length;
      }
      out.push({ name, method, compressedSize, size: uncompressed, crc, localHeaderOffset: offset, modified: dosDate(time, day) });
      at = extraEnd + commentLength;
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** Writes one entry to `target` (atomically, its CRC-32 checked). */
export async function extractZipEntry(file: string, entry: ZipListing, target: string): Promise<void> {
  if (entry.method !== 0 && entry.method !== 8) throw new ZipReadError(`${entry.name} uses compression method ${entry.method}; only stored and deflated entries can be read`);
  const handle = await fsp.open(file, 'r');
  let dataStart: number;
  try {
    const local = await readAt(handle, entry.localHeaderOffset, 30);
    if (local.readUInt32LE(0) !== LOCAL) throw new ZipReadError(`the local header of ${entry.name} is damaged`);
    dataStart = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  } finally {
    await handle.close();
  }
  await fsp.mkdir(path.dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  let crc = 0;
  let written = 0;
  const check = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      crc = crc32(chunk, crc);
      written += chunk.length;
      done(null, chunk);
    },
  });
  const source = createReadStream(file, { start: dataStart, end: dataStart + entry.compressedSize - 1, highWaterMark: 1 << 20 });
  try {
    if (entry.compressedSize === 0) await fsp.writeFile(tmp, '');
    else if (entry.method === 8) await pipeline(source, zlib.createInflateRaw(), check, createWriteStream(tmp));
    else await pipeline(source, check, createWriteStream(tmp));
    if (written !== entry.size || (entry.size > 0 && crc !== entry.crc)) throw new ZipReadError(`${entry.name} is damaged in the zip (its checksum does not match)`);
    await fsp.utimes(tmp, entry.modified, entry.modified);
    await fsp.rename(tmp, target);
  } catch (error) {
    await fsp.rm(tmp, { force: true });
    if (error instanceof ZipReadError) throw error;
    throw new ZipReadError(`${entry.name} cannot be read from the zip: ${(error as Error).message}`);
  }
}

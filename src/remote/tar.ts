/**
 * The tar format, as far as transfers without rsync need it: regular files with their size and
 * modification time, long names through pax headers (POSIX.1-2001, what Python's tarfile
 * writes by default). Both directions stream: files are never gathered in memory.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { tempPathFor } from '../core/index.js';

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, mtimeSec: number, type: '0' | 'x'): Buffer {
  const buf = Buffer.alloc(BLOCK, 0);
  buf.write(name.slice(0, 100), 0, 'utf8');
  buf.write(octal(0o644, 8), 100, 'ascii');
  buf.write(octal(0, 8), 108, 'ascii');
  buf.write(octal(0, 8), 116, 'ascii');
  buf.write(octal(size, 12), 124, 'ascii');
  buf.write(octal(Math.max(0, Math.floor(mtimeSec)), 12), 136, 'ascii');
  buf.write('        ', 148, 'ascii');
  buf.write(type, 156, 'ascii');
  buf.write('ustar\0', 257, 'ascii');
  buf.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of buf) sum += byte;
  buf.write(octal(sum, 7) + ' ', 148, 'ascii');
  return buf;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK, 0);
}

async function write(out: Writable, data: Buffer): Promise<void> {
  if (!out.write(data)) await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    out.once('error', onError);
    out.once('drain', () => {
      out.removeListener('error', onError);
      resolve();
    });
  });
}

export interface TarSource {
  /** The name inside the archive (forward slashes). */
  readonly name: string;
  readonly file: string;
}

/** Writes `files` as a tar stream to `out` (ending it); `onBytes` counts file bytes written. */
export async function writeTar(out: Writable, files: readonly TarSource[], onBytes?: (bytes: number) => void): Promise<void> {
  for (const source of files) {
    const stat = await fsp.stat(source.file);
    const nameBytes = Buffer.byteLength(source.name);
    if (nameBytes > 100 || stat.size >= 8 ** 11) {
      const pax = Buffer.from(paxRecord('path', source.name) + paxRecord('size', String(stat.size)));
      await write(out, header('././@PaxHeader', pax.length, stat.mtimeMs / 1000, 'x'));
      await write(out, Buffer.concat([pax, padding(pax.length)]));
    }
    await write(out, header(source.name, stat.size >= 8 ** 11 ? 0 : stat.size, stat.mtimeMs / 1000, '0'));
    let sent = 0;
    for await (const chunk of createReadStream(source.file)) {
      const buf = chunk as Buffer;
      const take = buf.subarray(0, Math.max(0, stat.size - sent));
      sent += take.length;
      await write(out, take);
      onBytes?.(take.length);
    }
    if (sent !== stat.size) throw new Error(`${source.file} changed size while it was being sent`);
    await write(out, padding(stat.size));
  }
  await write(out, Buffer.alloc(BLOCK * 2, 0));
  await new Promise<void>((resolve) => out.end(resolve));
}

function parseOctal(buf: Buffer, start: number, length: number): number {
  const text = buf.toString('ascii', start, start + length).replace(/\0.*$/s, '').trim();
  return text ? Number.parseInt(text, 8) : 0;
}

function safeName(name: string): string | undefined {
  const norm = path.posix.normalize(name.replace(/^\.\//, ''));
  if (!norm || norm === '.' || norm.startsWith('../') || norm === '..' || path.posix.isAbsolute(norm)) return undefined;
  return norm;
}

export interface TarEntryWritten {
  readonly name: string;
  readonly file: string;
  readonly sizeBytes: number;
}

/**
 * Reads a tar stream and writes each regular file under `root` atomically (temp name, then
 * rename, with the archive's mtime), so a file appears whole or not at all. Other entries are
 * skipped; names that would leave `root` are refused.
 */
export async function extractTar(input: Readable, root: string, onFile?: (entry: TarEntryWritten) => void): Promise<TarEntryWritten[]> {
  const written: TarEntryWritten[] = [];
  let buffer: Buffer = Buffer.alloc(0);
  let pax: Record<string, string> = {};
  let current: { name?: string; remaining: number; pad: number; mtime: number; type: string; out?: ReturnType<typeof createWriteStream>; tmp?: string; target?: string; body: Buffer[] } | undefined;
  let ended = false;

  const finishEntry = async () => {
    const entry = current;
    current = undefined;
    if (!entry) return;
    if (entry.type === 'x' || entry.type === 'g') {
      if (entry.type === 'x') {
        const text = Buffer.concat(entry.body).toString('utf8');
        let i = 0;
        while (i < text.length) {
          const space = text.indexOf(' ', i);
          const length = Number(text.slice(i, space));
          if (!length) break;
          const record = text.slice(space + 1, i + length - 1);
          const eq = record.indexOf('=');
          pax[record.slice(0, eq)] = record.slice(eq + 1);
          i += length;
        }
      }
      return;
    }
    if (entry.out && entry.tmp && entry.target && entry.name) {
      const out = entry.out;
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
      await fsp.utimes(entry.tmp, entry.mtime, entry.mtime);
      await fsp.rename(entry.tmp, entry.target);
      const done = { name: entry.name, file: entry.target, sizeBytes: (await fsp.stat(entry.target)).size };
      written.push(done);
      onFile?.(done);
    }
  };

  try {
    for await (const chunk of input) {
      buffer = buffer.length ? Buffer.concat([buffer, chunk as Buffer]) : (chunk as Buffer);
      while (!ended) {
        if (!current) {
          if (buffer.length < BLOCK) break;
          const block = buffer.subarray(0, BLOCK);
          buffer = buffer.subarray(BLOCK);
          if (block.every((b) => b === 0)) {
            ended = true;
            break;
          }
          const type = String.fromCharCode(block[156] || 48);
          const prefix = block.toString('utf8', 345, 500).replace(/\0.*$/s, '');
          const baseName = block.toString('utf8', 0, 100).replace(/\0.*$/s, '');
          const name = pax.path ?? (prefix ? `${prefix}/${baseName}` : baseName);
          const size = pax.size !== undefined ? Number(pax.size) : parseOctal(block, 124, 12);
          const mtime = pax.mtime !== undefined ? Number(pax.mtime) : parseOctal(block, 136, 12);
          if (type !== 'x' && type !== 'g') pax = {};
          current = { remaining: size, pad: (BLOCK - (size % BLOCK)) % BLOCK, mtime, type, body: [] };
          const safe = type === '0' || type === '\0' ? safeName(name) : undefined;
          if (safe) {
            const target = path.join(root, ...safe.split('/'));
            await fsp.mkdir(path.dirname(target), { recursive: true });
            const tmp = tempPathFor(target);
            current.name = safe;
            current.tmp = tmp;
            current.target = target;
            current.out = createWriteStream(tmp);
          }
          if (size === 0) {
            buffer = buffer.subarray(Math.min(buffer.length, current.pad));
            await finishEntry();
          }
          continue;
        }
        if (current.remaining > 0) {
          if (!buffer.length) break;
          const take = buffer.subarray(0, Math.min(buffer.length, current.remaining));
          buffer = buffer.subarray(take.length);
          current.remaining -= take.length;
          if (current.type === 'x' || current.type === 'g') current.body.push(Buffer.from(take));
          else if (current.out && !current.out.write(take)) await new Promise<void>((r) => current?.out?.once('drain', () => r()));
          if (current.remaining > 0) break;
        }
        if (buffer.length < current.pad) break;
        buffer = buffer.subarray(current.pad);
        await finishEntry();
      }
    }
  } finally {
    if (current?.out && current.tmp) {
      current.out.destroy();
      await fsp.rm(current.tmp, { force: true });
    }
  }
  if (current) throw new Error('the tar stream ended in the middle of a file');
  return written;
}

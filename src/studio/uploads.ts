/**
 * Files dropped on the page arrive one request each, streamed to disk (never held in memory),
 * into a staging folder the import job then reads like any folder given to `tack add`. Each is
 * checked before it is kept: its name (one path segment per folder, no control characters, no
 * leading dot), its size, and its content: a photo must be one by its first bytes (whatever its
 * extension says), a caption file must be small UTF-8 text, a LoRA must start with a
 * safetensors header.
 */
import { createWriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { pathExists } from '../core/index.js';
import { sniffFormat } from '../io/index.js';
import { studioErrors } from './errors.js';

export const MAX_PHOTO_BYTES = 200 * 1024 * 1024;
export const MAX_CAPTION_BYTES = 64 * 1024;
export const MAX_LORA_BYTES = 8 * 1024 * 1024 * 1024;

export type UploadKind = 'photo' | 'lora';

const bad = (message: string, hint: string, name: string) => studioErrors.create('STUDIO_BAD_UPLOAD', message, hint, { details: { name } });

/** One safe path segment from a user's file or folder name. */
export function safeSegment(raw: string): string {
  const name = raw.normalize('NFC').trim();
  if (!name || name === '.' || name === '..' || name.startsWith('.') || name.length > 200 || /[\u0000-\u001f\u007f/\\]/.test(name)) {
    throw bad(`"${raw.slice(0, 80)}" is not a usable file name.`, 'Rename the file (no leading dot, no control characters, at most 200 characters).', raw.slice(0, 80));
  }
  return name;
}

/** The relative path a dropped file keeps inside the staging folder (its folders, then its name). */
export function stagedPath(relative: string): string {
  const parts = relative.split(/[\\/]+/).filter(Boolean);
  if (parts.length === 0 || parts.length > 12) throw bad(`"${relative.slice(0, 80)}" is not a usable file path.`, 'Drop the files or a folder of them.', relative.slice(0, 80));
  return path.join(...parts.map(safeSegment));
}

function checkHead(kind: UploadKind, name: string, head: Buffer, size: number): void {
  if (kind === 'lora') {
    const length = head.length >= 8 ? Number(head.readBigUInt64LE(0)) : 0;
    if (!(head.length >= 9 && length > 1 && length < 100 * 1024 * 1024 && head[8] === 0x7b)) {
      throw bad(`${name} is not a .safetensors file (its first bytes are not a safetensors header).`, 'Drop a LoRA saved as .safetensors (kohya sd-scripts, ComfyUI, A1111 all write them).', name);
    }
    return;
  }
  const lower = name.toLowerCase();
  if (lower.endsWith('.txt') || lower.endsWith('.caption')) {
    if (size > MAX_CAPTION_BYTES) throw bad(`${name} is too large for a caption file (${size} bytes).`, 'A caption is one line of text; drop the photos and their .txt captions.', name);
    return;
  }
  if (!sniffFormat(head).format) {
    throw bad(`${name} is not a photo tack can read (by its content, whatever its extension).`, 'Drop JPEG, PNG, WebP, AVIF, HEIC, TIFF, BMP or GIF photos, and their .txt captions.', name);
  }
}

/**
 * Writes `body` to `target` (a new file), refusing it (and leaving nothing behind) when it is
 * too large or its content is not what `kind` allows. Returns the size written.
 */
export async function receiveUpload(body: ReadableStream<Uint8Array> | null, target: string, kind: UploadKind, name: string): Promise<number> {
  if (!body) throw bad(`${name} arrived empty.`, 'Drop the file again.', name);
  const limit = kind === 'lora' ? MAX_LORA_BYTES : name.toLowerCase().endsWith('.txt') || name.toLowerCase().endsWith('.caption') ? MAX_CAPTION_BYTES : MAX_PHOTO_BYTES;
  if (await pathExists(target)) throw bad(`${name} was already received in this batch.`, 'Drop each file once.', name);
  await fsp.mkdir(path.dirname(target), { recursive: true });
  let size = 0;
  let head = Buffer.alloc(0);
  let checked = false;
  const check = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > limit) return done(bad(`${name} is larger than ${Math.round(limit / 1048576)} MB.`, 'Use a smaller file.', name));
      if (!checked) {
        head = Buffer.concat([head, chunk]).subarray(0, 64);
        if (head.length >= 16) {
          checked = true;
          try {
            checkHead(kind, name, head, size);
          } catch (error) {
            return done(error as Error);
          }
        }
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>), check, createWriteStream(target, { flags: 'wx' }));
    if (!checked) checkHead(kind, name, head, size);
    if (size === 0) throw bad(`${name} is empty.`, 'Drop the file again.', name);
  } catch (error) {
    await fsp.rm(target, { force: true });
    throw error;
  }
  return size;
}

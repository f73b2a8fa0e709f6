/**
 * PNG text chunks (PNG spec 11.3.4): tEXt (Latin-1), zTXt (Latin-1, zlib) and iTXt (UTF-8,
 * optionally zlib). A1111 / Forge store their infotext under the keyword `parameters` (PIL
 * writes tEXt, or iTXt when the text is not Latin-1); ComfyUI stores `prompt` and `workflow`;
 * sd-scripts' generation script stores `prompt`, `seed`, `sampler`, `steps`, `scale` ...
 * Works on bytes only: reading and writing files is the caller's business.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { promptErrors } from './errors.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface PngTextChunk {
  readonly keyword: string;
  readonly text: string;
  readonly type: 'tEXt' | 'zTXt' | 'iTXt';
}

interface RawChunk {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly data: Buffer;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG uses it (over chunk type + data). */
export function crc32(data: Uint8Array, crc = 0xffffffff): number {
  let c = crc;
  for (let i = 0; i < data.length; i++) c = (CRC_TABLE[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return c;
}

function finishCrc(c: number): number {
  return (c ^ 0xffffffff) >>> 0;
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.equals(Buffer.from(bytes.subarray(0, 8)));
}

function walkChunks(bytes: Buffer, name: string): RawChunk[] {
  if (!isPng(bytes)) throw promptErrors.create('PROMPT_NOT_PNG', `${name} is not a PNG file.`, 'Infotext is read from PNG images saved by A1111, Forge, ComfyUI or tack.', { details: { file: name } });
  const chunks: RawChunk[] = [];
  let pos = 8;
  while (pos + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(pos);
    const type = bytes.toString('latin1', pos + 4, pos + 8);
    const end = pos + 12 + length;
    if (end > bytes.length) break;
    chunks.push({ type, start: pos, end, data: bytes.subarray(pos + 8, pos + 8 + length) });
    pos = end;
    if (type === 'IEND') return chunks;
  }
  throw promptErrors.create('PROMPT_PNG_TRUNCATED', `${name} is a truncated PNG (no IEND chunk).`, 'The file was cut off while being written or copied; take it again from the generator.', {
    details: { file: name },
  });
}

function decodeText(chunk: RawChunk): PngTextChunk | undefined {
  const data = chunk.data;
  const zero = data.indexOf(0);
  if (zero <= 0) return undefined;
  const keyword = data.toString('latin1', 0, zero);
  try {
    if (chunk.type === 'tEXt') return { keyword, text: data.toString('latin1', zero + 1), type: 'tEXt' };
    if (chunk.type === 'zTXt') return { keyword, text: inflateSync(data.subarray(zero + 2)).toString('latin1'), type: 'zTXt' };
    if (chunk.type === 'iTXt') {
      const compressed = data[zero + 1] === 1;
      const langEnd = data.indexOf(0, zero + 3);
      const transEnd = data.indexOf(0, langEnd + 1);
      if (langEnd < 0 || transEnd < 0) return undefined;
      const body = data.subarray(transEnd + 1);
      return { keyword, text: (compressed ? inflateSync(body) : body).toString('utf8'), type: 'iTXt' };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Every text chunk of a PNG, in file order. */
export function readPngTextChunks(bytes: Uint8Array, name = 'the image'): PngTextChunk[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return walkChunks(buffer, name)
    .filter((c) => c.type === 'tEXt' || c.type === 'zTXt' || c.type === 'iTXt')
    .map(decodeText)
    .filter((c): c is PngTextChunk => c !== undefined);
}

/** The text chunks as a keyword -> text map (the last one wins, as in PIL). */
export function readPngText(bytes: Uint8Array, name?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of readPngTextChunks(bytes, name)) out[c.keyword] = c.text;
  return out;
}

function makeChunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(finishCrc(crc32(out.subarray(4, 8 + data.length))), 8 + data.length);
  return out;
}

function isLatin1(text: string): boolean {
  return !/[^\u0000-\u00ff]/.test(text);
}

/** A text chunk as PIL writes it: tEXt when the text is Latin-1, else iTXt (UTF-8). */
export function encodeTextChunk(keyword: string, text: string, options: { readonly compress?: boolean } = {}): Buffer {
  if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(keyword) || keyword !== keyword.trim()) {
    throw promptErrors.create('PROMPT_BAD_KEYWORD', `"${keyword}" cannot be a PNG text keyword (1-79 Latin-1 characters, no leading/trailing space).`, 'Use a short ASCII keyword such as "parameters".');
  }
  const key = Buffer.from(keyword, 'latin1');
  if (isLatin1(text) && !options.compress) return makeChunk('tEXt', Buffer.concat([key, Buffer.from([0]), Buffer.from(text, 'latin1')]));
  const body = options.compress ? deflateSync(Buffer.from(text, 'utf8')) : Buffer.from(text, 'utf8');
  return makeChunk('iTXt', Buffer.concat([key, Buffer.from([0, options.compress ? 1 : 0, 0, 0, 0]), body]));
}

/**
 * Returns a copy of the PNG with `entries` set as text chunks: chunks with the same keywords
 * are replaced, others kept. New chunks go right after IHDR, before the image data, where
 * PIL puts them and where viewers that stop reading at IDAT still find them. Pixels are
 * untouched.
 */
export function writePngText(bytes: Uint8Array, entries: Readonly<Record<string, string>>, name = 'the image'): Buffer {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks = walkChunks(buffer, name);
  const keys = new Set(Object.keys(entries));
  const parts: Buffer[] = [SIGNATURE];
  for (const chunk of chunks) {
    if (chunk.type === 'tEXt' || chunk.type === 'zTXt' || chunk.type === 'iTXt') {
      const decoded = decodeText(chunk);
      if (decoded && keys.has(decoded.keyword)) continue;
    }
    parts.push(buffer.subarray(chunk.start, chunk.end));
    if (chunk.type === 'IHDR') for (const [k, v] of Object.entries(entries)) parts.push(encodeTextChunk(k, v));
  }
  return Buffer.concat(parts);
}

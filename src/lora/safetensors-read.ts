/**
 * Reading safetensors files safely. Layout (huggingface/safetensors format): 8 bytes
 * little-endian header length N, N bytes of UTF-8 JSON, then the data section. Every check the
 * format implies is enforced here on untrusted input, each failure a LORA_* error naming the
 * file and tensor: header length bounds (at most 100 MB, as the reference implementation),
 * valid UTF-8 and JSON, no duplicate names, known dtypes, shape x dtype size = byte range,
 * ranges inside the file, contiguous, non-overlapping and covering the whole data section,
 * metadata values that are strings. Tensor bytes are read on demand through a ByteSource, so a
 * multi-GB file is never held in memory.
 */
import { fstatSync, readSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { fileReadError } from '../core/index.js';
import { decodeFloats, dtypeBits, isDecodable, isDtype, type Dtype } from './dtypes.js';
import { loraErrors } from './errors.js';
import { JsonHeaderError, NOT_FAST, parseJsonFast, parseJsonStrict, type JsonObject } from './json-header.js';

/** The reference implementation refuses headers above 100 MB; so does tack. */
export const MAX_HEADER_BYTES = 100_000_000;

/** iterate()'s chunk: large enough that per-read costs vanish, small enough to stay in cache. */
const ITERATE_CHUNK_BYTES = 1 << 20;

export interface TensorInfo {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** Offsets relative to the start of the data section, as in the header. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  /** N, the JSON header length in bytes (padding included). */
  readonly headerBytes: number;
  /** 8 + N: where the data section starts in the file. */
  readonly dataOffset: number;
  readonly dataBytes: number;
  /** The `__metadata__` strings, in file order (null prototype: any key is safe). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensors in the order of their offsets. */
  readonly tensors: readonly TensorInfo[];
}

/** Where the bytes come from: a file, or memory (tests, in-memory checks). */
export interface ByteSource {
  readonly sizeBytes: number;
  /** Exactly `length` bytes at `offset`; fails with LORA_TRUNCATED if the source is shorter. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Fills `target` with the bytes at `offset` (no allocation); same failures as read. */
  readInto?(offset: number, target: Uint8Array): Promise<void>;
  /**
   * readInto without leaving the calling thread (a file source). A pass over every tensor uses
   * it: each asynchronous read is two thread hand-offs, and on a busy machine waiting for
   * those costs more than the copy from the page cache itself.
   */
  readIntoSync?(offset: number, target: Uint8Array): void;
  /** The open file descriptor of a file source, for worker threads that read with pread. */
  readonly fd?: number;
  close(): Promise<void>;
}

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function badHeader(file: string, message: string, tensor?: string) {
  return loraErrors.create('LORA_BAD_HEADER', `${file}: ${message}`, 'The file is damaged or not a safetensors file; download or export it again.', {
    details: { file, ...(tensor === undefined ? {} : { tensor }) },
  });
}

function badTensor(file: string, tensor: string, message: string) {
  return loraErrors.create('LORA_BAD_TENSOR', `${file}: tensor "${tensor}" ${message}`, 'The file is damaged (or was cut short while downloading); download or export it again.', {
    details: { file, tensor },
  });
}

/** Validates the 8-byte prefix: returns N or throws. */
export function parseHeaderLength(prefix: Uint8Array, fileSizeBytes: number, file: string): number {
  if (fileSizeBytes < 8 || prefix.length < 8) {
    throw loraErrors.create('LORA_NOT_SAFETENSORS', `${file} is ${fileSizeBytes} bytes long, too short to be a safetensors file.`, 'Check that the path points to a .safetensors file (not a .ckpt, .pt or a partial download).', { details: { file } });
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileSizeBytes - 8)) {
    throw loraErrors.create('LORA_NOT_SAFETENSORS', `${file} is not a safetensors file: its first 8 bytes give a header of ${n} bytes but the file has only ${fileSizeBytes - 8} more.`, 'Check that the path points to a .safetensors file (a .ckpt/.pt pickle is not supported) and that it was downloaded completely.', { details: { file, headerBytes: n.toString() } });
  }
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw badHeader(file, `header of ${n} bytes is larger than the 100 MB the format allows`);
  }
  if (n < 2n) throw badHeader(file, `header of ${n} bytes is too short to hold a JSON object`);
  return Number(n);
}

function asSafeIntArray(value: unknown): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  for (const v of value) if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return undefined;
  return value as number[];
}

/** A parsed JSON object: a Map from the strict parser, or a plain object from parseJsonFast. */
type AnyObject = JsonObject | Record<string, unknown>;

function isObject(value: unknown): value is AnyObject {
  return value instanceof Map || (value !== null && typeof value === 'object' && !Array.isArray(value));
}

function entriesOf(value: AnyObject): Iterable<[string, unknown]> {
  return value instanceof Map ? value : Object.entries(value);
}

function fieldOf(value: AnyObject, key: string): unknown {
  if (value instanceof Map) return value.get(key);
  return Object.hasOwn(value, key) ? value[key] : undefined;
}

/** Parses and validates the JSON header against a data section of `dataBytes` bytes. */
export function parseSafetensorsHeader(headerJson: Uint8Array, dataBytes: number, file: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerJson);
  } catch {
    throw badHeader(file, 'header is not valid UTF-8 text');
  }
  let root: unknown = parseJsonFast(text);
  if (root === NOT_FAST) {
    try {
      root = parseJsonStrict(text);
    } catch (cause) {
      if (cause instanceof JsonHeaderError) {
        const dup = /^duplicate key "(.*)" at/s.exec(cause.message);
        throw badHeader(file, dup ? `tensor name "${dup[1]}" appears twice in the header` : `header is not valid JSON (${cause.message})`, dup?.[1]);
      }
      throw badHeader(file, `header is not valid JSON (${(cause as Error).message})`);
    }
  }
  if (!isObject(root)) throw badHeader(file, 'header is not a JSON object');
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of entriesOf(root)) {
    if (name === '__metadata__') {
      if (!isObject(entry)) {
        throw loraErrors.create('LORA_BAD_METADATA', `${file}: __metadata__ must be an object of text values.`, 'Rewrite the metadata with a tool that stores text values only.', { details: { file } });
      }
      for (const [key, value] of entriesOf(entry)) {
        if (typeof value !== 'string') {
          throw loraErrors.create('LORA_BAD_METADATA', `${file}: metadata "${key}" is ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : `a ${typeof value}`}, but safetensors metadata values must be text.`, 'Rewrite the metadata with a tool that stores text values only.', { details: { file, key } });
        }
        metadata[key] = value;
      }
      continue;
    }
    if (!isObject(entry)) throw badHeader(file, `tensor "${name}" is not described by an object`, name);
    const dtype = fieldOf(entry, 'dtype');
    if (typeof dtype !== 'string') throw badHeader(file, `tensor "${name}" has no dtype`, name);
    if (!isDtype(dtype)) {
      throw loraErrors.create('LORA_UNKNOWN_DTYPE', `${file}: tensor "${name}" has dtype "${dtype.slice(0, 40)}", which tack does not know.`, 'Known dtypes: F64, F32, F16, BF16, F8_E4M3, F8_E5M2, F8_E8M0, F6_E2M3, F6_E3M2, F4, I64, I32, I16, I8, U64, U32, U16, U8, BOOL, C64.', { details: { file, tensor: name, dtype } });
    }
    const shape = asSafeIntArray(fieldOf(entry, 'shape'));
    if (!shape) throw badHeader(file, `tensor "${name}" has a shape that is not a list of whole numbers`, name);
    const offsets = asSafeIntArray(fieldOf(entry, 'data_offsets'));
    if (!offsets || offsets.length !== 2) throw badHeader(file, `tensor "${name}" needs data_offsets [begin, end] of whole numbers`, name);
    const [begin, end] = offsets as [number, number];
    if (end < begin) throw badTensor(file, name, `has data_offsets [${begin}, ${end}] that end before they begin`);
    if (end > dataBytes) throw badTensor(file, name, `lies outside the file: its bytes [${begin}, ${end}) end beyond the ${dataBytes}-byte data section`);
    let numel = 1;
    for (const d of shape) {
      numel *= d;
      if (numel > Number.MAX_SAFE_INTEGER) throw badTensor(file, name, `has an impossible shape [${shape.join(', ')}]`);
    }
    const bits = numel * dtypeBits(dtype);
    if (!Number.isSafeInteger(bits) || bits % 8 !== 0 || bits / 8 !== end - begin) {
      throw badTensor(file, name, `has shape [${shape.join(', ')}] of ${dtype} = ${Number.isSafeInteger(bits) ? bits / 8 : 'too many'} bytes, but its data_offsets give ${end - begin} bytes`);
    }
    tensors.push({ name, dtype, shape, begin, end });
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous: TensorInfo | undefined;
  for (const t of tensors) {
    if (t.begin < expected) throw badTensor(file, t.name, `overlaps tensor "${previous?.name}" (bytes [${t.begin}, ${t.end}) start before ${expected})`);
    if (t.begin > expected) throw badTensor(file, t.name, `starts at byte ${t.begin}, leaving bytes [${expected}, ${t.begin}) of the data section unused`);
    expected = t.end;
    previous = t;
  }
  if (expected !== dataBytes) {
    throw badHeader(file, `the tensors cover ${expected} bytes but the data section has ${dataBytes}: the file has ${dataBytes - expected} unexplained bytes at the end`);
  }
  return { headerBytes: headerJson.length, dataOffset: 8 + headerJson.length, dataBytes, metadata, tensors };
}

/** A ByteSource over an open file. */
export async function fileByteSource(file: string): Promise<ByteSource> {
  let handle: fsp.FileHandle;
  let sizeBytes: number;
  try {
    handle = await fsp.open(file, 'r');
  } catch (cause) {
    throw fileReadError(file, cause);
  }
  try {
    // fstat is a quick system call; as a promise it would wait for a thread-pool round trip.
    const stat = fstatSync(handle.fd);
    if (!stat.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    sizeBytes = stat.size;
  } catch (cause) {
    await handle.close().catch(() => undefined);
    throw fileReadError(file, cause);
  }
  const readInto = async (offset: number, out: Uint8Array) => {
    const length = out.length;
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(out, done, length - done, offset + done);
      if (bytesRead === 0) throw truncatedError(file, offset, done, length);
      done += bytesRead;
    }
  };
  const readIntoSync = (offset: number, out: Uint8Array) => {
    const length = out.length;
    let done = 0;
    while (done < length) {
      let bytesRead: number;
      try {
        bytesRead = readSync(handle.fd, out, done, length - done, offset + done);
      } catch (cause) {
        throw fileReadError(file, cause);
      }
      if (bytesRead === 0) throw truncatedError(file, offset, done, length);
      done += bytesRead;
    }
  };
  return {
    sizeBytes,
    fd: handle.fd,
    async read(offset, length) {
      // Not zero-filled: every byte is overwritten by the read below or the read fails.
      const buffer = Buffer.allocUnsafe(length);
      const out = new Uint8Array(buffer.buffer, buffer.byteOffset, length);
      await readInto(offset, out);
      return out;
    },
    readInto,
    readIntoSync,
    close: () => handle.close(),
  };
}

export function truncatedError(file: string, offset: number, done: number, length: number) {
  return loraErrors.create('LORA_TRUNCATED', `${file} ended at byte ${offset + done}, before the ${length} bytes tack expected at ${offset}.`, 'The file changed or was cut short while tack read it; make sure no other program is writing it and run again.', { details: { file } });
}

/** A ByteSource over bytes in memory. */
export function memoryByteSource(bytes: Uint8Array, label = 'memory'): ByteSource {
  return {
    sizeBytes: bytes.length,
    async read(offset, length) {
      if (offset < 0 || offset + length > bytes.length) {
        throw loraErrors.create('LORA_TRUNCATED', `${label} ended at byte ${bytes.length}, before the ${length} bytes expected at ${offset}.`, 'The data is incomplete.');
      }
      return bytes.slice(offset, offset + length);
    },
    async readInto(offset, target) {
      if (offset < 0 || offset + target.length > bytes.length) {
        throw loraErrors.create('LORA_TRUNCATED', `${label} ended at byte ${bytes.length}, before the ${target.length} bytes expected at ${offset}.`, 'The data is incomplete.');
      }
      target.set(bytes.subarray(offset, offset + target.length));
    },
    close: async () => undefined,
  };
}

export interface SafetensorsFile {
  readonly file: string;
  readonly sizeBytes: number;
  /** The open descriptor when the source is a file (worker threads read tensors through it). */
  readonly fd?: number;
  readonly header: SafetensorsHeader;
  tensor(name: string): TensorInfo | undefined;
  /** The raw little-endian bytes of a tensor. */
  readBytes(tensor: TensorInfo): Promise<Uint8Array>;
  /** The values of a float tensor as doubles. */
  readFloats(tensor: TensorInfo): Promise<Float64Array>;
  /**
   * Every tensor in file order, read in large sequential chunks into one reused buffer (fast,
   * constant memory: one chunk, or the largest tensor if that is bigger; 1 MiB reads of a file
   * block the calling thread for well under a millisecond each).
   * The bytes are a view that is only valid until the next iteration.
   */
  iterate(chunkBytes?: number): AsyncGenerator<{ tensor: TensorInfo; bytes: Uint8Array }>;
  close(): Promise<void>;
}

/** Reads and validates the header of a safetensors source; tensor data is read later, on demand. */
export async function openSafetensorsSource(source: ByteSource, file: string): Promise<SafetensorsFile> {
  try {
    const readHead = async (offset: number, length: number) => {
      if (!source.readIntoSync) return source.read(offset, length);
      const bytes = new Uint8Array(length);
      source.readIntoSync(offset, bytes);
      return bytes;
    };
    const prefix = source.sizeBytes >= 8 ? await readHead(0, 8) : new Uint8Array(0);
    const n = parseHeaderLength(prefix, source.sizeBytes, file);
    const header = parseSafetensorsHeader(await readHead(8, n), source.sizeBytes - 8 - n, file);
    const byName = new Map(header.tensors.map((t) => [t.name, t]));
    const readBytes = (t: TensorInfo) => source.read(header.dataOffset + t.begin, t.end - t.begin);
    return {
      file,
      sizeBytes: source.sizeBytes,
      ...(source.fd === undefined ? {} : { fd: source.fd }),
      header,
      tensor: (name) => byName.get(name),
      readBytes,
      async readFloats(t) {
        if (!isDecodable(t.dtype)) {
          throw loraErrors.create('LORA_UNSUPPORTED_NETWORK', `${file}: tensor "${t.name}" is ${t.dtype}; tack computes with F64, F32, F16 and BF16 tensors only.`, 'Convert the file to F16/F32 with the tool that made it, then run again.', { details: { file, tensor: t.name, dtype: t.dtype } });
        }
        return decodeFloats(await readBytes(t), t.dtype);
      },
      async *iterate(chunkBytes = ITERATE_CHUNK_BYTES) {
        let i = 0;
        const tensors = header.tensors;
        // One buffer for the whole pass: a fresh multi-MB allocation per chunk costs more than
        // the read itself (the kernel zero-fills every new page, and the GC runs for them).
        let buffer = new Uint8Array(0);
        while (i < tensors.length) {
          const first = tensors[i] as TensorInfo;
          let j = i;
          while (j + 1 < tensors.length && (tensors[j + 1] as TensorInfo).end - first.begin <= chunkBytes) j++;
          const length = (tensors[j] as TensorInfo).end - first.begin;
          let chunk: Uint8Array;
          if (source.readIntoSync || source.readInto) {
            if (buffer.length < length) buffer = new Uint8Array(Math.max(length, Math.min(chunkBytes, header.dataBytes)));
            chunk = buffer.subarray(0, length);
            if (source.readIntoSync) source.readIntoSync(header.dataOffset + first.begin, chunk);
            else await source.readInto?.(header.dataOffset + first.begin, chunk);
          } else chunk = await source.read(header.dataOffset + first.begin, length);
          for (let k = i; k <= j; k++) {
            const t = tensors[k] as TensorInfo;
            yield { tensor: t, bytes: chunk.subarray(t.begin - first.begin, t.end - first.begin) };
          }
          i = j + 1;
        }
      },
      close: () => source.close(),
    };
  } catch (error) {
    await source.close().catch(() => undefined);
    throw error;
  }
}

/** Opens a safetensors file: reads its header only. Close it when done. */
export async function openSafetensors(file: string): Promise<SafetensorsFile> {
  return openSafetensorsSource(await fileByteSource(file), file);
}

/** Opens, runs `fn`, and always closes. */
export async function withSafetensors<T>(file: string, fn: (st: SafetensorsFile) => Promise<T>): Promise<T> {
  const st = await openSafetensors(file);
  try {
    return await fn(st);
  } finally {
    await st.close();
  }
}

export type { JsonObject };

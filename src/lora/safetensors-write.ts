/**
 * Writing safetensors files atomically and in the reference layout: tensors ordered by dtype
 * (largest dtype first, in the safetensors `Dtype` enum order) then by name, the JSON header
 * compact and padded with spaces to a multiple of 8. Tensor bytes are produced one at a time
 * (callbacks called in file order), so memory stays at one tensor, and the sd-scripts hashes
 * (`sshs_model_hash`, `sshs_legacy_hash`, sd-scripts.md 7.4) are computed while streaming and
 * written into the header at the end (placeholders of the same length keep the layout fixed).
 */
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { coreErrors, isTackError, tempPathFor, throwIfCancelled, type ProgressListener } from '../core/index.js';
import { dtypeBits, dtypeRank, type Dtype } from './dtypes.js';
import { loraErrors } from './errors.js';

export interface TensorToWrite {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** The bytes, or a callback that makes them when the writer reaches this tensor. */
  readonly data: Uint8Array | (() => Promise<Uint8Array> | Uint8Array);
}

export interface WriteSafetensorsOptions {
  /** Metadata strings in the order they should appear. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Recompute sshs_model_hash / sshs_legacy_hash into the metadata (sd-scripts does on every save). */
  readonly sshsHashes?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface WriteSafetensorsResult {
  readonly sizeBytes: number;
  readonly headerBytes: number;
  /** sha256 of the data section (= AutoV3 / sshs_model_hash). */
  readonly dataSha256: string;
  readonly sshsLegacyHash: string;
  readonly metadata: Readonly<Record<string, string>>;
}

const LEGACY_OFFSET = 0x100000;
const LEGACY_LENGTH = 0x10000;

function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The order the safetensors writer lays tensors out in: dtype (largest first), then name. */
export function orderForWriting<T extends { readonly name: string; readonly dtype: Dtype }>(tensors: readonly T[]): T[] {
  return [...tensors].sort((a, b) => dtypeRank(b.dtype) - dtypeRank(a.dtype) || compareNames(a.name, b.name));
}

export function byteLengthOf(dtype: Dtype, shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return (n * dtypeBits(dtype)) / 8;
}

/** The padded header bytes for tensors (already in file order) and metadata. */
export function buildHeader(ordered: ReadonlyArray<{ name: string; dtype: Dtype; shape: readonly number[] }>, metadata: Readonly<Record<string, string>> | undefined): Uint8Array {
  const parts: string[] = [];
  const metaKeys = metadata ? Object.keys(metadata) : [];
  if (metadata && metaKeys.length > 0) {
    parts.push(`"__metadata__":{${metaKeys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }
  let offset = 0;
  for (const t of ordered) {
    const size = byteLengthOf(t.dtype, t.shape);
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + size}]}`);
    offset += size;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Buffer.alloc((json.length + 7) & ~7, 0x20);
  json.copy(padded);
  return padded;
}


/**
 * Writes a safetensors file atomically (temp file, fsync, rename). Returns the hashes of what
 * was written. Throws CORE_CANCELLED (and leaves no file) when `signal` is aborted.
 */
export async function writeSafetensors(target: string, tensors: readonly TensorToWrite[], options: WriteSafetensorsOptions = {}): Promise<WriteSafetensorsResult> {
  const ordered = orderForWriting(tensors);
  const names = new Set<string>();
  for (const t of ordered) {
    if (names.has(t.name) || t.name === '__metadata__') throw new Error(`writeSafetensors: duplicate or reserved tensor name ${t.name}`);
    names.add(t.name);
  }
  const metadata: Record<string, string> = { ...(options.metadata ?? {}) };
  if (options.sshsHashes) {
    metadata.sshs_model_hash = '0'.repeat(64);
    metadata.sshs_legacy_hash = '0'.repeat(8);
  }
  const header = buildHeader(ordered, metadata);
  const ssOnly = Object.fromEntries(Object.entries(metadata).filter(([k]) => k.startsWith('ss_')));
  const legacyHeader = buildHeader(ordered, ssOnly);
  // Window of the legacy hash in the ss_-only serialization, as offsets into its data section.
  const legacyStart = LEGACY_OFFSET - 8 - legacyHeader.length;
  const legacyParts: Uint8Array[] = [];
  if (legacyStart < 0) {
    const full = Buffer.concat([lengthPrefix(legacyHeader.length), legacyHeader]);
    legacyParts.push(full.subarray(LEGACY_OFFSET, LEGACY_OFFSET + LEGACY_LENGTH));
  }
  const legacyEnd = legacyStart + LEGACY_LENGTH;

  const total = ordered.reduce((s, t) => s + byteLengthOf(t.dtype, t.shape), 0);
  const tmp = tempPathFor(target);
  const dataHash = createHash('sha256');
  let handle: fsp.FileHandle | undefined;
  try {
    await fsp.mkdir(path.dirname(target), { recursive: true });
    handle = await fsp.open(tmp, 'w');
    const out = bufferedWriter(handle, 8 + header.length);
    let offset = 0;
    for (const t of ordered) {
      throwIfCancelled(options.signal);
      const bytes = typeof t.data === 'function' ? await t.data() : t.data;
      const expected = byteLengthOf(t.dtype, t.shape);
      if (bytes.length !== expected) throw new Error(`writeSafetensors: tensor ${t.name} has ${bytes.length} bytes, expected ${expected}`);
      dataHash.update(bytes);
      const end = offset + bytes.length;
      if (end > legacyStart && offset < legacyEnd) {
        const from = Math.max(legacyStart, offset) - offset;
        const to = Math.min(legacyEnd, end) - offset;
        legacyParts.push(bytes.slice(from, to));
      }
      await out.write(bytes);
      offset = end;
      options.onProgress?.({ done: offset, total, unit: 'bytes', item: t.name });
    }
    await out.flush();
    const dataSha256 = dataHash.digest('hex');
    const sshsLegacyHash = createHash('sha256').update(Buffer.concat(legacyParts)).digest('hex').slice(0, 8);
    let finalHeader = header;
    if (options.sshsHashes) {
      metadata.sshs_model_hash = dataSha256;
      metadata.sshs_legacy_hash = sshsLegacyHash;
      finalHeader = buildHeader(ordered, metadata);
    }
    await handle.write(Buffer.concat([lengthPrefix(finalHeader.length), finalHeader]), 0, 8 + finalHeader.length, 0);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(tmp, target);
    return { sizeBytes: 8 + finalHeader.length + total, headerBytes: finalHeader.length, dataSha256, sshsLegacyHash, metadata };
  } catch (cause) {
    await handle?.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    if (isTackError(cause)) throw cause;
    const code = (cause as NodeJS.ErrnoException)?.code;
    if (code) {
      throw coreErrors.create('CORE_WRITE_FAILED', `Could not write ${target} (${code}).`, 'Check that the folder exists, is writable and that the disk is not full.', { cause, details: { file: target } });
    }
    throw cause;
  }
}

function lengthPrefix(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

/**
 * Coalesces small writes (alpha scalars are 4 bytes) into 4 MiB positional writes, with two
 * buffers: one fills (and the caller hashes) while the other is being written, so hashing and
 * disk writes overlap instead of taking turns. At most one write is in flight.
 */
function bufferedWriter(handle: fsp.FileHandle, startOffset: number) {
  const size = 4 << 20;
  const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  let current = 0;
  let used = 0;
  let position = startOffset;
  let inFlight: Promise<unknown> | undefined;
  const launch = async (bytes: Uint8Array, length: number) => {
    await inFlight;
    const at = position;
    position += length;
    inFlight = handle.write(bytes, 0, length, at);
    // Its failure surfaces at the next launch or flush; until then it must not count as unhandled.
    inFlight.catch(() => undefined);
  };
  const flushBuffer = async () => {
    if (used === 0) return;
    await launch(buffers[current] as Buffer, used);
    current ^= 1;
    used = 0;
  };
  return {
    async write(bytes: Uint8Array) {
      if (bytes.length >= size) {
        await flushBuffer();
        // The caller's own bytes: written before returning, since the caller may reuse them.
        await launch(bytes, bytes.length);
        await inFlight;
        return;
      }
      if (used + bytes.length > size) await flushBuffer();
      (buffers[current] as Buffer).set(bytes, used);
      used += bytes.length;
    },
    async flush() {
      await flushBuffer();
      await inFlight;
    },
  };
}


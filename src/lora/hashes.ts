/**
 * The hashes people use to identify a LoRA, from one streamed pass over the file:
 *  - sha256 of the whole file; Civitai's AutoV2 is its first 10 hex digits (upper case).
 *  - sha256 of the data section after the header: sd-scripts' sshs_model_hash
 *    (sd-scripts.md 7.4), Civitai's AutoV3, and, cut to 12 digits, the LoRA hash A1111 writes
 *    into image infotext (A1111 takes it from sshs_model_hash when present, without checking).
 *  - AutoV1: sha256 of the 64 KiB at offset 1 MiB, 8 digits (A1111's old model hash).
 *  - sshs_legacy_hash recomputed from a header holding only the ss_* metadata (sd-scripts.md 7.4).
 *  - CRC32 (Civitai lists it too).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { crc32, fileReadError, throwIfCancelled } from '../core/index.js';
import type { SafetensorsFile, TensorInfo } from './safetensors-read.js';
import { buildHeader, byteLengthOf, orderForWriting } from './safetensors-write.js';

export interface StoredHashCheck {
  /** The value written in the metadata, when there is one. */
  readonly stored?: string;
  readonly computed: string;
  /** Whether stored equals computed; undefined when nothing is stored. */
  readonly matches?: boolean;
}

export interface LoraHashes {
  readonly sha256: string;
  readonly autoV2: string;
  readonly autoV3: string;
  /** What A1111 shows in "Lora hashes:" (12 digits of sshs_model_hash, or of AutoV3 if absent). */
  readonly a1111: string;
  readonly autoV1: string;
  readonly crc32: string;
  readonly sshsModelHash: StoredHashCheck;
  readonly sshsLegacyHash: StoredHashCheck;
}

function check(stored: string | undefined, computed: string): StoredHashCheck {
  return stored === undefined ? { computed } : { stored, computed, matches: stored.toLowerCase() === computed };
}

/** sd-scripts' sshs_legacy_hash for the tensors of `st`, as the engine computes it when saving. */
export async function computeSshsLegacyHash(st: SafetensorsFile): Promise<string> {
  const ordered = orderForWriting(st.header.tensors);
  const ssOnly = Object.fromEntries(Object.entries(st.header.metadata).filter(([k]) => k.startsWith('ss_')));
  const header = buildHeader(ordered, ssOnly);
  const windowStart = 0x100000;
  const windowEnd = windowStart + 0x10000;
  const parts: Uint8Array[] = [];
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  const head = Buffer.concat([prefix, header]);
  if (windowStart < head.length) parts.push(head.subarray(windowStart, Math.min(windowEnd, head.length)));
  let offset = head.length;
  for (const t of ordered) {
    const size = byteLengthOf(t.dtype, t.shape);
    const end = offset + size;
    if (end > windowStart && offset < windowEnd) {
      const bytes = await st.readBytes(t as TensorInfo);
      parts.push(bytes.subarray(Math.max(windowStart, offset) - offset, Math.min(windowEnd, end) - offset));
    }
    offset = end;
    if (offset >= windowEnd) break;
  }
  return createHash('sha256').update(Buffer.concat(parts)).digest('hex').slice(0, 8);
}

/** All hashes of an opened safetensors file (one sequential read of the whole file). */
export async function computeLoraHashes(st: SafetensorsFile, signal?: AbortSignal): Promise<LoraHashes> {
  const full = createHash('sha256');
  const data = createHash('sha256');
  const v1 = createHash('sha256');
  let crc = 0;
  let position = 0;
  const dataOffset = st.header.dataOffset;
  try {
    for await (const chunk of createReadStream(st.file, { highWaterMark: 4 << 20 })) {
      throwIfCancelled(signal);
      const bytes = chunk as Buffer;
      full.update(bytes);
      crc = crc32(bytes, crc);
      const end = position + bytes.length;
      if (end > dataOffset) data.update(bytes.subarray(Math.max(0, dataOffset - position)));
      if (end > 0x100000 && position < 0x110000) v1.update(bytes.subarray(Math.max(0, 0x100000 - position), Math.min(bytes.length, 0x110000 - position)));
      position = end;
    }
  } catch (cause) {
    if ((cause as { code?: string }).code === 'CORE_CANCELLED') throw cause;
    throw fileReadError(st.file, cause);
  }
  const sha256 = full.digest('hex');
  const autoV3 = data.digest('hex');
  const stored = st.header.metadata.sshs_model_hash;
  return {
    sha256,
    autoV2: sha256.slice(0, 10).toUpperCase(),
    autoV3,
    a1111: (stored && /^[0-9a-f]{12}/i.test(stored) ? stored : autoV3).slice(0, 12).toLowerCase(),
    autoV1: v1.digest('hex').slice(0, 8),
    crc32: (crc >>> 0).toString(16).toUpperCase().padStart(8, '0'),
    sshsModelHash: check(stored, autoV3),
    sshsLegacyHash: check(st.header.metadata.sshs_legacy_hash, await computeSshsLegacyHash(st)),
  };
}

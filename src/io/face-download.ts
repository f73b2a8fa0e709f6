/**
 * Downloads a face-model file once into tack's cache: written to a `.part` file, checked
 * against its SHA-256, then renamed, so an interrupted or tampered download never counts.
 * Shared by the ONNX route (any URL) and the optional tfjs models (pinned files).
 */
import { createWriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { hashFile, pathExists, throwIfCancelled } from '../core/index.js';
import { faceErrors } from './face-errors.js';

export interface FetchVerifiedOptions {
  /** Expected SHA-256 (lower-case hex); without it any download is kept. */
  readonly sha256?: string;
  readonly signal?: AbortSignal;
  /** Where the setting lives, for the hint ("onnx_model_sha256", "[samples] face_model"). */
  readonly settingHint: string;
}

/** `file` when it exists with the expected hash; otherwise downloads `url` to it. Returns the file's SHA-256. */
export async function fetchVerified(url: string, file: string, options: FetchVerifiedOptions): Promise<string> {
  const expected = options.sha256?.toLowerCase();
  if (await pathExists(file)) {
    const sha256 = await hashFile(file, options.signal);
    if (!expected || sha256 === expected) return sha256;
    await fsp.rm(file, { force: true });
  }
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.part-${process.pid}`;
  try {
    throwIfCancelled(options.signal);
    const response = await fetch(url, options.signal ? { signal: options.signal } : {});
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), createWriteStream(tmp));
  } catch (cause) {
    await fsp.rm(tmp, { force: true });
    throwIfCancelled(options.signal);
    throw faceErrors.create('FACE_MODEL_DOWNLOAD_FAILED', `Could not download the face model from ${url}: ${cause instanceof Error ? cause.message : String(cause)}.`, `Check the address and your connection, or download the file yourself (${options.settingHint}).`, {
      cause,
      details: { url },
    });
  }
  const sha256 = await hashFile(tmp);
  if (expected && sha256 !== expected) {
    await fsp.rm(tmp, { force: true });
    throw faceErrors.create('FACE_MODEL_CHECKSUM', `The download from ${url} has SHA-256 ${sha256}, not the expected ${expected}; it was deleted.`, `Check that the address points at the intended model (${options.settingHint}).`, {
      details: { url, sha256, expected },
    });
  }
  await fsp.rename(tmp, file);
  return sha256;
}

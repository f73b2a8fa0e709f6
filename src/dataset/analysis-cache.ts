/**
 * Per-photo analysis, cached by content: .tack/cache/doctor/<sha256>.json. A photo is decoded
 * once; a rerun with nothing changed reads only these small files (no decoding, no hashing:
 * the photo index already knows each file's hash from its size and mtime).
 */
import path from 'node:path';
import { readJson, writeJsonAtomic } from '../core/index.js';
import { decodeRgb, type ImageProbe } from '../io/index.js';
import type { ProjectPaths } from '../project/index.js';
import { ANALYSIS_SIDE_PX, ANALYSIS_VERSION, measurePixels, type PixelStats } from './analyze.js';
import { photoPath, type PhotoRecord } from './photo-index.js';

export interface PhotoAnalysis {
  readonly version: number;
  readonly sha256: string;
  /** Size the measurements were taken at (long side ANALYSIS_SIDE_PX, never enlarged). */
  readonly measuredSize?: readonly [number, number];
  readonly stats?: PixelStats;
  /** Set when the pixels cannot be decoded (truncated, corrupt ...). */
  readonly decodeError?: { readonly code: string; readonly message: string; readonly hint: string };
}

function cacheFile(paths: ProjectPaths, sha256: string): string {
  return path.join(paths.doctorCacheDir, `${sha256}.json`);
}

export async function readCachedAnalysis(paths: ProjectPaths, sha256: string): Promise<PhotoAnalysis | undefined> {
  try {
    const cached = await readJson<PhotoAnalysis | null>(cacheFile(paths, sha256), null);
    return cached && cached.version === ANALYSIS_VERSION && cached.sha256 === sha256 ? cached : undefined;
  } catch {
    return undefined; // a damaged cache entry is recomputed
  }
}

/** Decodes and measures one photo (no cache). */
export async function analyzePhoto(file: string, sha256: string, probe: ImageProbe): Promise<PhotoAnalysis> {
  try {
    const raw = await decodeRgb(file, probe, { maxSide: ANALYSIS_SIDE_PX });
    return { version: ANALYSIS_VERSION, sha256, measuredSize: [raw.width, raw.height], stats: measurePixels(raw.data, raw.width, raw.height) };
  } catch (error) {
    const e = error as { code?: string; message?: string; hint?: string; category?: string };
    if (e.category !== 'input') throw error;
    return { version: ANALYSIS_VERSION, sha256, decodeError: { code: e.code ?? 'IMAGE_CORRUPT', message: e.message ?? String(error), hint: e.hint ?? '' } };
  }
}

/** The analysis of a photo, from the cache or computed and cached. */
export async function loadAnalysis(paths: ProjectPaths, photo: PhotoRecord): Promise<PhotoAnalysis | undefined> {
  if (!photo.probe) return undefined;
  const cached = await readCachedAnalysis(paths, photo.sha256);
  if (cached) return cached;
  const analysis = await analyzePhoto(photoPath(paths, photo), photo.sha256, photo.probe);
  await writeJsonAtomic(cacheFile(paths, photo.sha256), analysis, { durable: false });
  return analysis;
}

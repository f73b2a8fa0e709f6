/**
 * The project's photo index (.tack/photos.json): one record per photo in photos/, with its
 * content hash and header facts, so later commands need not re-read or re-hash the files.
 * It is reconciled with the folder on every read: photos deleted by hand disappear, photos
 * copied in by hand are hashed and probed.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { hashFile, isTempName, readJson, writeJsonAtomic } from '../core/index.js';
import { probeImage, type ImageFormat, type ImageProbe } from '../io/index.js';
import type { ProjectPaths } from '../project/index.js';

export interface PhotoRecord {
  /** File name inside photos/ (unique stem: no two photos share a caption file). */
  readonly file: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
  /** Header facts; absent when the header cannot be read (doctor reports why). */
  readonly probe?: ImageProbe;
  /** Why the header could not be read (error code and message). */
  readonly probeError?: { readonly code: string; readonly message: string; readonly hint: string };
  /** Where it was imported from (absolute path), if imported with tack add. */
  readonly source?: string;
  readonly addedAt: string;
}

interface PhotoIndexFile {
  readonly version: 1;
  readonly photos: PhotoRecord[];
}

export async function readPhotoIndexFile(paths: ProjectPaths): Promise<PhotoRecord[]> {
  const index = await readJson<PhotoIndexFile>(paths.photoIndexFile, { version: 1, photos: [] });
  return Array.isArray(index.photos) ? index.photos : [];
}

export async function writePhotoIndexFile(paths: ProjectPaths, photos: readonly PhotoRecord[]): Promise<void> {
  const sorted = [...photos].sort((a, b) => a.file.localeCompare(b.file));
  await writeJsonAtomic(paths.photoIndexFile, { version: 1, photos: sorted } satisfies PhotoIndexFile);
}

/** Probes a photo; a bad header becomes `probeError` instead of an exception. */
export async function describePhoto(file: string): Promise<Pick<PhotoRecord, 'probe' | 'probeError'>> {
  try {
    return { probe: await probeImage(file) };
  } catch (error) {
    if ((error as { category?: string }).category !== 'input') throw error;
    const e = error as { code: string; message: string; hint: string };
    return { probeError: { code: e.code, message: e.message, hint: e.hint } };
  }
}

/**
 * The photos of a project, in file-name order, with the index brought up to date with the
 * photos/ folder. Writes the index back only when something changed.
 */
export async function listPhotos(paths: ProjectPaths, signal?: AbortSignal): Promise<PhotoRecord[]> {
  let names: string[];
  try {
    names = (await fsp.readdir(paths.photosDir, { withFileTypes: true })).filter((d) => d.isFile() && !isTempName(d.name) && !d.name.startsWith('.')).map((d) => d.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const indexed = new Map((await readPhotoIndexFile(paths)).map((p) => [p.file, p]));
  let changed = indexed.size !== names.length;
  const out: PhotoRecord[] = [];
  for (const name of names.sort()) {
    const full = path.join(paths.photosDir, name);
    const stat = await fsp.stat(full);
    const known = indexed.get(name);
    if (known && known.sizeBytes === stat.size && known.mtimeMs === stat.mtimeMs) {
      out.push(known);
      continue;
    }
    signal?.throwIfAborted();
    changed = true;
    out.push({
      file: name,
      sha256: await hashFile(full, signal),
      sizeBytes: stat.size,
      mtimeMs: stat.mtimeMs,
      ...(await describePhoto(full)),
      ...(known?.source ? { source: known.source } : {}),
      addedAt: known?.addedAt ?? new Date().toISOString(),
    });
  }
  if (changed) await writePhotoIndexFile(paths, out);
  return out;
}

/**
 * One photo's current record: its index entry when the file still has the size and time the
 * index knows (one stat), else from the whole folder brought up to date (listPhotos).
 */
export async function findPhotoRecord(paths: ProjectPaths, name: string): Promise<PhotoRecord | undefined> {
  const indexed = (await readPhotoIndexFile(paths)).find((p) => p.file === name);
  const stat = indexed ? await fsp.stat(photoPath(paths, indexed)).catch(() => undefined) : undefined;
  if (indexed && stat?.isFile() && stat.size === indexed.sizeBytes && stat.mtimeMs === indexed.mtimeMs) return indexed;
  return (await listPhotos(paths)).find((p) => p.file === name);
}

export function photoPath(paths: ProjectPaths, photo: Pick<PhotoRecord, 'file'>): string {
  return path.join(paths.photosDir, photo.file);
}

export type { ImageFormat };

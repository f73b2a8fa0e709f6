/**
 * `tack add`: copies photos into the project unchanged. Files are recognised by content (the
 * first bytes), duplicates by SHA-256 (re-adding a file is a no-op), names are kept readable
 * and made unique by stem (one caption file per photo), and caption files lying next to the
 * photos (<stem>.txt or <stem>.caption) come along. One bad file never stops the batch: it is
 * reported with the reason and the rest proceeds. Nothing is ever written where photos come from.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { hashBytes, hashFile, pathExists, writeFileAtomic, copyFileAtomic, throwIfCancelled, type ProgressListener } from '../core/index.js';
import { IMPORTABLE_EXTENSIONS } from '../io/index.js';
import { captionPathFor, type ProjectPaths } from '../project/index.js';
import { datasetErrors } from './errors.js';
import { describePhoto, listPhotos, writePhotoIndexFile, type PhotoRecord } from './photo-index.js';

export interface ImportOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface ImportedPhoto {
  readonly source: string;
  readonly file: string;
  readonly renamed: boolean;
  readonly captionImported: boolean;
}

export interface SkippedPhoto {
  readonly source: string;
  readonly reason: 'already-in-project' | 'duplicate-in-batch';
  /** The project photo with the same content. */
  readonly sameAs: string;
}

export interface FailedInput {
  readonly source: string;
  readonly code: string;
  readonly message: string;
  readonly hint: string;
}

export interface ImportResult {
  readonly added: readonly ImportedPhoto[];
  readonly skipped: readonly SkippedPhoto[];
  readonly failed: readonly FailedInput[];
  /** Files in the given folders that are not photos (captions excepted), left alone. */
  readonly ignored: number;
}

/** Files above this are hashed and copied as streams instead of read into memory. */
const IN_MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;
const INDEX_FLUSH_EVERY = 25;
const CAPTION_EXTENSIONS = ['.txt', '.caption'];

function isImportableName(name: string): boolean {
  return IMPORTABLE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

async function walk(dir: string, out: string[], counters: { ignored: number }, signal?: AbortSignal): Promise<void> {
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    throwIfCancelled(signal);
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, out, counters, signal);
    else if (entry.isFile() && isImportableName(entry.name)) out.push(full);
    else if (entry.isFile() && !CAPTION_EXTENSIONS.includes(path.extname(entry.name).toLowerCase())) counters.ignored++;
  }
}

/** Expands files and folders (recursively) into candidate photo files. */
async function expandInputs(inputs: readonly string[], paths: ProjectPaths, failed: FailedInput[], signal?: AbortSignal): Promise<{ files: string[]; ignored: number }> {
  const files: string[] = [];
  const counters = { ignored: 0 };
  for (const input of inputs) {
    const full = path.resolve(input);
    let stat;
    try {
      stat = await fsp.stat(full);
    } catch {
      const e = datasetErrors.create('DATASET_INPUT_NOT_FOUND', `${input} does not exist.`, 'Check the path; quote paths that contain spaces.');
      failed.push({ source: full, code: e.code, message: e.message, hint: e.hint });
      continue;
    }
    if (stat.isDirectory()) {
      if (full === paths.root || full.startsWith(`${paths.root}${path.sep}`)) {
        failed.push({ source: full, code: 'DATASET_INPUT_NOT_FOUND', message: `${input} is inside the project itself.`, hint: 'Add photos from outside the project folder.' });
        continue;
      }
      const before = files.length;
      await walk(full, files, counters, signal);
      if (files.length === before) {
        const e = datasetErrors.create('DATASET_NO_IMAGES', `${input} contains no photos (looked for ${IMPORTABLE_EXTENSIONS.join(' ')}).`, 'Point tack add at the folder that holds the photos, or at the photo files themselves.');
        failed.push({ source: full, code: e.code, message: e.message, hint: e.hint });
      }
    } else {
      files.push(full);
    }
  }
  return { files: [...new Set(files)], ignored: counters.ignored };
}

/** Characters that are unsafe in file names on some system; everything else (unicode, spaces) is kept. */
function cleanStem(stem: string): string {
  const cleaned = stem.replace(/[\u0000-\u001f<>:"/\\|?*]/g, '_').replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  return cleaned || 'photo';
}

function uniqueName(source: string, takenStems: Set<string>): { file: string; renamed: boolean } {
  const ext = path.extname(source);
  const stem = cleanStem(path.basename(source, ext));
  let candidate = stem;
  for (let n = 2; takenStems.has(candidate.toLowerCase()); n++) candidate = `${stem}-${n}`;
  takenStems.add(candidate.toLowerCase());
  return { file: `${candidate}${ext}`, renamed: candidate !== path.basename(source, ext) };
}

async function siblingCaption(source: string): Promise<string | undefined> {
  const base = source.slice(0, source.length - path.extname(source).length);
  for (const ext of CAPTION_EXTENSIONS) {
    if (await pathExists(base + ext)) return base + ext;
  }
  return undefined;
}

function failure(source: string, error: unknown): FailedInput {
  const e = error as { code?: string; message?: string; hint?: string };
  return { source, code: e.code ?? 'CORE_INTERNAL', message: e.message ?? String(error), hint: e.hint ?? 'Check the file.' };
}

export async function importPhotos(paths: ProjectPaths, inputs: readonly string[], options: ImportOptions = {}): Promise<ImportResult> {
  const { signal, onProgress } = options;
  await fsp.mkdir(paths.photosDir, { recursive: true });
  const failed: FailedInput[] = [];
  const added: ImportedPhoto[] = [];
  const skipped: SkippedPhoto[] = [];
  // Reconciles the index with photos/ first, so a rerun after an interrupted import knows
  // the photos that were copied before the index was written.
  const records = await listPhotos(paths, signal);
  const before = new Set(records.map((r) => r.file));
  const byHash = new Map(records.map((r) => [r.sha256, r.file]));
  const takenStems = new Set(records.map((r) => path.parse(r.file).name.toLowerCase()));
  const { files, ignored } = await expandInputs(inputs, paths, failed, signal);

  let sinceFlush = 0;
  for (let i = 0; i < files.length; i++) {
    throwIfCancelled(signal);
    const source = files[i] as string;
    try {
      const stat = await fsp.stat(source);
      let sha256: string;
      let bytes: Buffer | undefined;
      if (stat.size <= IN_MEMORY_LIMIT_BYTES) {
        bytes = await fsp.readFile(source);
        sha256 = hashBytes(bytes);
      } else {
        sha256 = await hashFile(source, signal);
      }
      const existing = byHash.get(sha256);
      if (existing) {
        skipped.push({ source, reason: before.has(existing) ? 'already-in-project' : 'duplicate-in-batch', sameAs: existing });
        continue;
      }
      const described = await describePhoto(source);
      if (described.probeError) {
        failed.push({ source, ...described.probeError });
        continue;
      }
      const { file, renamed } = uniqueName(source, takenStems);
      const target = path.join(paths.photosDir, file);
      if (bytes) await writeFileAtomic(target, bytes);
      else await copyFileAtomic(source, target);
      const copied = await fsp.stat(target);
      let captionImported = false;
      const caption = await siblingCaption(source);
      const captionTarget = captionPathFor(paths, file);
      if (caption && !(await pathExists(captionTarget))) {
        await copyFileAtomic(caption, captionTarget);
        captionImported = true;
      }
      const record: PhotoRecord = { file, sha256, sizeBytes: copied.size, mtimeMs: copied.mtimeMs, ...described, source, addedAt: new Date().toISOString() };
      records.push(record);
      byHash.set(sha256, file);
      added.push({ source, file, renamed, captionImported });
      if (++sinceFlush >= INDEX_FLUSH_EVERY) {
        await writePhotoIndexFile(paths, records);
        sinceFlush = 0;
      }
    } catch (error) {
      if ((error as { code?: string }).code === 'CORE_CANCELLED') throw error;
      failed.push(failure(source, error));
    } finally {
      onProgress?.({ done: i + 1, total: files.length, item: path.basename(source) });
    }
  }
  await writePhotoIndexFile(paths, records);
  return { added, skipped, failed, ignored };
}

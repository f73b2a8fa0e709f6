/**
 * `tack add`: copies photos into the project unchanged. Files are recognised by content (the
 * first bytes), duplicates by SHA-256 (re-adding a file is a no-op), names are kept readable
 * and made unique by stem (one caption file per photo), and caption files lying next to the
 * photos (<stem>.txt or <stem>.caption) come along. One bad file never stops the batch: it is
 * reported with the reason and the rest proceeds. Nothing is ever written where photos come from.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { hashBytesInPool, hashFile, mapConcurrent, pathExists, writeFileAtomic, copyFileAtomic, throwIfCancelled, type ProgressListener } from '../core/index.js';
import { findImageFiles, IMPORTABLE_EXTENSIONS } from '../io/index.js';
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
const IMPORT_CONCURRENCY = 4;
const CAPTION_EXTENSIONS = ['.txt', '.caption'];

/** The photos under `dir`; other files except captions count as ignored. */
async function walk(dir: string, out: string[], counters: { ignored: number }, signal?: AbortSignal): Promise<void> {
  const onOther = (name: string) => {
    if (!CAPTION_EXTENSIONS.includes(path.extname(name).toLowerCase())) counters.ignored++;
  };
  await findImageFiles(dir, { ...(signal ? { signal } : {}), onOther }, out);
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

  // Four photos at a time: copying is bound by syncing each copy to disk, not by the CPU. The
  // decisions (duplicate or not, which name) are taken one photo at a time in input order, so
  // names and outcomes are the same as a one-by-one import.
  const outcomes: ({ added: ImportedPhoto } | { skipped: SkippedPhoto } | { failed: FailedInput } | undefined)[] = new Array(files.length);
  let turn = Promise.resolve();
  let sinceFlush = 0;
  let done = 0;
  await mapConcurrent(
    files,
    IMPORT_CONCURRENCY,
    async (source, i) => {
      // Resolved once this photo's decision is taken (resolving again is harmless).
      let decided!: () => void;
      const previous = turn;
      turn = new Promise<void>((resolve) => (decided = resolve));
      try {
        const stat = await fsp.stat(source);
        let sha256: string;
        let bytes: Buffer | undefined;
        if (stat.size <= IN_MEMORY_LIMIT_BYTES) {
          bytes = await fsp.readFile(source);
          sha256 = await hashBytesInPool(bytes);
        } else {
          sha256 = await hashFile(source, signal);
        }
        // A photo already in the project is not probed again (a HEIC probe decodes it).
        let described = byHash.has(sha256) ? undefined : await describePhoto(source);
        await previous;
        throwIfCancelled(signal);
        const existing = byHash.get(sha256);
        if (existing) {
          outcomes[i] = { skipped: { source, reason: before.has(existing) ? 'already-in-project' : 'duplicate-in-batch', sameAs: existing } };
          return;
        }
        described ??= await describePhoto(source);
        if (described.probeError) {
          outcomes[i] = { failed: { source, ...described.probeError } };
          return;
        }
        const { file, renamed } = uniqueName(source, takenStems);
        byHash.set(sha256, file);
        decided();
        const target = path.join(paths.photosDir, file);
        try {
          if (bytes) await writeFileAtomic(target, bytes);
          else await copyFileAtomic(source, target);
        } catch (error) {
          byHash.delete(sha256);
          throw error;
        }
        const copied = await fsp.stat(target);
        let captionImported = false;
        const caption = await siblingCaption(source);
        const captionTarget = captionPathFor(paths, file);
        if (caption && !(await pathExists(captionTarget))) {
          await copyFileAtomic(caption, captionTarget);
          captionImported = true;
        }
        records.push({ file, sha256, sizeBytes: copied.size, mtimeMs: copied.mtimeMs, ...described, source, addedAt: new Date().toISOString() });
        outcomes[i] = { added: { source, file, renamed, captionImported } };
        if (++sinceFlush >= INDEX_FLUSH_EVERY) {
          sinceFlush = 0;
          await writePhotoIndexFile(paths, records);
        }
      } catch (error) {
        if ((error as { code?: string }).code === 'CORE_CANCELLED') throw error;
        outcomes[i] = { failed: failure(source, error) };
      } finally {
        decided();
        onProgress?.({ done: ++done, total: files.length, item: path.basename(source) });
      }
    },
    signal,
  );
  for (const outcome of outcomes) {
    if (!outcome) continue;
    if ('added' in outcome) added.push(outcome.added);
    else if ('skipped' in outcome) skipped.push(outcome.skipped);
    else failed.push(outcome.failed);
  }
  await writePhotoIndexFile(paths, records);
  return { added, skipped, failed, ignored };
}

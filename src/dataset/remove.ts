/**
 * `tack remove`: takes photos out of the project. The project's copy and its caption are moved
 * to .tack/removed/<time>/, not deleted, so nothing is lost (the user's original was never
 * touched); `tack remove --undo` (restoreRemovedPhotos) moves the newest batch back.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { pathExists } from '../core/index.js';
import { captionPathFor, type ProjectPaths } from '../project/index.js';
import { datasetErrors } from './errors.js';
import { listPhotos, writePhotoIndexFile } from './photo-index.js';

export interface RemoveResult {
  readonly removed: ReadonlyArray<{ readonly file: string; readonly movedTo: string }>;
  readonly notFound: readonly string[];
}

export async function removePhotos(paths: ProjectPaths, names: readonly string[]): Promise<RemoveResult> {
  const photos = await listPhotos(paths);
  const byName = new Map(photos.map((p) => [p.file.toLowerCase(), p]));
  const byStem = new Map(photos.map((p) => [path.parse(p.file).name.toLowerCase(), p]));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const trash = path.join(paths.stateDir, 'removed', stamp);
  const removed: Array<{ file: string; movedTo: string }> = [];
  const notFound: string[] = [];
  for (const name of names) {
    const key = path.basename(name).toLowerCase();
    const photo = byName.get(key) ?? byStem.get(key);
    if (!photo) {
      notFound.push(name);
      continue;
    }
    await fsp.mkdir(trash, { recursive: true });
    const target = path.join(trash, photo.file);
    await fsp.rename(path.join(paths.photosDir, photo.file), target);
    const caption = captionPathFor(paths, photo.file);
    if (await pathExists(caption)) await fsp.rename(caption, path.join(trash, path.basename(caption)));
    removed.push({ file: photo.file, movedTo: target });
    byName.delete(photo.file.toLowerCase());
    byStem.delete(path.parse(photo.file).name.toLowerCase());
  }
  if (removed.length === 0 && notFound.length > 0) {
    const known = photos.slice(0, 5).map((p) => p.file).join(', ');
    throw datasetErrors.create('DATASET_NO_IMAGES', `No photo named ${notFound.map((n) => `"${n}"`).join(', ')} in ${paths.photosDir}.`, photos.length ? `Use the names tack doctor shows, e.g. ${known}.` : 'The project has no photos yet.');
  }
  const gone = new Set(removed.map((r) => r.file));
  await writePhotoIndexFile(paths, photos.filter((p) => !gone.has(p.file)));
  return { removed, notFound };
}

export interface RestoreResult {
  /** The removal batch (.tack/removed/<time>) that was put back. */
  readonly batch: string;
  readonly restored: ReadonlyArray<{ readonly file: string; readonly from: string }>;
  /** Photos left in the batch because a photo of that name is back in photos/. */
  readonly skipped: ReadonlyArray<{ readonly file: string; readonly reason: string }>;
}

/** Moves the newest batch of removed photos (and their captions) back into the project. */
export async function restoreRemovedPhotos(paths: ProjectPaths): Promise<RestoreResult> {
  const removedDir = path.join(paths.stateDir, 'removed');
  const batches = (await fsp.readdir(removedDir).catch(() => [] as string[])).sort();
  const batch = batches.at(-1);
  if (!batch) throw datasetErrors.create('DATASET_NOTHING_TO_RESTORE', `No removed photos are kept in ${removedDir}.`, 'tack remove keeps what it takes out there; nothing has been removed yet (or it was deleted by hand).');
  const dir = path.join(removedDir, batch);
  const names = await fsp.readdir(dir);
  const captions = new Set(names.filter((n) => n.endsWith('.txt')));
  const restored: Array<{ file: string; from: string }> = [];
  const skipped: Array<{ file: string; reason: string }> = [];
  for (const name of names.filter((n) => !captions.has(n)).sort()) {
    const target = path.join(paths.photosDir, name);
    if (await pathExists(target)) {
      skipped.push({ file: name, reason: `photos/${name} exists again` });
      continue;
    }
    await fsp.mkdir(paths.photosDir, { recursive: true });
    await fsp.rename(path.join(dir, name), target);
    const caption = `${path.parse(name).name}.txt`;
    const captionTarget = captionPathFor(paths, name);
    if (captions.has(caption) && !(await pathExists(captionTarget))) {
      await fsp.mkdir(path.dirname(captionTarget), { recursive: true });
      await fsp.rename(path.join(dir, caption), captionTarget);
    }
    restored.push({ file: name, from: path.join(dir, name) });
  }
  if ((await fsp.readdir(dir)).length === 0) await fsp.rmdir(dir);
  await listPhotos(paths);
  return { batch: dir, restored, skipped };
}

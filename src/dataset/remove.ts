/**
 * `tack remove`: takes photos out of the project. The project's copy and its caption are moved
 * to .tack/removed/<time>/, not deleted, so nothing is lost (the user's original was never
 * touched); `tack add` on that folder brings them back.
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

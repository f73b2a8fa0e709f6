/**
 * Photos: the grid (each photo with the newest doctor report's findings), thumbnails and full
 * images, drops of new photos (streamed to a staging folder, then imported by a job exactly as
 * `tack add` does), and removal with undo (`tack remove`, `tack remove --undo`).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { findPhotoRecord, listPhotos, photoPath, type PhotoRecord } from '../../dataset/index.js';
import { documentOf, type StudioDeps } from '../context.js';
import { studioErrors } from '../errors.js';
import { jsonBody, stringList } from '../http.js';
import { PREVIEW_SIDE_PX } from '../thumbs.js';
import { receiveUpload, stagedPath } from '../uploads.js';
import { projectOf } from './projects.js';

/** Formats a browser shows as they are; others (HEIC, TIFF) are shown as a JPEG preview. */
const BROWSER_FORMATS: Readonly<Record<string, string>> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', avif: 'image/avif', bmp: 'image/bmp' };

function streamFile(c: Context, file: string, type: string, cache: string): Response {
  return c.body(Readable.toWeb(createReadStream(file)) as ReadableStream, 200, { 'content-type': type, 'cache-control': cache });
}

/**
 * Where a drop is staged until the import job has copied it: tack's data folder, outside the
 * project (tack add refuses folders inside the project it adds to).
 */
function stagingDir(deps: StudioDeps, pid: string, batch: string): string {
  return path.join(deps.dataDir, 'studio-uploads', pid, batch);
}

async function findPhoto(deps: StudioDeps, pid: string, name: string): Promise<{ photo: PhotoRecord; file: string }> {
  const { paths } = await projectOf(deps, pid);
  const photo = await findPhotoRecord(paths, name);
  if (!photo) throw studioErrors.create('STUDIO_NOT_FOUND', `No photo named "${name}" in this project.`, 'It may have been removed; reload the page.', { details: { photo: name } });
  return { photo, file: photoPath(paths, photo) };
}

export function photoRoutes(deps: StudioDeps): Hono {
  const app = new Hono();

  app.get('/:pid/photos', async (c) => {
    const { entry, paths } = await projectOf(deps, c.req.param('pid'));
    const photos = await listPhotos(paths);
    const [doctorJob] = deps.store.list({ project: entry.dir, kinds: ['doctor'], limit: 1 });
    const [lastGood] = deps.store.list({ project: entry.dir, kinds: ['doctor'], states: ['succeeded'], limit: 1 });
    const doctor = (lastGood?.result ?? null) as { photos?: Array<{ file: string }> } | null;
    const checked = new Set(doctor?.photos?.map((p) => p.file) ?? []);
    const fresh = doctor !== null && checked.size === photos.length && photos.every((p) => checked.has(p.file));
    const busy = doctorJob && (doctorJob.state === 'queued' || doctorJob.state === 'running');
    // A check that just failed is not started again by every page load (its error is shown).
    const justFailed = doctorJob && doctorJob.state !== 'succeeded' && Date.now() - Date.parse(doctorJob.endedAt ?? doctorJob.updatedAt) < 60_000;
    if (!fresh && photos.length > 0 && !busy && !justFailed) deps.jobs.refreshDoctor(entry.dir);
    const current = deps.store.list({ project: entry.dir, kinds: ['doctor'], limit: 1 })[0];
    return c.json({
      kind: 'photos',
      project: entry.dir,
      photos: photos.map((p) => ({
        file: p.file,
        sha256: p.sha256,
        sizeBytes: p.sizeBytes,
        format: p.probe?.format ?? null,
        width: p.probe?.orientedWidth ?? null,
        height: p.probe?.orientedHeight ?? null,
        orientation: p.probe?.orientation ?? null,
        addedAt: p.addedAt,
      })),
      doctor,
      doctorFresh: fresh,
      doctorJob: current ? deps.jobs.view(current) : null,
    });
  });

  app.get('/:pid/photos/:file/thumb', async (c) => {
    const { photo, file } = await findPhoto(deps, c.req.param('pid'), c.req.param('file'));
    const thumb = await deps.thumbs.get(file, photo.sha256);
    // The URL carries the content hash (?v=), so the browser may keep it for good.
    return streamFile(c, thumb, 'image/jpeg', c.req.query('v') === photo.sha256 ? 'private, max-age=31536000, immutable' : 'no-cache');
  });

  app.get('/:pid/photos/:file/image', async (c) => {
    const { photo, file } = await findPhoto(deps, c.req.param('pid'), c.req.param('file'));
    const type = photo.probe ? BROWSER_FORMATS[photo.probe.format] : undefined;
    if (type) return streamFile(c, file, type, 'no-cache');
    return streamFile(c, await deps.thumbs.get(file, photo.sha256, PREVIEW_SIDE_PX), 'image/jpeg', 'no-cache');
  });

  // Drops: one request per file, streamed into a staging folder under its own name.
  app.post('/:pid/uploads/:batch', async (c) => {
    const { entry } = await projectOf(deps, c.req.param('pid'));
    const batch = c.req.param('batch');
    if (!/^[0-9a-f]{16}$/.test(batch)) throw studioErrors.create('STUDIO_BAD_REQUEST', 'The upload batch id is not valid.', 'Drop the files again.');
    const relative = stagedPath(c.req.query('path') ?? '');
    const target = path.join(stagingDir(deps, entry.id, batch), relative);
    const sizeBytes = await receiveUpload(c.req.raw.body, target, 'photo', path.basename(relative));
    return c.json({ kind: 'upload', batch, path: relative.split(path.sep).join('/'), sizeBytes }, 201);
  });

  app.post('/:pid/uploads', async (c) => {
    await projectOf(deps, c.req.param('pid'));
    return c.json({ kind: 'upload-batch', batch: randomBytes(8).toString('hex') }, 201);
  });

  // The dropped files are imported like `tack add <folder>`; the staging folder goes afterwards.
  app.post('/:pid/uploads/:batch/import', async (c) => {
    const { entry } = await projectOf(deps, c.req.param('pid'));
    const staging = stagingDir(deps, entry.id, c.req.param('batch'));
    if (!/^[0-9a-f]{16}$/.test(c.req.param('batch')) || !(await fsp.stat(staging).catch(() => undefined))) {
      throw studioErrors.create('STUDIO_NOT_FOUND', 'No files were received in this upload.', 'Drop the files again.');
    }
    const job = deps.jobs.enqueue({ kind: 'import', project: entry.dir, inputs: { files: [staging], staging }, title: 'add photos' });
    return c.json({ kind: 'job', job }, 202);
  });

  app.post('/:pid/photos/remove', async (c) => {
    const { entry } = await projectOf(deps, c.req.param('pid'));
    const files = stringList(await jsonBody(c), 'files');
    // After "--" a name is a name, even one starting with a dash.
    const doc = await documentOf(deps, ['remove', entry.dir, '--', ...files.map((f) => path.basename(f))]);
    deps.hub.publish('photos', { project: entry.dir });
    deps.jobs.refreshDoctor(entry.dir);
    return c.json(doc);
  });

  app.post('/:pid/photos/restore', async (c) => {
    const { entry } = await projectOf(deps, c.req.param('pid'));
    const doc = await documentOf(deps, ['remove', entry.dir, '--undo']);
    deps.hub.publish('photos', { project: entry.dir });
    deps.jobs.refreshDoctor(entry.dir);
    return c.json(doc);
  });

  return app;
}

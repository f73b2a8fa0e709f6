/**
 * LoRA files: one dropped on the page (kept in tack's data folder), or a checkpoint of a run.
 * Inspect it (`tack lora inspect`), check it against a base model (`tack lora verify`), resize
 * it (a job running `tack lora resize`) and download the result.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { Hono } from 'hono';
import { documentOf, type StudioDeps } from '../context.js';
import { studioErrors } from '../errors.js';
import { openServedFile, resolveInside } from '../files.js';
import { jsonBody, stringField } from '../http.js';
import { receiveUpload, safeSegment } from '../uploads.js';
import { projectOf } from './projects.js';

function loraDir(deps: StudioDeps): string {
  return path.join(deps.dataDir, 'studio-lora');
}

/** The folder of upload `id` and the .safetensors files in it. */
async function uploadOf(deps: StudioDeps, id: string): Promise<{ dir: string; files: string[] }> {
  if (!/^[0-9a-f]{16}$/.test(id)) throw studioErrors.create('STUDIO_NOT_FOUND', `"${id}" is not a LoRA upload.`, 'Drop the LoRA file again.');
  const dir = path.join(loraDir(deps), id);
  const files = (await fsp.readdir(dir).catch(() => undefined))?.filter((f) => f.endsWith('.safetensors')).sort();
  if (!files?.length) throw studioErrors.create('STUDIO_NOT_FOUND', `No LoRA upload ${id}.`, 'Drop the LoRA file again.');
  return { dir, files };
}

async function uploadFile(deps: StudioDeps, id: string, name: string | undefined): Promise<string> {
  const { dir, files } = await uploadOf(deps, id);
  const file = name === undefined ? files[0] : files.find((f) => f === name);
  if (!file) throw studioErrors.create('STUDIO_NOT_FOUND', `No file ${name} in LoRA upload ${id}.`, 'Pick one of the files listed.');
  return path.join(dir, file);
}

export function loraRoutes(deps: StudioDeps): Hono {
  const app = new Hono();

  app.get('/', async (c) => {
    const ids = (await fsp.readdir(loraDir(deps)).catch(() => [] as string[])).filter((d) => /^[0-9a-f]{16}$/.test(d));
    const uploads = [];
    for (const id of ids) {
      const { dir, files } = await uploadOf(deps, id).catch(() => ({ dir: '', files: [] as string[] }));
      for (const name of files) uploads.push({ id, name, sizeBytes: (await fsp.stat(path.join(dir, name))).size, original: name === files[0] });
    }
    return c.json({ kind: 'lora-files', files: uploads });
  });

  app.post('/uploads', async (c) => {
    const name = safeSegment(c.req.query('name') ?? '');
    if (!name.toLowerCase().endsWith('.safetensors')) throw studioErrors.create('STUDIO_BAD_UPLOAD', `${name} is not a .safetensors file.`, 'Drop a LoRA saved as .safetensors.', { details: { name } });
    const id = randomBytes(8).toString('hex');
    const target = path.join(loraDir(deps), id, name);
    try {
      const sizeBytes = await receiveUpload(c.req.raw.body, target, 'lora', name);
      return c.json({ kind: 'lora-upload', id, name, sizeBytes }, 201);
    } catch (error) {
      await fsp.rm(path.dirname(target), { recursive: true, force: true });
      throw error;
    }
  });

  app.get('/:id/inspect', async (c) => c.json(await documentOf(deps, ['lora', 'inspect', await uploadFile(deps, c.req.param('id'), c.req.query('name'))])));

  app.post('/:id/verify', async (c) => {
    const base = stringField(await jsonBody(c), 'base') as string;
    if (!path.isAbsolute(base)) throw studioErrors.create('STUDIO_BAD_REQUEST', 'The base model must be given as a full path.', 'e.g. /home/you/models/ponyRealism.safetensors');
    // Mismatching modules are a result, not a failure (exit code 3).
    return c.json(await documentOf(deps, ['lora', 'verify', await uploadFile(deps, c.req.param('id'), c.req.query('name')), `--base=${base}`], { acceptExitCodes: [3] }));
  });

  app.post('/:id/resize', async (c) => {
    const body = await jsonBody(c);
    const file = await uploadFile(deps, c.req.param('id'), stringField(body, 'name', { optional: true }));
    const rank = typeof body.rank === 'number' ? body.rank : undefined;
    const dynamic = stringField(body, 'dynamic', { optional: true });
    const out = path.join(path.dirname(file), `${path.parse(file).name}-${rank ? `r${rank}` : (dynamic ?? 'resized').replace(/[^\w.]/g, '-')}.safetensors`);
    const job = deps.jobs.enqueue({ kind: 'resize', project: null, inputs: { file, out, force: true, ...(rank ? { rank } : {}), ...(dynamic ? { dynamic } : {}) }, title: `resize ${path.basename(file)}` });
    deps.hub.poll();
    return c.json({ kind: 'job', job, output: path.basename(out) }, 202);
  });

  app.get('/:id/file', async (c) => {
    const served = await openServedFile(await uploadFile(deps, c.req.param('id'), c.req.query('name')));
    return c.body(served.body, 200, served.headers);
  });

  return app;
}

/** A LoRA inside a project (a run's checkpoint), inspected in place. */
export function projectLoraRoutes(deps: StudioDeps): Hono {
  const app = new Hono();
  app.get('/:pid/lora/inspect', async (c) => {
    const { entry } = await projectOf(deps, c.req.param('pid'));
    const file = await resolveInside(entry.dir, c.req.query('file') ?? '');
    if (!file.endsWith('.safetensors')) throw studioErrors.create('STUDIO_BAD_REQUEST', 'Only .safetensors files can be inspected.', 'Pick a checkpoint of a run.');
    return c.json(await documentOf(deps, ['lora', 'inspect', file]));
  });
  return app;
}

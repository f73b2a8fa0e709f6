/**
 * Plan and settings: the plan (`tack plan`, with what-if values), tack.toml as a form (its
 * schema, its values, inline checks with the CLI's own messages, saving), presets (`tack preset
 * list`, a kohya_ss preset imported with its pitfall report), and the engine's doctor.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { Hono } from 'hono';
import { partitionFindings } from '../../core/index.js';
import { configJsonSchema, readConfigValues, updateProjectConfig } from '../../project/index.js';
import { documentOf, type StudioDeps } from '../context.js';
import { studioErrors } from '../errors.js';
import { jsonBody } from '../http.js';
import { safeSegment } from '../uploads.js';
import { projectOf } from './projects.js';

const PLAN_FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['batchSize', 'batch-size'],
  ['repeats', 'repeats'],
  ['epochs', 'epochs'],
  ['targetSteps', 'target-steps'],
  ['targetImageRepeats', 'target-image-repeats'],
];

function patchOf(body: Record<string, unknown>): Record<string, unknown> {
  const patch = body.patch;
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw studioErrors.create('STUDIO_BAD_REQUEST', '"patch" must map setting names to values.', 'Send {"patch": {"train.network_dim": 16}}.');
  return patch as Record<string, unknown>;
}

export function planRoutes(deps: StudioDeps): Hono {
  const app = new Hono();

  app.get('/:pid/plan', async (c) => {
    const { entry } = await projectOf(deps, c.req.param('pid'));
    const flags = PLAN_FLAGS.flatMap(([query, flag]) => (c.req.query(query) ? [`--${flag}=${c.req.query(query)}`] : []));
    return c.json(await documentOf(deps, ['plan', entry.dir, ...flags]));
  });

  app.get('/:pid/settings', async (c) => {
    const { entry, paths } = await projectOf(deps, c.req.param('pid'));
    const update = await updateProjectConfig(paths, {}, { dryRun: true });
    return c.json({ kind: 'settings', project: entry.dir, values: await readConfigValues(paths), config: update.config ?? null, findings: update.findings, schema: configJsonSchema() });
  });

  // Inline checks while typing: nothing is written.
  app.post('/:pid/settings/check', async (c) => {
    const { paths } = await projectOf(deps, c.req.param('pid'));
    const update = await updateProjectConfig(paths, patchOf(await jsonBody(c)), { dryRun: true });
    return c.json({ kind: 'settings-check', ok: partitionFindings(update.findings).errors.length === 0, findings: update.findings });
  });

  app.put('/:pid/settings', async (c) => {
    const { entry, paths } = await projectOf(deps, c.req.param('pid'));
    const update = await updateProjectConfig(paths, patchOf(await jsonBody(c)));
    if (!update.saved) return c.json({ kind: 'settings-check', ok: false, findings: update.findings }, 422);
    deps.hub.publish('settings', { project: entry.dir });
    return c.json({ kind: 'settings', project: entry.dir, values: await readConfigValues(paths), config: update.config ?? null, findings: update.findings, schema: configJsonSchema() });
  });

  app.get('/:pid/engine', async (c) => {
    const { entry } = await projectOf(deps, c.req.param('pid'));
    // A doctor that finds problems still prints its report (exit code 4): that is the answer.
    return c.json(await documentOf(deps, ['engine', 'doctor', entry.dir], { acceptExitCodes: [3, 4] }));
  });

  return app;
}

export function presetRoutes(deps: StudioDeps): Hono {
  const app = new Hono();
  app.get('/', async (c) => c.json(await documentOf(deps, ['preset', 'list'])));

  // A kohya_ss GUI preset dropped on the page: `tack preset import`, with its pitfall report.
  app.post('/import', async (c) => {
    const name = safeSegment(c.req.query('name') ?? '');
    const text = await c.req.text();
    if (text.length > 1024 * 1024) throw studioErrors.create('STUDIO_BAD_UPLOAD', 'The preset file is larger than 1 MB.', 'Drop the .json preset the kohya_ss GUI saved.');
    try {
      JSON.parse(text);
    } catch {
      throw studioErrors.create('STUDIO_BAD_UPLOAD', 'The dropped preset is not JSON.', 'Drop the .json preset the kohya_ss GUI saved.');
    }
    const dir = path.join(deps.dataDir, 'studio-uploads', randomBytes(8).toString('hex'));
    const file = path.join(dir, `${path.parse(safeSegment(c.req.query('file') ?? 'preset.json')).name}.json`);
    await fsp.mkdir(dir, { recursive: true });
    try {
      await fsp.writeFile(file, text);
      const overwrite = c.req.query('force') === '1' ? ['--force'] : [];
      return c.json(await documentOf(deps, ['preset', 'import', file, `--name=${name}`, ...overwrite]));
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
  return app;
}

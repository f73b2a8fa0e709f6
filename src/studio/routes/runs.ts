/**
 * Runs and their files: the runs list and one run (`tack runs`), its loss per step
 * (metrics.jsonl), the likeness scored live (live.json), its evaluation (evaluation.json), and
 * any file inside the project (samples, checkpoints, the report, the log), served only from
 * inside the project folder.
 */
import path from 'node:path';
import { Hono } from 'hono';
import { readJson } from '../../core/index.js';
import { readEvaluation } from '../../evaluate/index.js';
import { LIVE_LIKENESS_FILE } from '../../pipeline/index.js';
import { isRunId, readRunMetrics, runPaths } from '../../run/index.js';
import { documentOf, type StudioDeps } from '../context.js';
import { studioErrors } from '../errors.js';
import { openServedFile, resolveInside } from '../files.js';
import { projectOf } from './projects.js';

function runIdOf(raw: string): string {
  if (!isRunId(raw)) throw studioErrors.create('STUDIO_NOT_FOUND', `"${raw}" is not a run id.`, 'Pick a run from the runs list.');
  return raw;
}

export function runRoutes(deps: StudioDeps): Hono {
  const app = new Hono();

  app.get('/:pid/runs', async (c) => c.json(await documentOf(deps, ['runs', (await projectOf(deps, c.req.param('pid'))).entry.dir])));

  app.get('/:pid/runs/:run', async (c) => {
    const { entry } = await projectOf(deps, c.req.param('pid'));
    return c.json(await documentOf(deps, ['runs', entry.dir, 'show', runIdOf(c.req.param('run'))]));
  });

  app.get('/:pid/runs/:run/metrics', async (c) => {
    const { paths } = await projectOf(deps, c.req.param('pid'));
    const id = runIdOf(c.req.param('run'));
    const lines = await readRunMetrics(paths, id);
    const loss = lines.filter((m) => m.kind === undefined && typeof m.step === 'number' && typeof m.loss === 'number').map((m) => ({ step: m.step as number, epoch: m.epoch ?? null, loss: m.loss as number }));
    const epochs = lines.filter((m) => m.kind === 'epoch').map((m) => ({ epoch: m.epoch as number, time: m.time }));
    return c.json({ kind: 'run-metrics', run: id, loss, epochs });
  });

  app.get('/:pid/runs/:run/likeness', async (c) => {
    const { paths } = await projectOf(deps, c.req.param('pid'));
    const id = runIdOf(c.req.param('run'));
    const live = await readJson<Record<string, unknown> | null>(path.join(runPaths(paths, id).dir, 'evaluation', LIVE_LIKENESS_FILE), null).catch(() => null);
    return c.json({ kind: 'run-likeness', run: id, live });
  });

  app.get('/:pid/runs/:run/evaluation', async (c) => {
    const { paths } = await projectOf(deps, c.req.param('pid'));
    const id = runIdOf(c.req.param('run'));
    return c.json({ kind: 'evaluation', run: id, evaluation: await readEvaluation(path.join(runPaths(paths, id).dir, 'evaluation'), id) });
  });

  app.get('/:pid/files/*', async (c) => {
    const { entry } = await projectOf(deps, c.req.param('pid'));
    const prefix = `/api/projects/${entry.id}/files/`;
    // The raw path, decoded once here: "%2e%2e" arrives as ".." and is refused like "..".
    const raw = new URL(c.req.url).pathname;
    if (!raw.startsWith(prefix)) throw studioErrors.create('STUDIO_BAD_REQUEST', 'Malformed file path.', 'Use the links the studio shows.');
    let relative: string;
    try {
      relative = decodeURIComponent(raw.slice(prefix.length));
    } catch {
      throw studioErrors.create('STUDIO_BAD_REQUEST', 'Malformed file path.', 'Use the links the studio shows.');
    }
    const file = await resolveInside(entry.dir, relative);
    const served = await openServedFile(file);
    return c.body(served.body, 200, served.headers);
  });

  return app;
}

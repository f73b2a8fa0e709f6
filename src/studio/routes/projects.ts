/** Projects: the list, creating one (tack init), opening an existing folder, forgetting one. */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { Hono } from 'hono';
import { toTackError } from '../../core/index.js';
import { loadProject, projectPaths } from '../../project/index.js';
import { effectiveStatus, listRunIds, readRunMeta, runPaths } from '../../run/index.js';
import { documentOf, type StudioDeps } from '../context.js';
import { studioErrors } from '../errors.js';
import { jsonBody, stringField } from '../http.js';
import type { ProjectEntry } from '../registry.js';

/** One project on the projects page. */
export async function projectSummary(deps: StudioDeps, entry: ProjectEntry) {
  const jobs = deps.store.list({ project: entry.dir, states: ['queued', 'running'] }).map((j) => deps.jobs.view(j));
  const activeJobs = jobs.map((j) => ({ id: j.id, kind: j.kind, status: j.status, progress: j.progress, runId: j.runId }));
  try {
    const project = await loadProject(entry.dir, { tokenize: false });
    const photos = (await fsp.readdir(project.paths.photosDir).catch(() => [] as string[])).filter((n) => !n.startsWith('.')).length;
    const runIds = await listRunIds(project.paths);
    const lastId = runIds.at(-1);
    const lastMeta = lastId ? await readRunMeta(runPaths(project.paths, lastId), lastId).catch(() => undefined) : undefined;
    const c = project.config;
    return {
      id: entry.id,
      dir: entry.dir,
      name: c.name,
      token: c.token,
      class: c.class,
      captioner: c.captioner,
      preset: c.preset,
      baseModel: c.base_model,
      photos,
      runs: runIds.length,
      lastRun: lastMeta ? { id: lastMeta.id, status: effectiveStatus(lastMeta), createdAt: lastMeta.createdAt } : null,
      activeJobs,
      error: null,
    };
  } catch (error) {
    return { id: entry.id, dir: entry.dir, name: path.basename(entry.dir), activeJobs, error: toTackError(error).toJSON() };
  }
}

function folderFrom(deps: StudioDeps, raw: string): string {
  if (raw.includes('\0')) throw studioErrors.create('STUDIO_BAD_REQUEST', 'The folder name has a NUL character.', 'Type the folder again.');
  const expanded = raw.startsWith('~/') ? path.join(deps.env.HOME ?? '', raw.slice(2)) : raw;
  return path.resolve(deps.registry.roots[0] ?? process.cwd(), expanded);
}

export function projectRoutes(deps: StudioDeps): Hono {
  const app = new Hono();

  app.get('/', async (c) => {
    const entries = await deps.registry.list();
    const projects = await Promise.all(entries.map((e) => projectSummary(deps, e)));
    return c.json({ kind: 'projects', roots: deps.registry.roots, projects: projects.sort((a, b) => a.name.localeCompare(b.name)) });
  });

  // Create: exactly `tack init`, then remember the folder.
  app.post('/', async (c) => {
    const body = await jsonBody(c);
    const folder = folderFrom(deps, stringField(body, 'folder') as string);
    const argv = ['init', folder, `--token=${stringField(body, 'token')}`, `--class=${stringField(body, 'class')}`];
    for (const [key, flag] of [['name', 'name'], ['captioner', 'captioner'], ['baseModel', 'base-model']] as const) {
      const value = stringField(body, key, { optional: true });
      if (value !== undefined) argv.push(`--${flag}=${value}`);
    }
    const init = await documentOf(deps, argv);
    const entry = await deps.registry.add(folder);
    deps.hub.publish('projects', { project: entry.id });
    return c.json({ kind: 'project-created', init, project: await projectSummary(deps, entry) }, 201);
  });

  app.post('/open', async (c) => {
    const body = await jsonBody(c);
    const entry = await deps.registry.add(folderFrom(deps, stringField(body, 'folder') as string));
    deps.hub.publish('projects', { project: entry.id });
    return c.json({ kind: 'project', project: await projectSummary(deps, entry) });
  });

  app.get('/:pid', async (c) => c.json({ kind: 'project', project: await projectSummary(deps, await deps.registry.resolve(c.req.param('pid'))) }));

  app.delete('/:pid', async (c) => {
    const entry = await deps.registry.resolve(c.req.param('pid'));
    await deps.registry.forget(entry.id);
    deps.hub.publish('projects', { project: entry.id });
    return c.json({ kind: 'project-forgotten', id: entry.id, dir: entry.dir });
  });

  return app;
}

/** The project folder of a route's :pid, with its paths. */
export async function projectOf(deps: StudioDeps, pid: string) {
  const entry = await deps.registry.resolve(pid);
  return { entry, paths: projectPaths(entry.dir) };
}

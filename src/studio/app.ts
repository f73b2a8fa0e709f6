/**
 * The studio's API: thin routes (route -> a tack command's document, a job, or a project
 * file) over the dependencies the server builds (context.ts). Requests reach it only through
 * the shell (shell.ts), which has checked them. Errors leave as `{error}` documents with the
 * status of their category (http.ts).
 */
import { Hono } from 'hono';
import type { StudioDeps } from './context.js';
import { errorResponse } from './http.js';
import { captionRoutes } from './routes/captions.js';
import { jobRoutes } from './routes/jobs.js';
import { loraRoutes, projectLoraRoutes } from './routes/lora.js';
import { photoRoutes } from './routes/photos.js';
import { planRoutes, presetRoutes } from './routes/plan.js';
import { projectRoutes } from './routes/projects.js';
import { runRoutes } from './routes/runs.js';

export function buildApiApp(deps: StudioDeps, options: { readonly version: string }): Hono {
  const app = new Hono();
  app.onError((error, c) => errorResponse(c, error));
  app.notFound((c) => c.json({ error: { code: 'STUDIO_NOT_FOUND', category: 'input', message: `No such API route: ${c.req.method} ${c.req.path}.`, hint: 'Use the links the studio shows.', details: {} } }, 404));
  app.get('/api/session', (c) => c.json({ kind: 'session', version: options.version, dataDir: deps.dataDir, roots: deps.registry.roots, jobStore: deps.store.file }));
  app.route('/api/projects', projectRoutes(deps));
  for (const routes of [photoRoutes, captionRoutes, planRoutes, runRoutes, projectLoraRoutes]) app.route('/api/projects', routes(deps));
  app.route('/api/presets', presetRoutes(deps));
  app.route('/api/lora', loraRoutes(deps));
  app.route('/api', jobRoutes(deps));
  return app;
}

/**
 * The studio's HTTP application: security first (Host, Origin, token; studio/security.ts),
 * then thin routes (route -> a tack command's document, a job, or a project file), and the
 * built web client. Errors leave as `{error}` documents with the status of their category
 * (studio/http.ts).
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
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
import { securityHeaders, securityMiddleware, type SecurityOptions } from './security.js';

/** The web client's files, each with its type (nothing else under / is served). */
const WEB_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/assets/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/assets/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/assets/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

export interface StudioAppOptions extends SecurityOptions {
  readonly version: string;
}

export function buildStudioApp(deps: StudioDeps, options: StudioAppOptions): Hono {
  const app = new Hono();
  app.use('*', securityHeaders());
  app.use('*', securityMiddleware(options));
  app.onError((error, c) => errorResponse(c, error));
  app.notFound((c) => c.json({ error: { code: 'STUDIO_NOT_FOUND', category: 'input', message: `No such page: ${c.req.method} ${c.req.path}.`, hint: 'Use the links the studio shows.', details: {} } }, 404));

  app.get('/api/session', (c) => c.json({ kind: 'session', version: options.version, dataDir: deps.dataDir, roots: deps.registry.roots, jobStore: deps.store.file }));
  app.route('/api/projects', projectRoutes(deps));
  for (const routes of [photoRoutes, captionRoutes, planRoutes, runRoutes, projectLoraRoutes]) app.route('/api/projects', routes(deps));
  app.route('/api/presets', presetRoutes(deps));
  app.route('/api/lora', loraRoutes(deps));
  app.route('/api', jobRoutes(deps));

  for (const [route, { file, type }] of Object.entries(WEB_FILES)) {
    app.get(route, async (c) => {
      const body = await fsp.readFile(path.join(deps.webDir, file)).catch(() => undefined);
      if (!body) return c.text('The studio\'s web client is not built: run npm run build (npm ci builds it).', 500);
      return c.body(body, 200, { 'content-type': type, 'cache-control': 'no-cache' });
    });
  }
  return app;
}

/**
 * The part of the studio that answers at once: the security checks (Host, Origin, token;
 * security.ts), the built web client, and the door to the API. The API itself (routes, the job
 * store, the library behind them) loads in the background when the server starts, so the page
 * is there in a fraction of a second and its first API call waits for the rest.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Hono } from 'hono';
import { securityHeaders, securityMiddleware, type SecurityOptions } from './security.js';

/** The web client's files, each with its type (nothing else outside /api is served). */
const WEB_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/assets/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/assets/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/assets/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

export type ApiHandler = (request: Request) => Response | Promise<Response>;

export interface ShellOptions extends SecurityOptions {
  readonly webDir: string;
  /** The API (loaded once, in the background). */
  readonly api: () => Promise<ApiHandler>;
  /** Called after a page file is answered: a good moment to start loading the API. */
  readonly afterPage?: () => void;
}

export function buildShellApp(options: ShellOptions): Hono {
  const app = new Hono();
  app.use('*', securityHeaders());
  app.use('*', securityMiddleware(options));
  // Checked above, so the API may trust the request.
  app.all('/api/*', async (c) => (await options.api())(c.req.raw));
  const cache = new Map<string, ArrayBuffer>();
  for (const [route, { file, type }] of Object.entries(WEB_FILES)) {
    app.get(route, async (c) => {
      let body = cache.get(file);
      if (!body) {
        const bytes = await readFile(path.join(options.webDir, file)).catch(() => undefined);
        if (!bytes) return c.text('The studio\'s web client is not built: run npm run build (npm ci builds it).', 500);
        body = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      }
      cache.set(file, body);
      options.afterPage?.();
      return c.body(body, 200, { 'content-type': type, 'cache-control': 'no-cache' });
    });
  }
  // The API could not load (the job store, say): its error, as an {error} document.
  app.onError((error, c) => {
    const e = error as Error & { code?: string; category?: string; hint?: string; details?: Record<string, unknown> };
    const status = e.category === 'environment' ? 503 : 500;
    return c.json({ error: { code: e.code ?? 'CORE_INTERNAL', category: e.category ?? 'internal', message: e.message, hint: e.hint ?? 'See the terminal running tack studio.', details: e.details ?? {} } }, status);
  });
  app.notFound((c) => c.json({ error: { code: 'STUDIO_NOT_FOUND', category: 'input', message: `No such page: ${c.req.method} ${c.req.path}.`, hint: 'Use the links the studio shows.', details: {} } }, 404));
  return app;
}

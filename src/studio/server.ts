/**
 * `tack studio`'s server: Node's HTTP server with hono, on 127.0.0.1 unless a host is given,
 * with a random token per start. It answers as soon as it listens (the shell: checks and the
 * web client) and loads the API in the background. Jobs it starts run in their own processes,
 * so stopping the server stops no work; started again, it finds every job in the job store.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createAdaptorServer } from '@hono/node-server';
import type { JobLauncher, JobSpec } from '../jobs/index.js';
import type { StudioApi } from './api.js';
import type { RunDocument } from './context.js';
import { studioErrors } from './errors.js';
import { newToken } from './security.js';
import { buildShellApp } from './shell.js';

export const DEFAULT_STUDIO_PORT = 7870;
/** The built web client (dist/studio/web), from src/studio under tsx or dist/studio when built. */
export const WEB_DIR = fileURLToPath(new URL('../../dist/studio/web/', import.meta.url));

/** What the studio needs from the composition root (the CLI): documents, workers, input checks. */
export interface StudioRuntime {
  readonly env: NodeJS.ProcessEnv;
  readonly runDocument: RunDocument;
  readonly launch: JobLauncher;
  readonly checkInputs: (spec: JobSpec) => void;
  readonly version: string;
}

export interface StudioOptions {
  /** Folders whose projects are listed (the folder itself, its subfolders and theirs). */
  readonly roots: readonly string[];
  /** 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1; anything else is reachable from other machines (the CLI warns). */
  readonly host?: string;
  /** The runtime, or how to load it (the fast start loads it after listening). */
  readonly runtime: StudioRuntime | (() => Promise<StudioRuntime>);
  readonly webDir?: string;
  /** Fixed token (tests); default: a new random one. */
  readonly token?: string;
}

export interface RunningStudio {
  readonly port: number;
  readonly token: string;
  /** http://127.0.0.1:<port>/ */
  readonly baseUrl: string;
  /** The address to open once: the base URL with ?token=. */
  readonly url: string;
  /** The API, once loaded (it loads in the background just after the server answers first). */
  readonly api: Promise<StudioApi>;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Names the server answers to when it listens on `host` (all interfaces: every local address). */
function hostNames(host: string): string[] {
  if (LOOPBACK.has(host)) return [];
  if (host === '0.0.0.0' || host === '::') {
    const addresses = Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((a) => (a.family === 'IPv6' ? `[${a.address}]` : a.address)));
    return [os.hostname(), ...addresses];
  }
  return [host.includes(':') ? `[${host}]` : host];
}

export async function startStudio(options: StudioOptions): Promise<RunningStudio> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newToken();
  const webDir = options.webDir ?? WEB_DIR;
  let port = options.port ?? DEFAULT_STUDIO_PORT;
  let api: Promise<StudioApi> | undefined;
  const loadApi = () =>
    (api ??= (async () => {
      const runtime = typeof options.runtime === 'function' ? await options.runtime() : options.runtime;
      const { createStudioApi } = await import('./api.js');
      return createStudioApi(options.roots, webDir, runtime);
    })());
  // Loading the API evaluates most of tack's modules in one go, which holds the event loop for a
  // moment: it starts just after the first page is answered (or shortly after listening), so
  // the first byte does not wait for it.
  const kick = () => void setTimeout(() => void loadApi().catch(() => undefined), 20);
  const shell = buildShellApp({ token, port: () => port, extraHosts: hostNames(host), webDir, api: async () => (await loadApi()).fetch, afterPage: () => api ?? kick() });
  const server = createAdaptorServer({ fetch: shell.fetch });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(studioErrors.create('STUDIO_PORT_IN_USE', `Port ${port} on ${host} is already in use (another tack studio?).`, `Use another port: tack studio --port ${port + 1}`, { details: { port, host } }));
      } else reject(error);
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  if (address && typeof address === 'object') port = address.port;
  setTimeout(() => void loadApi().catch(() => undefined), 300).unref();
  const shown = LOOPBACK.has(host) || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const baseUrl = `http://${shown}:${port}/`;
  return {
    port,
    token,
    baseUrl,
    url: `${baseUrl}?token=${token}`,
    get api() {
      return loadApi();
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open event streams would keep the server waiting for good.
        (server as import('node:http').Server).closeAllConnections?.();
      });
      if (api) (await api.catch(() => undefined))?.close();
    },
  };
}

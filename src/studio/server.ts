/**
 * `tack studio`'s server: a hono application on Node's HTTP server, on 127.0.0.1 unless a host
 * is given, with a random token per start. Jobs it starts run in their own processes, so
 * stopping the server stops no work; started again, it finds every job in the job store.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAdaptorServer } from '@hono/node-server';
import { JobStore, tackDataDir, type JobLauncher, type JobSpec } from '../jobs/index.js';
import { buildStudioApp } from './app.js';
import type { RunDocument, StudioDeps } from './context.js';
import { studioErrors } from './errors.js';
import { JobService } from './job-service.js';
import { EventHub } from './live.js';
import { ProjectRegistry } from './registry.js';
import { newToken } from './security.js';
import { ThumbnailCache } from './thumbs.js';

export const DEFAULT_STUDIO_PORT = 7870;
/** The built web client (dist/studio/web), from src/studio under tsx or dist/studio when built. */
export const WEB_DIR = fileURLToPath(new URL('../../dist/studio/web/', import.meta.url));

export interface StudioOptions {
  /** Folders whose projects are listed (the folder itself, its subfolders and theirs). */
  readonly roots: readonly string[];
  /** 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1; anything else is reachable from other machines (the CLI warns). */
  readonly host?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly runDocument: RunDocument;
  readonly launch: JobLauncher;
  readonly checkInputs: (spec: JobSpec) => void;
  readonly version: string;
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
  readonly deps: StudioDeps;
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
  const dataDir = tackDataDir(options.env);
  const store = JobStore.open({ env: options.env });
  const jobs = new JobService(store, { launch: options.launch, checkInputs: options.checkInputs });
  const hub = new EventHub(store, { onJobEvents: (events) => jobs.onEvents(events) });
  const deps: StudioDeps = {
    env: options.env,
    dataDir,
    registry: new ProjectRegistry(options.roots.map((r) => path.resolve(r)), path.join(dataDir, 'studio-recent.json')),
    store,
    runDocument: options.runDocument,
    launch: options.launch,
    jobs,
    thumbs: new ThumbnailCache(path.join(dataDir, 'studio-thumbs')),
    hub,
    webDir: options.webDir ?? WEB_DIR,
  };
  let port = options.port ?? DEFAULT_STUDIO_PORT;
  const app = buildStudioApp(deps, { token, port: () => port, extraHosts: hostNames(host), version: options.version });
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      store.close();
      if (error.code === 'EADDRINUSE') {
        reject(studioErrors.create('STUDIO_PORT_IN_USE', `Port ${port} on ${host} is already in use (another tack studio?).`, `Use another port: tack studio --port ${port + 1}`, { details: { port, host } }));
      } else reject(error);
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  if (address && typeof address === 'object') port = address.port;
  hub.start();
  jobs.start();
  const shown = LOOPBACK.has(host) || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const baseUrl = `http://${shown}:${port}/`;
  return {
    port,
    token,
    baseUrl,
    url: `${baseUrl}?token=${token}`,
    deps,
    async close() {
      hub.stop();
      jobs.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open event streams would keep the server waiting for good.
        (server as import('node:http').Server).closeAllConnections?.();
      });
      store.close();
    },
  };
}

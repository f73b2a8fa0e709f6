/**
 * Everything behind the API, built once: the job store, the job queue's studio side, the live
 * feed, the project registry, thumbnails, and the routes. Loaded by the server in the
 * background, after it already answers.
 */
import path from 'node:path';
import { JobStore, tackDataDir } from '../jobs/index.js';
import { buildApiApp } from './app.js';
import type { StudioDeps } from './context.js';
import { JobService } from './job-service.js';
import { EventHub } from './live.js';
import { ProjectRegistry } from './registry.js';
import type { StudioRuntime } from './server.js';
import { ThumbnailCache } from './thumbs.js';

export interface StudioApi {
  readonly deps: StudioDeps;
  readonly fetch: (request: Request) => Response | Promise<Response>;
  close(): void;
}

export function createStudioApi(roots: readonly string[], webDir: string, runtime: StudioRuntime): StudioApi {
  const env = runtime.env;
  const dataDir = tackDataDir(env);
  const store = JobStore.open({ env });
  const jobs = new JobService(store, { launch: runtime.launch, checkInputs: runtime.checkInputs });
  const hub = new EventHub(store, { onJobEvents: (events) => jobs.onEvents(events) });
  const deps: StudioDeps = {
    env,
    dataDir,
    registry: new ProjectRegistry(roots.map((r) => path.resolve(r)), path.join(dataDir, 'studio-recent.json')),
    store,
    runDocument: runtime.runDocument,
    launch: runtime.launch,
    jobs,
    thumbs: new ThumbnailCache(path.join(dataDir, 'studio-thumbs')),
    hub,
    webDir,
  };
  const app = buildApiApp(deps, { version: runtime.version });
  hub.start();
  jobs.start();
  return {
    deps,
    fetch: (request) => app.fetch(request),
    close() {
      hub.stop();
      jobs.stop();
      store.close();
    },
  };
}

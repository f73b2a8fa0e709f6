export { studioErrors } from './errors.js';
export { startStudio, DEFAULT_STUDIO_PORT, WEB_DIR, type StudioOptions, type StudioRuntime, type RunningStudio } from './server.js';
export type { RunDocument, DocumentResult, StudioDeps } from './context.js';

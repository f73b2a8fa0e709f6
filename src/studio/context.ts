/**
 * What the studio's routes work with. The studio is a front door: its documents come from the
 * same place as the CLI's (`runDocument` runs a tack command with --json in this process, given
 * by the CLI, which is the composition root), long work goes to the job store, and files come
 * only from registered projects.
 */
import { TackError, type ErrorCategory } from '../core/index.js';
import type { JobLauncher, JobStore } from '../jobs/index.js';
import type { JobService } from './job-service.js';
import type { EventHub } from './live.js';
import type { ProjectRegistry } from './registry.js';
import type { ThumbnailCache } from './thumbs.js';

export interface DocumentResult {
  readonly exitCode: number;
  /** The command's JSON document (or `{error}` when it failed). */
  readonly document: unknown;
}

/** Runs `tack <argv> --json` in this process and returns its document. */
export type RunDocument = (argv: readonly string[], options?: { readonly signal?: AbortSignal }) => Promise<DocumentResult>;

export interface StudioDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly dataDir: string;
  readonly registry: ProjectRegistry;
  readonly store: JobStore;
  readonly runDocument: RunDocument;
  readonly launch: JobLauncher;
  readonly jobs: JobService;
  readonly thumbs: ThumbnailCache;
  readonly hub: EventHub;
  /** The built web client (index.html, app.js, app.css). */
  readonly webDir: string;
}

interface ErrorDocument {
  readonly error: { readonly code: string; readonly category: ErrorCategory; readonly message: string; readonly hint: string; readonly details?: Record<string, unknown> };
}

/** The command's document, or its error thrown as the TackError it was. */
export async function documentOf<T = Record<string, unknown>>(deps: Pick<StudioDeps, 'runDocument'>, argv: readonly string[], options: { readonly acceptExitCodes?: readonly number[] } = {}): Promise<T> {
  const { exitCode, document } = await deps.runDocument(argv);
  const error = (document as ErrorDocument | null)?.error;
  if (error) throw new TackError(error.code, error.category, error.message, error.hint, error.details ?? {});
  if (exitCode !== 0 && !options.acceptExitCodes?.includes(exitCode) && document === null) {
    throw new TackError('CORE_INTERNAL', 'internal', `tack ${argv.join(' ')} ended with exit code ${exitCode} and no document.`, 'This is a bug in tack; the studio\'s terminal shows more.');
  }
  return document as T;
}

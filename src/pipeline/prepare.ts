/** `tack prepare`: plan from the usable photos, then write the kohya dataset with the caption rules. */
import { listPhotos, selectUsablePhotos, writeDataset, type WriteDatasetResult } from '../dataset/index.js';
import { bucketOptionsFrom, buildProjectPlan, type ProjectPlan } from '../plan/index.js';
import type { ProgressListener } from '../core/index.js';
import type { Project } from '../project/index.js';
import { chooseCaption } from './captions.js';

export interface PrepareOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface PrepareResult extends WriteDatasetResult {
  readonly plan: ProjectPlan;
}

/** The project plan from its usable photos' real sizes (no writing). */
export async function planProject(project: Project, signal?: AbortSignal): Promise<{ plan: ProjectPlan; excluded: number; photos: number }> {
  const photos = await listPhotos(project.paths, signal);
  const { usable, excluded } = await selectUsablePhotos(project, photos, signal);
  const plan = buildProjectPlan({
    plan: project.config.plan,
    buckets: project.config.buckets,
    sizes: usable.map(({ probe }) => [probe.orientedWidth, probe.orientedHeight] as const),
  });
  return { plan, excluded: excluded.length, photos: photos.length };
}

/**
 * Writes dataset/ for the project (idempotent and incremental; safe to interrupt and rerun).
 * The training module calls this before every launch.
 */
export async function prepareDataset(project: Project, options: PrepareOptions = {}): Promise<PrepareResult> {
  const { plan } = await planProject(project, options.signal);
  const photos = await listPhotos(project.paths, options.signal);
  const result = await writeDataset(project, photos, {
    repeats: plan.recipe.repeats,
    buckets: bucketOptionsFrom(project.config.buckets),
    captionFor: (photo) => chooseCaption(project, photo),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return { ...result, plan };
}

/**
 * Scoring a batch of images against a loaded subject reference: the face analysis (cached on
 * disk by content key, so a rerun or the next epoch only analyses new images) followed by the
 * pure per-image score. `tack evaluate` calls it once per run, `tack score` for any images, and
 * a live view can call it once per epoch with that epoch's samples while training goes on.
 */
import * as fsp from 'node:fs/promises';
import type { ProgressListener } from '../core/index.js';
import { analyseImages, type AnalyseItem, type ImageAnalysis } from './face-cache.js';
import type { FaceModelChoice } from './face-model.js';
import type { SubjectReference } from './reference.js';
import { scoreSample, type SampleRef, type SampleScore } from './score.js';

export interface ImageToScore extends SampleRef {
  /** The image on disk (SampleRef.file is what reports show, often relative to the project). */
  readonly path: string;
  /** Stable cache name; default the path. */
  readonly id?: string;
}

export interface ScoreImagesOptions {
  /** Embedding cache (JSON); images whose size and mtime are unchanged are not analysed again. */
  readonly cacheFile: string;
  readonly copyThreshold: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  /** Shrink larger images to this long side before analysis. */
  readonly maxSide?: number;
}

/** A cheap content key for images that have no recorded hash: size and modification time. */
export async function fileContentKey(file: string): Promise<string> {
  const stat = await fsp.stat(file);
  return `${stat.size}:${Math.round(stat.mtimeMs)}`;
}

/** Analyses (or reads from the cache) and scores each image, in the order given. */
export async function scoreImages(model: FaceModelChoice, reference: SubjectReference, images: readonly ImageToScore[], options: ScoreImagesOptions): Promise<SampleScore[]> {
  const items: AnalyseItem[] = [];
  for (const image of images) items.push({ id: image.id ?? image.path, key: await fileContentKey(image.path), file: image.path });
  const analyses = await analyseImages(items, {
    cacheFile: options.cacheFile,
    modelId: model.modelId,
    getEmbedder: model.load,
    ...(options.maxSide ? { maxSide: options.maxSide } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return images.map(({ path: _path, id, ...ref }, i) => scoreSample(ref, analyses.get(id ?? (items[i] as AnalyseItem).id) as ImageAnalysis, reference, { copyThreshold: options.copyThreshold }));
}

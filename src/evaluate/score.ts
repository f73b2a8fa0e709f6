/**
 * Scoring one sample image against the subject's reference (pure): the face most like the
 * subject, its similarity and likeness, whether the image has no face or several, and whether
 * it is a copy of one training photo (memorisation: a near-duplicate image, or a face far closer
 * to one photo than any new picture of the subject gets).
 */
import { cosineSimilarity, hammingDistance } from '../io/index.js';
import type { ImageAnalysis } from './face-cache.js';
import { likenessFromSimilarity, NEAR_DUPLICATE_BITS, type SubjectReference } from './reference.js';

export interface SampleRef {
  readonly epoch: number;
  /** LoRA strength the image was rendered at (1 for the engine's own samples). */
  readonly strength: number;
  readonly promptIndex: number;
  readonly seed?: number;
  readonly file: string;
  /** "training" (the engine's samples) or the sweep backend. */
  readonly source: string;
}

export interface CopyFlag {
  readonly photo: string;
  readonly reason: 'same-picture' | 'same-face';
  /** Face similarity to that photo (same-face) or dHash distance in bits (same-picture). */
  readonly value: number;
}

export interface SampleScore extends SampleRef {
  readonly status: 'face' | 'no-face';
  readonly faces: number;
  readonly similarity?: number;
  readonly likeness?: number;
  readonly box?: readonly [number, number, number, number];
  readonly nearestPhoto?: { readonly file: string; readonly similarity: number };
  readonly copy?: CopyFlag;
  readonly width: number;
  readonly height: number;
}

export interface ScoreOptions {
  /** Face similarity to one training photo at or above which the sample copies it. */
  readonly copyThreshold: number;
}

export function scoreSample(ref: SampleRef, analysis: ImageAnalysis, reference: SubjectReference, options: ScoreOptions): SampleScore {
  const base = { ...ref, faces: analysis.faces.length, width: analysis.width, height: analysis.height };
  let copy: CopyFlag | undefined;
  for (const photo of reference.photos) {
    const distance = Math.min(hammingDistance(analysis.hash, photo.hash), hammingDistance(analysis.hash, photo.mirroredHash));
    if (distance <= NEAR_DUPLICATE_BITS && (!copy || distance < copy.value)) copy = { photo: photo.file, reason: 'same-picture', value: distance };
  }
  if (analysis.faces.length === 0) return { ...base, status: 'no-face', ...(copy ? { copy } : {}) };
  let best = analysis.faces[0] as ImageAnalysis['faces'][number];
  let bestSim = -Infinity;
  for (const face of analysis.faces) {
    const s = cosineSimilarity(face.embedding, reference.centroid);
    if (s > bestSim) {
      bestSim = s;
      best = face;
    }
  }
  let nearest: { file: string; similarity: number } | undefined;
  for (const photo of reference.photos) {
    if (!photo.embedding || photo.status === 'outlier') continue;
    const s = cosineSimilarity(best.embedding, photo.embedding);
    if (!nearest || s > nearest.similarity) nearest = { file: photo.file, similarity: s };
  }
  if (!copy && nearest && nearest.similarity >= options.copyThreshold) copy = { photo: nearest.file, reason: 'same-face', value: nearest.similarity };
  return {
    ...base,
    status: 'face',
    similarity: bestSim,
    likeness: likenessFromSimilarity(bestSim, reference),
    box: best.box,
    ...(nearest ? { nearestPhoto: nearest } : {}),
    ...(copy ? { copy } : {}),
  };
}

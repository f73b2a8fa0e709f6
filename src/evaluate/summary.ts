/**
 * The parts of every likeness document (evaluation.json, `tack score --json`, the studio's live
 * view) that say which face model scored and what the subject's reference was, in one shape.
 */
import type { FaceModelChoice } from './face-model.js';
import type { SubjectReference } from './reference.js';

/** The face model of a likeness document: its name, the id cached embeddings carry, and where its calibration comes from. */
export interface FaceModelSummary {
  readonly name: string;
  readonly id: string;
  readonly description: string;
  readonly calibration: string;
}

/** The subject's reference in a likeness document: its photos and the two ends of the scale. */
export interface ReferenceSummary {
  readonly usablePhotos: number;
  readonly distinctShots: number;
  readonly selfSimilarity: number;
  readonly selfSimilaritySource: 'photos' | 'model';
  readonly strangerSimilarity: number;
  readonly scaleError: { readonly self: number; readonly stranger: number };
}

export function summariseFaceModel(model: Pick<FaceModelChoice, 'name' | 'modelId' | 'description' | 'calibration'>): FaceModelSummary {
  return { name: model.name, id: model.modelId, description: model.description, calibration: model.calibration.source };
}

/** The reference's scale: what 1 (the subject's own photos) and 0 (a different person) stand for. */
export function summariseReference(reference: SubjectReference): ReferenceSummary {
  return {
    usablePhotos: reference.usablePhotos,
    distinctShots: reference.distinctShots,
    selfSimilarity: reference.selfSimilarity,
    selfSimilaritySource: reference.selfSimilaritySource,
    strangerSimilarity: reference.strangerSimilarity,
    scaleError: reference.scaleError,
  };
}

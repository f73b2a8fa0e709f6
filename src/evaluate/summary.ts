/**
 * The parts of every likeness document (evaluation.json, `tack score --json`, the studio's live
 * view) that say which face model scored and what the subject's reference was, in one shape.
 */
import type { FaceModelChoice } from './face-model.js';
import type { SubjectReference } from './reference.js';

export function summariseFaceModel(model: Pick<FaceModelChoice, 'name' | 'modelId' | 'description' | 'calibration'>) {
  return { name: model.name, id: model.modelId, description: model.description, calibration: model.calibration.source };
}

/** The reference's scale: what 1 (the subject's own photos) and 0 (a different person) stand for. */
export function summariseReference(reference: SubjectReference) {
  return {
    usablePhotos: reference.usablePhotos,
    distinctShots: reference.distinctShots,
    selfSimilarity: reference.selfSimilarity,
    selfSimilaritySource: reference.selfSimilaritySource,
    strangerSimilarity: reference.strangerSimilarity,
    scaleError: reference.scaleError,
  };
}

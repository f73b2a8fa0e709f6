/** The strangers' mean face embedding for the bundled model (see face-human-cohort.ts). */
import { HUMAN_FACE_MODEL_ID } from './face-human.js';
import { HUMAN_COHORT } from './face-human-cohort.js';

let cached: Float32Array | undefined;

/** Mean of many strangers' unit-length embeddings; empty if it was made for another pipeline. */
export function humanCohortMean(): Float32Array {
  if (cached) return cached;
  if (HUMAN_COHORT.modelId !== HUMAN_FACE_MODEL_ID) return new Float32Array(0);
  const bytes = Buffer.from(HUMAN_COHORT.meanBase64, 'base64');
  cached = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(cached.buffer).set(bytes);
  return cached;
}

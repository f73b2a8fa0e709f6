/**
 * The subject's face reference, built from the project's photos (pure: embeddings in, numbers
 * out): the mean of their face embeddings (the "centroid"), each photo's own embedding (to catch
 * samples that copy one photo), and the calibrated likeness scale: how alike a new photo of the
 * subject is to the centroid (1) and how alike a stranger is (0), each with its uncertainty.
 *
 * Both ends are similarities *to the centroid*, not between two photos. The centroid of k unit
 * vectors has length |m| < 1 before normalising, and for any face x, cos(x, centroid) =
 * mean_i cos(x, photo_i) / |m|. So a stranger's expected similarity to the centroid is the face
 * model's measured different-person pair mean divided by |m|, and a new photo of the subject's
 * is the mean similarity between the subject's photos of different shots divided by |m|. Without
 * this correction a stranger scored as high as the subject's own photos with the older model.
 *
 * The same-person end is measured on the project's own photos. Photos of the same shot
 * (near-duplicates, or the same face at copy-level similarity) are not paired, or a burst of
 * near-identical photos would make the subject look perfectly self-consistent and every sample a
 * poor likeness. Without two distinct shots, the face model's measured same-person mean is used.
 */
import { finding, type Finding } from '../core/index.js';
import { cosineSimilarity, hammingDistance, normalizeEmbedding, type ModelCalibration } from '../io/index.js';
import type { ImageAnalysis } from './face-cache.js';

/** dHash distance (of 64 bits) at or below which two images are the same picture. */
export const NEAR_DUPLICATE_BITS = 6;

export interface ReferencePhoto {
  readonly file: string;
  readonly status: 'ok' | 'no-face' | 'several-faces' | 'outlier';
  readonly faces: number;
  /** Similarity of this photo's face to the mean of the other shots (leave-one-out). */
  readonly similarityToOthers?: number;
  readonly hash: string;
  readonly mirroredHash: string;
  readonly embedding?: Float32Array;
}

export interface SubjectReference {
  readonly modelId: string;
  readonly photos: readonly ReferencePhoto[];
  /** Unit-length mean of the usable photos' embeddings. */
  readonly centroid: Float32Array;
  /** How alike a new photo of the subject is to the centroid (likeness 1). */
  readonly selfSimilarity: number;
  /** Where selfSimilarity came from: the project's photos, or the model's measured value. */
  readonly selfSimilaritySource: 'photos' | 'model';
  /** How alike a stranger is to the centroid (likeness 0), from the model's calibration. */
  readonly strangerSimilarity: number;
  /** Uncertainty of the scale's two ends (standard errors, in similarity). */
  readonly scaleError: { readonly self: number; readonly stranger: number };
  /** Length of the unnormalised mean of the photos' embeddings (1 = all identical). */
  readonly centroidLength: number;
  /** Where the model's calibration comes from. */
  readonly calibrationSource: string;
  readonly usablePhotos: number;
  /** Distinct shots among the usable photos. */
  readonly distinctShots: number;
  readonly findings: readonly Finding[];
}

export interface BuildReferenceOptions {
  readonly modelId: string;
  readonly calibration: ModelCalibration;
  /** Face similarity at or above which two faces are the same shot (the copy threshold). */
  readonly sameShotSimilarity: number;
}

function largestFace(analysis: ImageAnalysis) {
  return [...analysis.faces].sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3])[0];
}

function sameShot(a: { hash: string; mirroredHash: string; embedding: Float32Array }, b: { hash: string; mirroredHash: string; embedding: Float32Array }, threshold: number): boolean {
  const bits = Math.min(hammingDistance(a.hash, b.hash), hammingDistance(a.hash, b.mirroredHash));
  return bits <= NEAR_DUPLICATE_BITS || cosineSimilarity(a.embedding, b.embedding) >= threshold;
}

/** The element-wise sum of the photos' embeddings. */
function sumEmbeddings(photos: ReadonlyArray<{ readonly embedding: Float32Array }>, dims: number): Float32Array {
  const sum = new Float32Array(dims);
  for (const p of photos) for (let i = 0; i < dims; i++) sum[i] = (sum[i] as number) + (p.embedding[i] as number);
  return sum;
}

export function buildSubjectReference(photos: ReadonlyArray<{ readonly file: string; readonly analysis: ImageAnalysis }>, options: BuildReferenceOptions): SubjectReference {
  const findings: Finding[] = [];
  const rows = photos.map(({ file, analysis }) => {
    const face = largestFace(analysis);
    // Two faces of similar size: cannot tell which is the subject. A small second face (a
    // poster, a passer-by) does not matter: the largest face is the subject.
    const second = analysis.faces.filter((f) => f !== face).sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3])[0];
    const ambiguous = Boolean(face && second && second.box[2] * second.box[3] > 0.5 * face.box[2] * face.box[3]);
    return { file, analysis, face: ambiguous ? undefined : face, status: !face ? ('no-face' as const) : ambiguous ? ('several-faces' as const) : ('ok' as const) };
  });
  const usable = rows
    .filter((r) => r.face)
    .map((r) => ({ file: r.file, hash: r.analysis.hash, mirroredHash: r.analysis.mirroredHash, embedding: (r.face as { embedding: Float32Array }).embedding }));
  const dims = usable[0]?.embedding.length ?? 0;

  // Leave-one-shot-out similarity of each photo to the mean of the other shots.
  const looSimilarity = new Map<string, number>();
  for (const photo of usable) {
    const others = usable.filter((o) => o !== photo && !sameShot(photo, o, options.sameShotSimilarity));
    if (others.length === 0) continue;
    looSimilarity.set(photo.file, cosineSimilarity(photo.embedding, normalizeEmbedding(sumEmbeddings(others, dims))));
  }
  // A photo far less alike than the rest is probably someone else (or a bad crop): leave it out.
  // Median and median absolute deviation, so one stranger cannot hide by widening the spread.
  const sims = [...looSimilarity.values()].sort((a, b) => a - b);
  const median = (xs: number[]) => (xs.length === 0 ? 0 : xs.length % 2 ? (xs[(xs.length - 1) / 2] as number) : ((xs[xs.length / 2 - 1] as number) + (xs[xs.length / 2] as number)) / 2);
  const avg = median(sims);
  const mad = median(sims.map((x) => Math.abs(x - avg)).sort((a, b) => a - b));
  const outliers = new Set(sims.length >= 4 ? [...looSimilarity].filter(([, s]) => s < avg - Math.max(0.08, 3 * 1.4826 * mad)).map(([f]) => f) : []);
  const kept = usable.filter((p) => !outliers.has(p.file));
  const sum = sumEmbeddings(kept, dims);
  const centroid = normalizeEmbedding(sum);

  let shots = 0;
  const seen: typeof kept = [];
  for (const p of kept) {
    if (!seen.some((s) => sameShot(s, p, options.sameShotSimilarity))) shots++;
    seen.push(p);
  }
  // |m|: how far the photos' unit embeddings agree; similarities to the centroid scale by 1/|m|.
  const centroidLength = kept.length ? Math.hypot(...sum) / kept.length : 1;
  const pairSims: number[] = [];
  for (let i = 0; i < kept.length; i++) {
    for (let j = i + 1; j < kept.length; j++) if (!sameShot(kept[i] as (typeof kept)[number], kept[j] as (typeof kept)[number], options.sameShotSimilarity)) pairSims.push(cosineSimilarity((kept[i] as (typeof kept)[number]).embedding, (kept[j] as (typeof kept)[number]).embedding));
  }
  const measured = shots >= 2 && pairSims.length >= 1;
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const { samePerson, different } = options.calibration;
  const length = Math.max(0.3, centroidLength);
  const selfSimilarity = Math.min(0.999, (measured ? mean(pairSims) : samePerson.mean) / length);
  const strangerSimilarity = Math.min(selfSimilarity - 0.02, different.mean / length);
  // Standard errors of the two ends: the subject's own pairs (or the model's spread between
  // people when there is only one shot), and the model's different-person mean, whose spread
  // between subjects is what matters for one project (sd / sqrt(people measured)).
  const keptSims = kept.map((p) => looSimilarity.get(p.file)).filter((s): s is number => s !== undefined);
  const keptMean = mean(keptSims);
  const spread = keptSims.length >= 2 ? Math.sqrt(keptSims.reduce((a, v) => a + (v - keptMean) ** 2, 0) / (keptSims.length - 1)) : samePerson.sd / length;
  const scaleError = {
    self: measured ? spread / Math.sqrt(shots) : samePerson.sd / length,
    stranger: different.sd / length / Math.sqrt(Math.max(1, options.calibration.people)),
  };

  const refPhotos: ReferencePhoto[] = rows.map((r) => ({
    file: r.file,
    status: outliers.has(r.file) ? 'outlier' : r.status,
    faces: r.analysis.faces.length,
    ...(looSimilarity.has(r.file) ? { similarityToOthers: looSimilarity.get(r.file) as number } : {}),
    hash: r.analysis.hash,
    mirroredHash: r.analysis.mirroredHash,
    ...(r.face ? { embedding: r.face.embedding } : {}),
  }));
  for (const p of refPhotos) {
    if (p.status === 'no-face') findings.push(finding('info', 'EVAL_PHOTO_NO_FACE', 'No face found; this photo is not part of the likeness reference.', { subject: p.file }));
    if (p.status === 'several-faces') findings.push(finding('warning', 'EVAL_PHOTO_SEVERAL_FACES', `${p.faces} faces of similar size: it is unclear which one is the subject, so the photo is left out of the reference.`, { subject: p.file, fix: 'Crop the photo to the subject, or remove it: it also teaches the LoRA the other faces.' }));
    if (p.status === 'outlier') {
      findings.push(
        finding('warning', 'EVAL_PHOTO_OUTLIER', `The face looks much less like the other photos (similarity ${p.similarityToOthers?.toFixed(2)} against ${avg.toFixed(2)} for most photos): it may be someone else.`, {
          subject: p.file,
          fix: 'Check the photo; remove it if it is not the subject.',
          data: { similarity: p.similarityToOthers, median: avg },
        }),
      );
    }
  }
  if (kept.length > 0 && shots < 2) {
    findings.push(
      finding('warning', 'EVAL_ONE_SHOT', `The photos with a usable face are all the same shot (${kept.length} near-identical ${kept.length === 1 ? 'photo' : 'photos'}): likeness is measured against one picture, and its scale uses the face model's typical values.`, {
        fix: 'Add photos of the subject from other days, angles and lighting.',
      }),
    );
  }
  if (measured && mean(pairSims) - different.mean < Math.max(0.03, different.sd)) {
    findings.push(
      finding('warning', 'EVAL_WEAK_REFERENCE', `The subject's photos are barely more alike than two strangers (${mean(pairSims).toFixed(2)} vs ${different.mean.toFixed(2)} between photos): likeness scores will be noisy.`, {
        fix: 'Use sharper, front-facing photos; remove photos of other people.',
      }),
    );
  }
  return {
    modelId: options.modelId,
    photos: refPhotos,
    centroid,
    selfSimilarity,
    selfSimilaritySource: measured ? 'photos' : 'model',
    strangerSimilarity,
    scaleError,
    centroidLength,
    calibrationSource: options.calibration.source,
    usablePhotos: kept.length,
    distinctShots: shots,
    findings,
  };
}

/** Likeness values are kept within this range: beyond it only says "a copy" or "nothing alike". */
export const LIKENESS_RANGE = { min: -1, max: 1.5 } as const;

/**
 * Likeness on tack's scale: 0 = as alike as a stranger, 1 = as alike as another photo of the
 * subject; clamped to LIKENESS_RANGE, so one copied face cannot outweigh several good ones in
 * an average.
 */
export function likenessFromSimilarity(similarity: number, reference: Pick<SubjectReference, 'selfSimilarity' | 'strangerSimilarity'>): number {
  const span = Math.max(0.02, reference.selfSimilarity - reference.strangerSimilarity);
  return Math.min(LIKENESS_RANGE.max, Math.max(LIKENESS_RANGE.min, (similarity - reference.strangerSimilarity) / span));
}

/**
 * Uncertainty that the scale itself adds to a mean likeness L (first-order propagation of the
 * errors of its two ends: dL/dself = -L/span, dL/dstranger = (L - 1)/span). It is the same for
 * every epoch of a run, so it does not change which epoch is best, only how sure the level is.
 */
export function scaleUncertainty(likeness: number, reference: Pick<SubjectReference, 'selfSimilarity' | 'strangerSimilarity' | 'scaleError'>): number {
  const span = Math.max(0.02, reference.selfSimilarity - reference.strangerSimilarity);
  return Math.hypot(likeness * reference.scaleError.self, (1 - likeness) * reference.scaleError.stranger) / span;
}

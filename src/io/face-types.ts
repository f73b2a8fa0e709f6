/** What every face model adapter in io/ returns; the evaluate module sees only these types. */

/** One face found in an image. */
export interface DetectedFace {
  /** [x, y, width, height] in pixels of the image given. */
  readonly box: readonly [number, number, number, number];
  /** Detector confidence, 0..1. */
  readonly score: number;
  /** L2-normalised identity embedding (cosine similarity = dot product). */
  readonly embedding: Float32Array;
  /** Eye (image left), eye (image right), nose tip, mouth corner left, right: x, y pairs in image pixels. */
  readonly landmarks?: readonly number[];
}

export interface FaceAnalysis {
  readonly width: number;
  readonly height: number;
  /** Faces, largest first. */
  readonly faces: readonly DetectedFace[];
  /** Wall time spent in the model for this image. */
  readonly modelMs: number;
}

/** Raw 8-bit RGB pixels (3 channels, row-major). */
export interface RgbPixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface FaceEmbedder {
  /** Identifies the model and pipeline; cached embeddings from another id are not reused. */
  readonly modelId: string;
  readonly dimensions: number;
  /** Detects every face and embeds it. Images may be analysed in parallel. */
  analyze(image: RgbPixels, signal?: AbortSignal): Promise<FaceAnalysis>;
  /** Stops the model's worker threads. */
  close(): Promise<void>;
}

/** How similarities of one kind of pair are spread: mean, standard deviation and sample size. */
export interface PairDistribution {
  readonly mean: number;
  readonly sd: number;
  /** Pairs measured (they share photos, so fewer independent values than this). */
  readonly pairs: number;
}

/**
 * A face model's measured similarities between two photos of one person and between photos of
 * two different people (bench/likeness.ts on the labelled real photos); the likeness scale's
 * fixed points come from these together with the subject's own photos.
 */
export interface ModelCalibration {
  readonly samePerson: PairDistribution;
  readonly different: PairDistribution;
  /** People in the measured set (the different-person mean varies between subjects). */
  readonly people: number;
  /** Where the figures come from (shown in reports). */
  readonly source: string;
}

/** Cosine similarity of two L2-normalised embeddings. */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) dot += (a[i] as number) * (b[i] as number);
  return dot;
}

export function normalizeEmbedding(v: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] as number) ** 2;
  const norm = Math.sqrt(sum) || 1;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) / norm;
  return out;
}

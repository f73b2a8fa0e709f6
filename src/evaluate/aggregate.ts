/**
 * Per-epoch (and per-strength) statistics of the sample scores. "Effective likeness" is the
 * mean likeness over all samples of a cell where a sample without a face, or one that copies a
 * training photo, counts as 0: a LoRA that loses the face or reproduces a photo has not learnt
 * the subject, however alike the copy is.
 */
import { scaleUncertainty, type SubjectReference } from './reference.js';
import type { SampleScore } from './score.js';

export interface CellStats {
  readonly epoch: number;
  readonly strength: number;
  readonly source: string;
  readonly samples: number;
  readonly withFace: number;
  readonly noFace: number;
  readonly severalFaces: number;
  readonly copies: number;
  /** Training photos copied, most copied first. */
  readonly copiedPhotos: readonly string[];
  /** Mean likeness of the samples that have a face. */
  readonly meanLikeness?: number;
  readonly meanSimilarity?: number;
  readonly effectiveLikeness: number;
  /** Standard error of the effective likeness (spread between samples / sqrt(n)). */
  readonly standardError: number;
  /**
   * Total uncertainty of the effective likeness: the standard error combined with the
   * uncertainty of the likeness scale itself (reference.ts scaleUncertainty). Epochs of one run
   * share the scale, so comparisons between them use standardError alone.
   */
  readonly uncertainty: number;
}

function meanOf(values: readonly number[]): number | undefined {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
}

export function cellKey(epoch: number, strength: number, source: string): string {
  return `${source}|${epoch}|${strength}`;
}

export function aggregateScores(scores: readonly SampleScore[], scale?: Pick<SubjectReference, 'selfSimilarity' | 'strangerSimilarity' | 'scaleError'>): CellStats[] {
  const groups = new Map<string, SampleScore[]>();
  for (const s of scores) {
    const key = cellKey(s.epoch, s.strength, s.source);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const out: CellStats[] = [];
  for (const group of groups.values()) {
    const first = group[0] as SampleScore;
    const faces = group.filter((s) => s.status === 'face');
    const effective = group.map((s) => (s.status === 'face' && !s.copy ? (s.likeness as number) : 0));
    const eff = meanOf(effective) ?? 0;
    const sd = Math.sqrt(effective.reduce((a, v) => a + (v - eff) ** 2, 0) / Math.max(1, effective.length - 1));
    const copied = new Map<string, number>();
    for (const s of group) if (s.copy) copied.set(s.copy.photo, (copied.get(s.copy.photo) ?? 0) + 1);
    const meanLikeness = meanOf(faces.map((s) => s.likeness as number));
    const meanSimilarity = meanOf(faces.map((s) => s.similarity as number));
    const standardError = group.length > 1 ? sd / Math.sqrt(group.length) : 0;
    out.push({
      epoch: first.epoch,
      strength: first.strength,
      source: first.source,
      samples: group.length,
      withFace: faces.length,
      noFace: group.length - faces.length,
      severalFaces: faces.filter((s) => s.faces > 1).length,
      copies: group.filter((s) => s.copy).length,
      copiedPhotos: [...copied].sort((a, b) => b[1] - a[1]).map(([f]) => f),
      ...(meanLikeness !== undefined ? { meanLikeness } : {}),
      ...(meanSimilarity !== undefined ? { meanSimilarity } : {}),
      effectiveLikeness: eff,
      standardError,
      uncertainty: scale ? Math.hypot(standardError, scaleUncertainty(eff, scale)) : standardError,
    });
  }
  return out.sort((a, b) => a.source.localeCompare(b.source) || a.epoch - b.epoch || a.strength - b.strength);
}

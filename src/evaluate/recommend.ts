/**
 * Picks the epoch and LoRA strength to use, and says why in words (pure).
 *
 * Epoch: the earliest epoch whose effective likeness is within a tolerance of the best one,
 * among epochs that neither copy training photos nor lose the face in most samples. Later
 * epochs on the same plateau add no likeness and are more overfitted (less room for prompts).
 * Strength: at that epoch, the lowest swept strength within the tolerance of the best strength,
 * for the same reason. When no epoch reaches a good likeness, the advice comes from the recipe
 * (recipe.md 1, 3) and the pitfalls that cost likeness (P8, P19).
 */
import type { CellStats } from './aggregate.js';

/** The recipe's test strength (recipe.md 5: "LoRA strength around 0.85"). */
export const RECIPE_STRENGTH = 0.85;

export interface RecommendInput {
  readonly cells: readonly CellStats[];
  /** Effective likeness an epoch must reach to count as good. */
  readonly threshold: number;
  /** Epochs that have a LoRA file, and the file. */
  readonly checkpoints: ReadonlyArray<{ readonly epoch: number; readonly file: string }>;
  readonly totalSteps?: number;
  /** Usable reference photos (with one face). */
  readonly referencePhotos: number;
}

export interface EpochVerdict {
  readonly epoch: number;
  readonly effectiveLikeness: number;
  readonly label: 'recommended' | 'plateau' | 'below' | 'weak' | 'copying' | 'losing-face' | 'baseline';
}

export interface Recommendation {
  readonly kind: 'good' | 'weak' | 'no-faces' | 'no-samples';
  readonly epoch?: number;
  readonly strength?: number;
  /** The LoRA file of the recommended epoch. */
  readonly checkpoint?: string;
  readonly effectiveLikeness?: number;
  /** True when the strength was chosen from sweep images, not assumed. */
  readonly strengthMeasured: boolean;
  /** One headline sentence. */
  readonly summary: string;
  readonly reasons: readonly string[];
  readonly advice: readonly string[];
  readonly epochs: readonly EpochVerdict[];
}

const f2 = (x: number) => x.toFixed(2);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function listEpochs(epochs: readonly number[]): string {
  if (epochs.length === 1) return `Epoch ${epochs[0]}`;
  const sorted = [...epochs].sort((a, b) => a - b);
  const contiguous = sorted.every((e, i) => i === 0 || e === (sorted[i - 1] as number) + 1);
  return contiguous ? `Epochs ${sorted[0]}-${sorted[sorted.length - 1]}` : `Epochs ${sorted.join(', ')}`;
}

/** Best effective likeness per epoch over strengths (sweep cells) or the training samples. */
function perEpoch(cells: readonly CellStats[]): Map<number, CellStats[]> {
  const out = new Map<number, CellStats[]>();
  for (const c of cells) out.set(c.epoch, [...(out.get(c.epoch) ?? []), c]);
  return out;
}

function bestCell(cells: readonly CellStats[]): CellStats {
  return [...cells].sort((a, b) => b.effectiveLikeness - a.effectiveLikeness || b.strength - a.strength)[0] as CellStats;
}

export function recommend(input: RecommendInput): Recommendation {
  const sweepCells = input.cells.filter((c) => c.source !== 'training');
  const sweepStrengths = new Set(sweepCells.map((c) => c.strength));
  const useSweep = sweepCells.length > 0;
  const pool = (useSweep ? sweepCells : input.cells.filter((c) => c.source === 'training')).filter((c) => c.samples > 0);
  const baseline = input.cells.find((c) => c.source === 'training' && c.epoch === 0);
  const byEpoch = perEpoch(pool.filter((c) => c.epoch > 0));
  const epochs = [...byEpoch.keys()].sort((a, b) => a - b);
  if (epochs.length === 0) {
    return {
      kind: 'no-samples',
      strengthMeasured: false,
      summary: 'No sample images to score.',
      reasons: ['The run has no sample images after an epoch.'],
      advice: ['Keep sampling on (tack train writes sample prompts every epoch), or render them after training with tack sweep.'],
      epochs: [],
    };
  }
  const best = new Map(epochs.map((e) => [e, bestCell(byEpoch.get(e) as CellStats[])]));
  const anyFace = pool.some((c) => c.withFace > 0);
  if (!anyFace) {
    return {
      kind: 'no-faces',
      strengthMeasured: false,
      summary: 'No sample has a detectable face, so likeness cannot be measured.',
      reasons: [`None of the ${plural(pool.reduce((a, c) => a + c.samples, 0), 'sample')} shows a face the face model can find.`],
      advice: [
        'Use sample prompts that show the face (portrait, mid-shot): tack samples lists them.',
        'Render samples at least 768x1280 (the recipe\'s size) so faces are large enough.',
        'If the samples are noise or blank, the training itself failed: check the run log (tack runs show).',
      ],
      epochs: epochs.map((e) => ({ epoch: e, effectiveLikeness: 0, label: 'weak' as const })),
    };
  }

  const losesFace = (c: CellStats) => c.noFace / c.samples > 0.5;
  const eligible = epochs.filter((e) => {
    const c = best.get(e) as CellStats;
    return c.copies === 0 && !losesFace(c);
  });
  const candidates = eligible.length > 0 ? eligible : epochs;
  const top = Math.max(...candidates.map((e) => (best.get(e) as CellStats).effectiveLikeness));
  const topCell = candidates.map((e) => best.get(e) as CellStats).find((c) => c.effectiveLikeness === top) as CellStats;
  const tolerance = Math.max(0.05, topCell.standardError);
  const chosenEpoch = candidates.find((e) => (best.get(e) as CellStats).effectiveLikeness >= top - tolerance) as number;
  const epochCells = byEpoch.get(chosenEpoch) as CellStats[];
  const epochBest = bestCell(epochCells);
  const strengthCell = useSweep
    ? ([...epochCells].filter((c) => c.copies === 0 && c.effectiveLikeness >= epochBest.effectiveLikeness - tolerance).sort((a, b) => a.strength - b.strength)[0] ?? epochBest)
    : epochBest;
  const chosen = strengthCell;
  const likeness = chosen.effectiveLikeness;
  const good = likeness >= input.threshold;

  const reasons: string[] = [];
  const advice: string[] = [];
  const scale = '(1.00 = as alike as your own photos, 0 = a stranger)';
  reasons.push(
    `Epoch ${chosenEpoch}${useSweep ? ` at strength ${chosen.strength}` : ''} reaches likeness ${f2(likeness)} ${scale}, over ${plural(chosen.samples, 'sample')} with ${plural(chosen.withFace, 'face')}.`,
  );
  if (baseline && baseline.samples > 0) {
    reasons.push(`Before training the base model scored ${f2(baseline.effectiveLikeness)}, so the likeness comes from the LoRA.`);
  }
  const before = epochs.filter((e) => e < chosenEpoch && (best.get(e) as CellStats).effectiveLikeness < top - tolerance && (best.get(e) as CellStats).copies === 0 && !losesFace(best.get(e) as CellStats));
  if (before.length > 0) {
    reasons.push(`${listEpochs(before)} ${before.length === 1 ? 'does' : 'do'} not look as much like the subject yet (${before.map((e) => f2((best.get(e) as CellStats).effectiveLikeness)).join(', ')}).`);
  }
  const plateau = candidates.filter((e) => e > chosenEpoch && (best.get(e) as CellStats).effectiveLikeness >= top - tolerance);
  if (plateau.length > 0) {
    reasons.push(
      `Likeness plateaus at epoch ${chosenEpoch}: ${listEpochs(plateau).toLowerCase()} score ${plateau.map((e) => f2((best.get(e) as CellStats).effectiveLikeness)).join(', ')}, no better within the measurement noise (±${f2(tolerance)}); the earliest epoch of the plateau is the least overfitted.`,
    );
  }
  const copying = epochs.filter((e) => (best.get(e) as CellStats).copies > 0);
  copying.forEach((e, i) => {
    const c = best.get(e) as CellStats;
    reasons.push(`Epoch ${e} ${i === 0 ? 'starts copying' : 'copies'} training photos: ${c.copies} of ${plural(c.samples, 'sample')} ${c.copies === 1 ? 'is a near-copy' : 'are near-copies'} of ${c.copiedPhotos.slice(0, 3).join(', ')}.`);
  });
  for (const e of epochs) {
    const c = best.get(e) as CellStats;
    if (c.noFace > 0 && c.noFace / c.samples >= 1 / 3) reasons.push(`Epoch ${e} loses the face in ${c.noFace} of ${plural(c.samples, 'sample')}.`);
  }
  const last = epochs[epochs.length - 1] as number;
  const rising = chosenEpoch === last && epochs.length >= 2 && likeness - (best.get(epochs[epochs.length - 2] as number) as CellStats).effectiveLikeness > tolerance;
  if (rising) reasons.push(`Likeness was still rising at the last epoch (${epochs.slice(-3).map((e) => f2((best.get(e) as CellStats).effectiveLikeness)).join(' -> ')}).`);

  if (useSweep && sweepStrengths.size > 1) {
    const others = epochCells.filter((c) => c !== chosen).sort((a, b) => a.strength - b.strength);
    if (chosen !== epochBest) reasons.push(`At epoch ${chosenEpoch}, strength ${chosen.strength} is as alike as ${epochBest.strength} (${f2(chosen.effectiveLikeness)} vs ${f2(epochBest.effectiveLikeness)}): the lower strength leaves more room for your prompt.`);
    const weaker = others.filter((c) => c.strength < chosen.strength && c.effectiveLikeness < chosen.effectiveLikeness - tolerance);
    if (weaker.length > 0) reasons.push(`Lower strengths lose likeness: ${weaker.map((c) => `${c.strength} -> ${f2(c.effectiveLikeness)}`).join(', ')}.`);
  } else {
    advice.push(`The strength was not measured (the engine renders samples at strength 1). The recipe uses about ${RECIPE_STRENGTH}: try tack sweep --strengths 0.6,0.85,1 to measure it.`);
  }

  if (!good) {
    advice.unshift(
      `No epoch reaches the likeness threshold ${f2(input.threshold)} (best ${f2(likeness)}).`,
      'Photo quality matters most for real people (recipe.md 1): remove blurry, small, dark or heavily filtered photos even if it halves the set; tack doctor ranks them.',
    );
    if (rising) advice.push(`Train longer: likeness was still rising${input.totalSteps ? ` after ${input.totalSteps} steps` : ''}; the recipe aims for about 2500 steps (more epochs at fewer repeats gives more checkpoints to choose from).`);
    advice.push('Readers who could not get a likeness succeeded after raising the learning rate to 1e-3 for about 5 epochs (recipe.md 3).');
    advice.push('Make sure the text encoder is trained (a text-encoder learning rate of 0 trains the U-Net only and cost users likeness, P8) and that every caption starts with the trigger token.');
  }
  if (copying.length > 0) advice.push('Samples that copy a training photo mean the LoRA memorises: prefer an earlier epoch, fewer steps, more varied photos, and remove near-duplicate photos (P19).');
  if (pool.some((c) => c.noFace / c.samples >= 1 / 3)) advice.push('Many samples show no face: keep portrait and mid-shot prompts in [samples] and render at 768x1280 or larger.');
  if (input.referencePhotos < 3) advice.push(`Only ${plural(input.referencePhotos, 'photo')} of the subject had a usable face for the reference: scores are rougher with so few.`);

  const verdicts: EpochVerdict[] = [];
  if (baseline) verdicts.push({ epoch: 0, effectiveLikeness: baseline.effectiveLikeness, label: 'baseline' });
  for (const e of epochs) {
    const c = best.get(e) as CellStats;
    const label: EpochVerdict['label'] =
      e === chosenEpoch ? 'recommended' : c.copies > 0 ? 'copying' : losesFace(c) ? 'losing-face' : plateau.includes(e) ? 'plateau' : c.effectiveLikeness < input.threshold ? 'weak' : 'below';
    verdicts.push({ epoch: e, effectiveLikeness: c.effectiveLikeness, label });
  }
  const checkpoint = input.checkpoints.find((c) => c.epoch === chosenEpoch)?.file;
  const strength = useSweep ? chosen.strength : 1;
  const summary = good
    ? `Use epoch ${chosenEpoch} at strength ${strength}${useSweep ? '' : ' (not swept)'}: likeness ${f2(likeness)}.`
    : `No epoch looks enough like the subject yet; the closest is epoch ${chosenEpoch} (likeness ${f2(likeness)}, threshold ${f2(input.threshold)}).`;
  return {
    kind: good ? 'good' : 'weak',
    epoch: chosenEpoch,
    strength,
    ...(checkpoint ? { checkpoint } : {}),
    effectiveLikeness: likeness,
    strengthMeasured: useSweep && sweepStrengths.size > 1,
    summary,
    reasons,
    advice,
    epochs: verdicts,
  };
}

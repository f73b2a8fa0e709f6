/**
 * The recipe's step math (recipe.md 3): repeats so that images x repeats ~= 900, epochs so that
 * images x repeats x epochs / batch ~= 2500. The recipe's own example rounds both up (23 images
 * -> 40 repeats = 920, not 39 = 897; 920 / 2 = 460 steps per epoch -> 6 epochs = 2760, not 5 =
 * 2300), so tack takes the smallest repeats and epochs that reach each target.
 */
import { finding, type Finding } from '../core/index.js';

export interface RecipeTargets {
  readonly targetImageRepeats: number;
  readonly targetSteps: number;
  readonly batchSize: number;
  readonly gradientAccumulationSteps: number;
  /** Fixed by the user instead of derived. */
  readonly repeats?: number;
  readonly epochs?: number;
}

/** Another repeats/epochs split of about the same training (its step count is the engine's: see project-plan.ts). */
export interface RecipeAlternative {
  readonly repeats: number;
  readonly epochs: number;
}

export interface RecipePlan {
  readonly images: number;
  readonly repeats: number;
  readonly repeatsSource: 'target' | 'fixed';
  /** images x repeats: what one epoch shows the trainer. */
  readonly imageRepeats: number;
  readonly epochs: number;
  readonly epochsSource: 'target' | 'fixed';
  readonly batchSize: number;
  readonly gradientAccumulationSteps: number;
  /** images x repeats / batch / accumulation (the recipe's formula, not rounded per bucket). */
  readonly stepsPerEpoch: number;
  /** images x repeats x epochs / batch / accumulation. */
  readonly totalSteps: number;
  readonly findings: readonly Finding[];
}

/** The recipe's dataset size range (recipe.md 1). */
export const RECIPE_IMAGE_RANGE = { min: 14, max: 50 } as const;

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export function planRecipe(images: number, targets: RecipeTargets): RecipePlan {
  const findings: Finding[] = [];
  const n = Math.max(0, Math.floor(images));
  const accum = targets.gradientAccumulationSteps;
  const batch = targets.batchSize;
  const repeats = targets.repeats ?? Math.max(1, Math.ceil(targets.targetImageRepeats / Math.max(1, n)));
  const imageRepeats = n * repeats;
  const stepsPerEpoch = imageRepeats / batch / accum;
  // Without photos no epoch count reaches the target; 1 keeps the numbers finite.
  const epochs = targets.epochs ?? (n === 0 ? 1 : Math.max(1, Math.ceil(targets.targetSteps / stepsPerEpoch)));
  const totalSteps = stepsPerEpoch * epochs;

  if (n === 0) {
    findings.push(finding('error', 'PLAN_NO_IMAGES', 'There are no photos to plan for.', { fix: 'Add photos with `tack add <project> <photos>`.' }));
  } else if (n < RECIPE_IMAGE_RANGE.min) {
    findings.push(
      finding('warning', 'PLAN_FEW_IMAGES', `${n} photos is below the recipe's ${RECIPE_IMAGE_RANGE.min}-${RECIPE_IMAGE_RANGE.max}.`, {
        fix: 'Add more sharp, well-lit photos of the subject in varied framing; with few photos the LoRA memorises them.',
      }),
    );
  } else if (n > RECIPE_IMAGE_RANGE.max) {
    findings.push(
      finding('info', 'PLAN_MANY_IMAGES', `${n} photos is above the recipe's ${RECIPE_IMAGE_RANGE.min}-${RECIPE_IMAGE_RANGE.max}: fine if they are all good; quality beats quantity.`, {
        fix: 'Drop the weakest photos (tack doctor ranks them) rather than keeping them all.',
      }),
    );
  }
  if (n > 0 && batch > imageRepeats) {
    findings.push(finding('warning', 'PLAN_BATCH_TOO_BIG', `Batch size ${batch} is larger than images x repeats (${imageRepeats}).`, { fix: 'Lower --batch-size.' }));
  }
  if (n > 0) {
    const off = totalSteps / targets.targetSteps;
    if (off < 0.75 || off > 1.4) {
      findings.push(
        finding('warning', 'PLAN_STEPS_FAR_FROM_TARGET', `The plan trains ${round2(totalSteps)} steps, far from the target ${targets.targetSteps}.`, {
          fix: targets.epochs || targets.repeats ? 'Remove the fixed repeats/epochs in [plan] to let tack derive them.' : 'Adjust target_steps or the batch size.',
        }),
      );
    }
    const imageRepeatsOff = imageRepeats / targets.targetImageRepeats;
    if (targets.repeats !== undefined && (imageRepeatsOff < 0.5 || imageRepeatsOff > 2)) {
      findings.push(
        finding('info', 'PLAN_REPEATS_FAR_FROM_TARGET', `images x repeats = ${imageRepeats}, the recipe aims for about ${targets.targetImageRepeats}.`, {
          fix: 'Only the total steps matter for training; the split decides how many checkpoints you get.',
        }),
      );
    }
    if (epochs === 1) {
      findings.push(
        finding('info', 'PLAN_ONE_EPOCH', 'One epoch means one checkpoint: nothing to choose from.', { fix: 'Set fewer repeats (more epochs) to get a checkpoint to compare every few hundred steps.' }),
      );
    }
  }
  return {
    images: n,
    repeats,
    repeatsSource: targets.repeats === undefined ? 'target' : 'fixed',
    imageRepeats,
    epochs,
    epochsSource: targets.epochs === undefined ? 'target' : 'fixed',
    batchSize: batch,
    gradientAccumulationSteps: accum,
    stepsPerEpoch: round2(stepsPerEpoch),
    totalSteps: round2(totalSteps),
    findings,
  };
}

/**
 * Splits with the same repeats x epochs (about the same total): halving repeats doubles epochs.
 * No step total here: the recipe's images x repeats x epochs / batch is not a whole number of
 * steps, and only the engine's per-bucket count is what a run will do.
 */
export function planAlternativeSplits(recipe: Pick<RecipePlan, 'images' | 'repeats' | 'epochs'>): RecipeAlternative[] {
  if (recipe.images === 0) return [];
  const { repeats, epochs } = recipe;
  const product = repeats * epochs;
  const out: RecipeAlternative[] = [];
  for (const factor of [2, 4, 0.5]) {
    const r = Math.max(1, Math.round(repeats / factor));
    const e = Math.max(1, Math.round(product / r));
    if ((r === repeats && e === epochs) || out.some((a) => a.repeats === r)) continue;
    out.push({ repeats: r, epochs: e });
  }
  return out.sort((a, b) => b.repeats - a.repeats);
}

/** The kohya folder name `<repeats>_<token> <class>` (sd-scripts.md 1.6). */
export function kohyaFolderName(repeats: number, token: string, className: string): string {
  return `${repeats}_${token} ${className}`;
}

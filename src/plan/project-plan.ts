/**
 * The plan for a project: the recipe's numbers and the engine's exact count side by side,
 * from the photos' real sizes and the [plan] and [buckets] settings.
 */
import { finding, type Finding } from '../core/index.js';
import { assignBucket, checkBucketSettings, predefinedBuckets, type BucketOptions, type Size } from '../dataset/buckets.js';
import type { BucketSettings, PlanSettings } from '../project/index.js';
import { countEngineSteps, type BucketCount, type EngineSteps } from './engine-steps.js';
import { planAlternativeSplits, planRecipe, type RecipePlan } from './recipe.js';

/** Another repeats/epochs split, counted as the trainer will count it (whole steps). */
export interface PlanAlternative {
  readonly repeats: number;
  readonly epochs: number;
  /** images x repeats: what one epoch shows the trainer. */
  readonly imageRepeats: number;
  /** The trainer's optimizer steps per epoch (ceil per bucket batch). */
  readonly stepsPerEpoch: number;
  /** The trainer's total ("total optimization steps"). */
  readonly totalSteps: number;
  /** One checkpoint per epoch. */
  readonly checkpoints: number;
}

export interface ProjectPlan {
  readonly recipe: RecipePlan;
  /** The engine's count for the actual buckets; absent when the sizes are unknown. */
  readonly engine?: EngineSteps;
  /** Calculator mode: every image assumed in one bucket (a lower bound of the engine's count). */
  readonly engineLowerBound: number;
  /** The count the trainer column and the alternatives use: `engine`, or all photos in one bucket. */
  readonly trainer: EngineSteps;
  /** "buckets": the photos' real buckets; "one-bucket": sizes unknown, all photos in one bucket. */
  readonly trainerCount: 'buckets' | 'one-bucket';
  /** Other repeats/epochs splits of about the same training, with the trainer's counts. */
  readonly alternatives: readonly PlanAlternative[];
  readonly buckets: BucketOptions;
  readonly bucketNotes: readonly string[];
  readonly findings: readonly Finding[];
}

export function bucketOptionsFrom(settings: BucketSettings): BucketOptions {
  const r = settings.resolution;
  return {
    resolution: typeof r === 'number' ? [r, r] : [r[0], r[1]],
    enableBucket: settings.enable_bucket,
    noUpscale: settings.bucket_no_upscale,
    minReso: settings.min_bucket_reso,
    maxReso: settings.max_bucket_reso,
    resoSteps: settings.bucket_reso_steps,
  };
}

/** Counts images per engine bucket. */
export function countBuckets(sizes: readonly Size[], options: BucketOptions): BucketCount[] {
  const list = predefinedBuckets(options);
  const counts = new Map<string, BucketCount>();
  for (const [w, h] of sizes) {
    const bucket = assignBucket(w, h, options, list).bucket;
    const key = `${bucket[0]}x${bucket[1]}`;
    counts.set(key, { bucket, images: (counts.get(key)?.images ?? 0) + 1 });
  }
  return [...counts.values()];
}

export interface ProjectPlanInput {
  readonly plan: PlanSettings;
  readonly buckets: BucketSettings;
  /** Oriented sizes of the usable photos; or only a count in calculator mode. */
  readonly sizes?: readonly Size[];
  readonly images?: number;
  readonly numProcesses?: number;
}

export function buildProjectPlan(input: ProjectPlanInput): ProjectPlan {
  const check = checkBucketSettings(bucketOptionsFrom(input.buckets));
  const images = input.sizes?.length ?? input.images ?? 0;
  const recipe = planRecipe(images, {
    targetImageRepeats: input.plan.target_image_repeats,
    targetSteps: input.plan.target_steps,
    batchSize: input.plan.batch_size,
    gradientAccumulationSteps: input.plan.gradient_accumulation_steps,
    ...(input.plan.repeats !== undefined ? { repeats: input.plan.repeats } : {}),
    ...(input.plan.epochs !== undefined ? { epochs: input.plan.epochs } : {}),
  });
  const stepOptions = {
    repeats: recipe.repeats,
    batchSize: recipe.batchSize,
    epochs: recipe.epochs,
    gradientAccumulationSteps: recipe.gradientAccumulationSteps,
    numProcesses: input.numProcesses ?? 1,
  };
  const findings: Finding[] = [...recipe.findings];
  for (const e of check.errors) {
    findings.push(finding('error', 'PLAN_BAD_BUCKETS', `The trainer refuses these [buckets] settings: ${e}.`, { subject: 'buckets', fix: 'Fix [buckets] in tack.toml.' }));
  }
  const bucketCounts = input.sizes && images > 0 ? countBuckets(input.sizes, check.options) : undefined;
  // Without sizes the engine's rule still applies to one bucket: ceil(images x repeats / batch).
  const oneBucket: BucketCount[] = [{ bucket: check.options.resolution, images }];
  const engine = bucketCounts ? countEngineSteps(bucketCounts, stepOptions) : undefined;
  const lowerBound = countEngineSteps(oneBucket, stepOptions);
  const alternatives = planAlternativeSplits(recipe).map((split): PlanAlternative => {
    const steps = countEngineSteps(bucketCounts ?? oneBucket, { ...stepOptions, repeats: split.repeats, epochs: split.epochs });
    return { ...split, imageRepeats: steps.trainImagesWithRepeats, stepsPerEpoch: steps.stepsPerEpoch, totalSteps: steps.maxTrainSteps, checkpoints: split.epochs };
  });
  return {
    recipe,
    ...(engine ? { engine } : {}),
    engineLowerBound: lowerBound.maxTrainSteps,
    trainer: engine ?? lowerBound,
    trainerCount: engine ? 'buckets' : 'one-bucket',
    alternatives,
    buckets: check.options,
    bucketNotes: check.notes,
    findings,
  };
}

/**
 * The engine's own step count (sd-scripts.md 5): each bucket yields ceil(items / batch)
 * batches, where items include repeats, so bucketing can add partial batches. With
 * max_train_epochs E: max_train_steps = E x ceil(batches / processes / accumulation).
 */
import type { Size } from '../dataset/buckets.js';

export interface BucketCount {
  readonly bucket: Size;
  /** Distinct images in this bucket (before repeats). */
  readonly images: number;
}

export interface EngineStepOptions {
  readonly repeats: number;
  readonly batchSize: number;
  readonly epochs: number;
  readonly gradientAccumulationSteps: number;
  /** GPUs (accelerate processes); 1 unless training on several. */
  readonly numProcesses?: number;
}

export interface EngineBucketLine {
  readonly bucket: Size;
  readonly images: number;
  /** images x repeats, the count the engine logs per bucket. */
  readonly items: number;
  readonly batches: number;
}

export interface EngineSteps {
  readonly buckets: readonly EngineBucketLine[];
  /** "num train images * repeats" in the engine's start-of-training log. */
  readonly trainImagesWithRepeats: number;
  /** len(train_dataloader): "num batches per epoch". */
  readonly batchesPerEpoch: number;
  /** Optimizer steps per epoch per process. */
  readonly stepsPerEpoch: number;
  /** "total optimization steps". */
  readonly maxTrainSteps: number;
  readonly epochs: number;
}

export function countEngineSteps(buckets: readonly BucketCount[], options: EngineStepOptions): EngineSteps {
  const lines = buckets
    .filter((b) => b.images > 0)
    .map((b) => {
      const items = b.images * options.repeats;
      return { bucket: b.bucket, images: b.images, items, batches: Math.ceil(items / options.batchSize) };
    })
    .sort((a, b) => a.bucket[0] - b.bucket[0] || a.bucket[1] - b.bucket[1]);
  const batchesPerEpoch = lines.reduce((sum, l) => sum + l.batches, 0);
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / (options.numProcesses ?? 1) / options.gradientAccumulationSteps);
  return {
    buckets: lines,
    trainImagesWithRepeats: lines.reduce((sum, l) => sum + l.items, 0),
    batchesPerEpoch,
    stepsPerEpoch,
    maxTrainSteps: options.epochs * stepsPerEpoch,
    epochs: options.epochs,
  };
}

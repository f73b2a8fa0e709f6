import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildProjectPlan, explainPlan, countEngineSteps, kohyaFolderName, planAlternativeSplits, planRecipe } from './index.js';

const recipeTargets = { targetImageRepeats: 900, targetSteps: 2500, batchSize: 2, gradientAccumulationSteps: 1 };

test("the recipe's example: 23 images -> 40 repeats, folder 40_xanrms woman, 6 epochs at batch 2, 2760 steps", () => {
  const plan = planRecipe(23, recipeTargets);
  assert.equal(plan.repeats, 40);
  assert.equal(plan.imageRepeats, 920);
  assert.equal(plan.epochs, 6);
  assert.equal(plan.stepsPerEpoch, 460);
  assert.equal(plan.totalSteps, 2760);
  assert.equal(kohyaFolderName(plan.repeats, 'xanrms', 'woman'), '40_xanrms woman');
  assert.deepEqual(plan.findings, []);
  // more epochs with fewer repeats: same repeats x epochs, more checkpoints
  assert.deepEqual(planAlternativeSplits(plan).map((a) => [a.repeats, a.epochs]), [[80, 3], [20, 12], [10, 24]]);
});

test('fixed repeats and epochs are kept and far-off totals are warned about', () => {
  const plan = planRecipe(23, { ...recipeTargets, repeats: 5, epochs: 2 });
  assert.equal(plan.repeats, 5);
  assert.equal(plan.epochs, 2);
  assert.equal(plan.totalSteps, 115);
  assert.ok(plan.findings.some((f) => f.code === 'PLAN_STEPS_FAR_FROM_TARGET'));
});

test('dataset size outside 14-50 is flagged; none is an error', () => {
  assert.equal(planRecipe(8, recipeTargets).findings[0]?.code, 'PLAN_FEW_IMAGES');
  assert.equal(planRecipe(80, recipeTargets).findings[0]?.code, 'PLAN_MANY_IMAGES');
  assert.equal(planRecipe(0, recipeTargets).findings[0]?.severity, 'error');
});

test("the engine's examples (sd-scripts.md 5.2): buckets add partial batches, accumulation divides", () => {
  const one = countEngineSteps([{ bucket: [1024, 1024], images: 20 }], { repeats: 10, batchSize: 2, epochs: 10, gradientAccumulationSteps: 1 });
  assert.equal(one.batchesPerEpoch, 100);
  assert.equal(one.maxTrainSteps, 1000);
  // the same 200 items split 101 / 99 between two buckets -> 51 + 50 batches
  const split = countEngineSteps(
    [
      { bucket: [896, 1152], images: 101 },
      { bucket: [1152, 896], images: 99 },
    ],
    { repeats: 1, batchSize: 2, epochs: 10, gradientAccumulationSteps: 1 },
  );
  assert.equal(split.batchesPerEpoch, 101);
  assert.equal(split.maxTrainSteps, 1010);
  const accum = countEngineSteps([{ bucket: [1024, 1024], images: 20 }], { repeats: 10, batchSize: 1, epochs: 10, gradientAccumulationSteps: 4 });
  assert.equal(accum.batchesPerEpoch, 200);
  assert.equal(accum.maxTrainSteps, 500);
});

test('the shared fixture run: 6 images x 1 repeat x 2 epochs at batch 1 = 12 steps, buckets (192,320)x3 and (320,192)x3', () => {
  const plan = buildProjectPlan({
    plan: { target_image_repeats: 6, target_steps: 12, batch_size: 1, gradient_accumulation_steps: 1, repeats: 1, epochs: 2 },
    buckets: { resolution: 256, enable_bucket: true, bucket_no_upscale: false, min_bucket_reso: 128, max_bucket_reso: 512, bucket_reso_steps: 64 },
    sizes: [[320, 448], [448, 320], [320, 448], [448, 320], [320, 448], [448, 320]],
  });
  assert.equal(plan.engine?.maxTrainSteps, 12);
  assert.deepEqual(plan.engine?.buckets.map((b) => [b.bucket, b.items]), [[[192, 320], 3], [[320, 192], 3]]);
});

test("23 photos in real buckets: the engine's total is at least the recipe's and shows the partial batches", () => {
  const sizes: Array<[number, number]> = [
    ...Array.from({ length: 11 }, (): [number, number] => [3024, 4032]),
    ...Array.from({ length: 7 }, (): [number, number] => [4032, 3024]),
    ...Array.from({ length: 5 }, (): [number, number] => [3000, 3000]),
  ];
  const plan = buildProjectPlan({
    plan: { target_image_repeats: 900, target_steps: 2500, batch_size: 2, gradient_accumulation_steps: 1 },
    buckets: { resolution: 1024, enable_bucket: true, bucket_no_upscale: false, min_bucket_reso: 256, max_bucket_reso: 2048, bucket_reso_steps: 64 },
    sizes,
  });
  assert.equal(plan.recipe.totalSteps, 2760);
  // 440, 280 and 200 items: all even at batch 2, so no partial batches here
  assert.equal(plan.engine?.batchesPerEpoch, 460);
  assert.equal(plan.engine?.maxTrainSteps, 2760);
  const odd = buildProjectPlan({
    plan: { target_image_repeats: 900, target_steps: 2500, batch_size: 3, gradient_accumulation_steps: 1 },
    buckets: { resolution: 1024, enable_bucket: true, bucket_no_upscale: false, min_bucket_reso: 256, max_bucket_reso: 2048, bucket_reso_steps: 64 },
    sizes,
  });
  // 440/3 -> 147, 280/3 -> 94, 200/3 -> 67 = 308 batches, vs 920/3 = 306.67 in the recipe's formula
  assert.equal(odd.engine?.batchesPerEpoch, 308);
  assert.ok((odd.engine?.maxTrainSteps ?? 0) > odd.recipe.totalSteps);
});

const BUCKETS_1024 = { resolution: 1024, enable_bucket: true, bucket_no_upscale: false, min_bucket_reso: 256, max_bucket_reso: 2048, bucket_reso_steps: 64 } as const;

test("alternatives are counted as the trainer counts them: whole steps for the photos' own buckets (the demo's 11 photos)", () => {
  // The demo's photos: 8 portrait (896x1152), 1 square, 1 landscape (1152x896), 1 panorama (1728x576).
  const sizes: Array<[number, number]> = [...Array.from({ length: 8 }, (): [number, number] => [3024, 4032]), [3000, 3000], [4032, 3024], [6000, 2000]];
  const plan = buildProjectPlan({ plan: { target_image_repeats: 900, target_steps: 2500, batch_size: 2, gradient_accumulation_steps: 1 }, buckets: BUCKETS_1024, sizes });
  assert.equal(plan.trainerCount, 'buckets');
  assert.deepEqual([plan.recipe.repeats, plan.recipe.epochs, plan.trainer.maxTrainSteps], [82, 6, 2706]);
  // 21 repeats: the recipe's arithmetic gives 11 x 21 x 23 / 2 = 2656.5; the trainer batches
  // 168 + 21 + 21 + 21 items per bucket into 84 + 11 + 11 + 11 = 117 batches per epoch: 2691 steps.
  assert.deepEqual(
    plan.alternatives.map((a) => [a.repeats, a.epochs, a.stepsPerEpoch, a.totalSteps, a.checkpoints]),
    [[164, 3, 902, 2706, 3], [41, 12, 227, 2724, 12], [21, 23, 117, 2691, 23]],
  );
  for (const a of plan.alternatives) {
    assert.ok(Number.isInteger(a.totalSteps) && Number.isInteger(a.stepsPerEpoch), `${a.repeats} x ${a.epochs}: whole steps`);
    const same = buildProjectPlan({ plan: { target_image_repeats: 900, target_steps: 2500, batch_size: 2, gradient_accumulation_steps: 1, repeats: a.repeats, epochs: a.epochs }, buckets: BUCKETS_1024, sizes });
    assert.equal(a.totalSteps, same.engine?.maxTrainSteps, "the same number as the plan's trainer column for that split");
  }
});

test('calculator mode counts all photos as one bucket and rounds as the engine does: ceil(images x repeats / batch) per epoch', () => {
  const plan = buildProjectPlan({ plan: { target_image_repeats: 900, target_steps: 2500, batch_size: 3, gradient_accumulation_steps: 1 }, buckets: BUCKETS_1024, images: 23 });
  assert.equal(plan.engine, undefined);
  assert.equal(plan.trainerCount, 'one-bucket');
  // recipe: 920 / 3 = 306.67 per epoch; the engine: ceil(920 / 3) = 307
  assert.equal(plan.recipe.stepsPerEpoch, 306.67);
  assert.deepEqual([plan.trainer.stepsPerEpoch, plan.trainer.epochs, plan.trainer.maxTrainSteps], [307, 9, 2763]);
  assert.equal(plan.engineLowerBound, 2763);
  for (const a of plan.alternatives) assert.equal(a.totalSteps, Math.ceil((23 * a.repeats) / 3) * a.epochs, `${a.repeats} x ${a.epochs}`);
  assert.match(explainPlan(plan, { targetImageRepeats: 900, targetSteps: 2500 }).join(' '), /counts all 23 photos as one aspect-ratio bucket and rounds as the engine does: ceil\(920 \/ 3\) = 307 steps per epoch, 2763 steps in 9 epochs/);
  // accumulation divides after the per-bucket rounding
  const accum = buildProjectPlan({ plan: { target_image_repeats: 900, target_steps: 2500, batch_size: 1, gradient_accumulation_steps: 4, repeats: 10, epochs: 2 }, buckets: BUCKETS_1024, images: 23 });
  assert.deepEqual([accum.trainer.batchesPerEpoch, accum.trainer.stepsPerEpoch, accum.trainer.maxTrainSteps], [230, 58, 116]);
});

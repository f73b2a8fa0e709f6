/** The plan in words: how the numbers were chosen and what the engine will really do. */
import type { ProjectPlan } from './project-plan.js';

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2).replace(/\.?0+$/, '');
}

export function explainPlan(plan: ProjectPlan, targets: { readonly targetImageRepeats: number; readonly targetSteps: number }): string[] {
  const r = plan.recipe;
  const lines: string[] = [];
  const perStep = r.batchSize * r.gradientAccumulationSteps;
  const perStepText = r.gradientAccumulationSteps > 1 ? `batch size ${r.batchSize} x ${r.gradientAccumulationSteps} accumulation steps` : `batch size ${r.batchSize}`;
  if (r.images === 0) return ['There are no photos yet, so there is nothing to plan.'];
  if (r.repeatsSource === 'target') {
    const lower = r.repeats - 1;
    lines.push(
      `The recipe shows the trainer about ${targets.targetImageRepeats} images per epoch (images x repeats). With ${r.images} photos, ${r.repeats} repeats give ${r.imageRepeats}` +
        (lower >= 1 ? ` (${lower} would give ${r.images * lower}, short of ${targets.targetImageRepeats}).` : '.'),
    );
  } else {
    lines.push(`Repeats are fixed at ${r.repeats} in tack.toml: ${r.images} photos x ${r.repeats} = ${r.imageRepeats} images per epoch.`);
  }
  if (r.epochsSource === 'target') {
    const lower = r.epochs - 1;
    lines.push(
      `At ${perStepText}, the recipe's arithmetic makes one epoch ${r.imageRepeats} / ${perStep} = ${fmt(r.stepsPerEpoch)} steps, so ${r.epochs} epochs give ${fmt(r.totalSteps)}, the first count to reach the ~${targets.targetSteps} the recipe aims for` +
        (lower >= 1 ? ` (${lower} epochs would give ${fmt((r.imageRepeats * lower) / perStep)}).` : '.'),
    );
  } else {
    lines.push(`Epochs are fixed at ${r.epochs} in tack.toml: in the recipe's arithmetic, ${fmt(r.stepsPerEpoch)} steps per epoch x ${r.epochs} = ${fmt(r.totalSteps)}.`);
  }
  if (plan.engine) {
    const e = plan.engine;
    const extra = e.stepsPerEpoch - Math.ceil(r.stepsPerEpoch);
    if (e.buckets.length > 1) {
      lines.push(
        `The trainer batches each aspect-ratio bucket on its own (${e.buckets.length} buckets here), so a bucket whose count does not divide by ${r.batchSize} adds a short batch: ` +
          (extra > 0 ? `${e.stepsPerEpoch} steps per epoch instead of ${fmt(r.stepsPerEpoch)}, ${e.maxTrainSteps} in total.` : `here every bucket divides evenly, so the trainer's count is the same: ${e.maxTrainSteps} steps.`),
      );
    } else {
      lines.push(`All photos fall in one bucket, so the trainer's count is ${e.maxTrainSteps} steps.`);
    }
  } else {
    const t = plan.trainer;
    const perEpoch = r.gradientAccumulationSteps > 1 ? `${t.batchesPerEpoch} batches per epoch, ${t.stepsPerEpoch} steps after ${r.gradientAccumulationSteps} accumulation steps` : `${t.stepsPerEpoch} steps per epoch`;
    lines.push(
      `Calculator mode: the photos' sizes are unknown, so the trainer column counts all ${r.images} photos as one aspect-ratio bucket and rounds as the engine does: ` +
        `ceil(${t.trainImagesWithRepeats} / ${r.batchSize}) = ${perEpoch}, ${t.maxTrainSteps} steps in ${r.epochs} epochs. ` +
        `Photos of different shapes fall into several buckets, and each bucket whose count does not divide by ${r.batchSize} adds one short batch per epoch, so a real project can need a few more.`,
    );
  }
  lines.push(`The trainer saves a checkpoint after every epoch, so you get ${r.epochs} to choose from; fewer repeats and more epochs give the same total with more checkpoints.`);
  return lines;
}

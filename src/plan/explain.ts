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
      `At ${perStepText}, one epoch is ${r.imageRepeats} / ${perStep} = ${fmt(r.stepsPerEpoch)} steps, so ${r.epochs} epochs give ${fmt(r.totalSteps)} steps, the first count to reach the ~${targets.targetSteps} the recipe aims for` +
        (lower >= 1 ? ` (${lower} epochs would give ${fmt(r.stepsPerEpoch * lower)}).` : '.'),
    );
  } else {
    lines.push(`Epochs are fixed at ${r.epochs} in tack.toml: ${fmt(r.stepsPerEpoch)} steps per epoch x ${r.epochs} = ${fmt(r.totalSteps)} steps.`);
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
    lines.push(`Without the photos' sizes this is the trainer's minimum (${plan.engineLowerBound} steps); each extra aspect-ratio bucket can add one short batch per epoch.`);
  }
  lines.push(`The trainer saves a checkpoint after every epoch, so you get ${r.epochs} to choose from; fewer repeats and more epochs give the same total with more checkpoints.`);
  return lines;
}

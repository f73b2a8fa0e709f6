import path from 'node:path';
import { formatSize } from '../../dataset/index.js';
import { planProject } from '../../pipeline/index.js';
import { buildProjectPlan, explainPlan, kohyaFolderName, type ProjectPlan } from '../../plan/index.js';
import { loadProject, projectSchema, saveProjectConfig, type PlanSettings } from '../../project/index.js';
import { cliErrors } from '../errors.js';
import { numberOption, type CommandContext, type CommandSpec, type OptionValues } from '../command.js';
import { formatFinding, formatTable } from '../render.js';

function overrides(values: OptionValues): Partial<PlanSettings> {
  const out: Partial<Record<keyof PlanSettings, number>> = {};
  const map: Array<[string, keyof PlanSettings]> = [
    ['batch-size', 'batch_size'],
    ['repeats', 'repeats'],
    ['epochs', 'epochs'],
    ['target-steps', 'target_steps'],
    ['target-image-repeats', 'target_image_repeats'],
    ['grad-accum', 'gradient_accumulation_steps'],
  ];
  for (const [flag, key] of map) {
    const v = numberOption(values, flag, { integer: true, min: 1, max: 100000 });
    if (v !== undefined) out[key] = v;
  }
  return out as Partial<PlanSettings>;
}

function printPlan(ctx: CommandContext, plan: ProjectPlan, folder: string | undefined, settings: PlanSettings): void {
  const r = plan.recipe;
  const e = plan.engine;
  const t = plan.trainer;
  const rows: Array<[string, string, string]> = [
    ['photos', String(r.images), String(t.buckets.reduce((s, b) => s + b.images, 0))],
    ['repeats', `${r.repeats}${r.repeatsSource === 'fixed' ? ' (fixed)' : ''}`, ''],
    ['images x repeats', String(r.imageRepeats), String(t.trainImagesWithRepeats)],
    ['batch size', String(r.batchSize), ''],
    ['steps per epoch', String(r.stepsPerEpoch), String(t.stepsPerEpoch)],
    ['epochs', `${r.epochs}${r.epochsSource === 'fixed' ? ' (fixed)' : ''}`, String(t.epochs)],
    ['total steps', String(r.totalSteps), String(t.maxTrainSteps)],
  ];
  // The recipe column is its arithmetic (it can be fractional); the trainer column is always the engine's whole count.
  ctx.print(formatTable(['', "recipe's arithmetic", e ? 'trainer (sd-scripts)' : 'trainer, one bucket'], rows));
  if (!e) ctx.print('\n(calculator mode: photo sizes unknown, so all photos count as one aspect-ratio bucket; see below)');
  if (folder) ctx.print(`\nkohya folder: dataset/img/${folder}`);
  if (e && e.buckets.length) {
    ctx.print(`\nBuckets (resolution ${formatSize(plan.buckets.resolution)}, steps ${plan.buckets.resoSteps}${plan.buckets.noUpscale ? ', no upscale' : ''}):`);
    ctx.print(formatTable(['bucket', 'photos', 'x repeats', 'batches/epoch'], e.buckets.map((b) => [formatSize(b.bucket), b.images, b.items, b.batches])));
  }
  ctx.print('\nWhy these numbers:');
  for (const line of explainPlan(plan, { targetImageRepeats: settings.target_image_repeats, targetSteps: settings.target_steps })) ctx.print(`  ${line}`);
  if (plan.alternatives.length) {
    const counted = plan.trainerCount === 'buckets' ? "the trainer's count for these photos' buckets" : "the trainer's count with all photos in one bucket";
    ctx.print(`\nThe same training split differently (more epochs = more checkpoints to choose from; total steps = ${counted}):`);
    ctx.print(formatTable(['repeats', 'epochs', 'steps/epoch', 'total steps', 'checkpoints'], plan.alternatives.map((a) => [a.repeats, a.epochs, a.stepsPerEpoch, a.totalSteps, a.checkpoints])));
  }
  for (const note of plan.bucketNotes) ctx.print(`\nnote: the trainer adjusts: ${note}`);
  if (plan.findings.length) {
    ctx.print();
    for (const f of plan.findings) ctx.print(formatFinding(f));
  }
}

export const planCommand: CommandSpec = {
  name: 'plan',
  summary: 'Repeats, epochs, steps and buckets, explained (calculator mode with --images)',
  usage: 'plan [<project>] [--images N] [--batch-size N] [--repeats N] [--epochs N] [--target-steps N] [--save] [--json]',
  details: `Shows the recipe's numbers (images x repeats ~ 900 per epoch; ~2500 steps in total) next to
the trainer's exact count for the photos' real aspect-ratio buckets, and explains both.
With a project the photos' sizes are used; without one, --images gives calculator mode.
Options override tack.toml for this run; add --save to write them into tack.toml.
Examples:
  tack plan my-lora --batch-size 2
  tack plan --images 23 --batch-size 2`,
  positionals: [{ name: 'project', description: 'The project folder (omit for calculator mode).' }],
  options: {
    images: { type: 'string', value: '<n>', description: 'Calculator mode: number of photos.' },
    'batch-size': { type: 'string', value: '<n>', description: 'Images per step (default from tack.toml, else 2).' },
    repeats: { type: 'string', value: '<n>', description: 'Fix the repeats instead of deriving them.' },
    epochs: { type: 'string', value: '<n>', description: 'Fix the epochs instead of deriving them.' },
    'target-steps': { type: 'string', value: '<n>', description: 'Total steps to aim for (default 2500).' },
    'target-image-repeats': { type: 'string', value: '<n>', description: 'Images x repeats per epoch to aim for (default 900).' },
    'grad-accum': { type: 'string', value: '<n>', description: 'Gradient accumulation steps (default 1).' },
    save: { type: 'boolean', description: 'Write the given options into tack.toml [plan].' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const patch = overrides(values);
    const images = numberOption(values, 'images', { integer: true, min: 0, max: 100000 });
    const dir = positionals[0];
    if (!dir) {
      if (images === undefined) {
        throw cliErrors.create('CLI_MISSING_ARGUMENT', 'tack plan needs a project folder, or --images N for calculator mode.', 'Example: tack plan --images 23 --batch-size 2');
      }
      const defaults = projectSchema.shape.plan.parse({});
      const settings = { ...defaults, ...patch };
      const plan = buildProjectPlan({ plan: settings, buckets: projectSchema.shape.buckets.parse({}), images });
      if (ctx.json) {
        ctx.printJson({ kind: 'plan', mode: 'calculator', settings, ...plan, explanation: explainPlan(plan, { targetImageRepeats: settings.target_image_repeats, targetSteps: settings.target_steps }) });
        return;
      }
      ctx.print(`Plan for ${images} photos (calculator mode)\n`);
      printPlan(ctx, plan, undefined, settings);
      return;
    }
    if (images !== undefined) throw cliErrors.create('CLI_BAD_OPTION', '--images is for calculator mode; with a project the photos are counted.', `Run tack plan ${dir} without --images.`);
    let project = await loadProject(path.resolve(ctx.cwd, dir), { tokenize: false });
    if (values.save && Object.keys(patch).length) {
      await saveProjectConfig(project.paths, { ...project.config, plan: { ...project.config.plan, ...patch } });
      project = await loadProject(project.paths.root, { tokenize: false });
    }
    const effective = { ...project.config, plan: { ...project.config.plan, ...patch } };
    const { plan, excluded } = await planProject({ ...project, config: effective }, ctx.signal);
    const folder = kohyaFolderName(plan.recipe.repeats, effective.token, effective.class);
    if (ctx.json) {
      ctx.printJson({
        kind: 'plan',
        mode: 'project',
        project: project.paths.root,
        settings: effective.plan,
        folder,
        excludedPhotos: excluded,
        ...plan,
        explanation: explainPlan(plan, { targetImageRepeats: effective.plan.target_image_repeats, targetSteps: effective.plan.target_steps }),
      });
      return;
    }
    ctx.print(`Plan for ${project.config.name}: ${plan.recipe.images} usable photos${excluded ? ` (${excluded} unreadable, left out)` : ''}\n`);
    printPlan(ctx, plan, folder, effective.plan);
    if (values.save && Object.keys(patch).length) ctx.print(`\nSaved to ${project.paths.configFile}.`);
  },
};

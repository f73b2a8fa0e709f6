import path from 'node:path';
import { chooseFaceModel, evalErrors, evaluateRun, type FaceModelChoice } from '../../evaluate/index.js';
import { followRunLikeness, type LiveLikeness } from '../../pipeline/index.js';
import { loadProject, type Project } from '../../project/index.js';
import { listRunIds } from '../../run/index.js';
import { numberOption, stringOption, type CommandContext, type CommandSpec } from '../command.js';
import { evaluationPath, printEvaluationSummary } from './evaluate-shared.js';

export const evaluateCommand: CommandSpec = {
  name: 'evaluate',
  summary: 'Score every epoch\'s samples for likeness to the subject and pick the best epoch and strength',
  usage: 'evaluate <dir> [--run <id>] [--follow] [--workers <n>] [--no-infotext] [--json]',
  details: `Finds the faces in every sample image of a run (the engine's per-epoch samples and any
tack sweep images), compares them with the subject's photos and reports per epoch and strength:
likeness (1.00 = as alike as your own photos, 0 = a stranger), samples without a face, samples
with several faces, and samples that copy a training photo. Then recommends an epoch and
strength and says why. The face model ships with tack and runs offline ([samples] face_model).
Results go to runs/<id>/evaluation/evaluation.json; face embeddings are cached, so a rerun
only analyses new images. Also writes the settings into each sample PNG (for A1111/Forge).
With --follow it scores each epoch's samples while the run is still training (the reference
from your photos is built once), prints the likeness of every epoch as it arrives, and
evaluates the whole run when it ends. Examples:
  tack evaluate my-lora
  tack evaluate my-lora --follow
  tack evaluate my-lora --run 20260301-120000 --json`,
  positionals: [{ name: 'dir', required: true, description: 'The project folder.' }],
  options: {
    run: { type: 'string', value: '<id>', description: 'Run to evaluate (default: the newest run with samples; with --follow the newest run).' },
    follow: { type: 'boolean', description: 'Score each epoch while the run trains, then evaluate it when it ends.' },
    workers: { type: 'string', value: '<n>', description: 'Face model threads (default: one per core).' },
    'no-infotext': { type: 'boolean', description: 'Do not write infotext into the engine\'s sample PNGs.' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const dir = path.resolve(ctx.cwd, positionals[0] as string);
    const project = await loadProject(dir, { tokenize: false });
    const workers = numberOption(values, 'workers', { integer: true, min: 1, max: 16 });
    const runId = stringOption(values, 'run');
    // With --follow the face model is loaded once, for the epochs as they come and the evaluation after.
    const faceModel = values.follow ? await chooseFaceModel(project.config.samples, project.paths.root, { ...(workers ? { workers } : {}), env: ctx.env, signal: ctx.signal }) : undefined;
    let live: LiveLikeness | undefined;
    let evaluation;
    try {
      live = faceModel ? await follow(ctx, project, runId, faceModel) : undefined;
      if (live && live.epochs.length === 0) {
        if (ctx.json) ctx.printJson({ kind: 'evaluate', file: null, evaluation: null, live });
        else ctx.print(`Run ${live.run} ended (${live.runStatus}) without sample images: nothing to evaluate.`);
        return;
      }
      const photos = ctx.progress('Reading the subject\'s faces');
      const samples = ctx.progress('Scoring samples');
      try {
        evaluation = await evaluateRun(project, {
          ...(live ? { runId: live.run } : runId ? { runId } : {}),
          ...(workers ? { workers } : {}),
          ...(faceModel ? { faceModel } : {}),
          annotate: !values['no-infotext'],
          env: ctx.env,
          signal: ctx.signal,
          onProgress: (phase, event) => (phase === 'photos' ? photos(event) : samples(event)),
        });
      } finally {
        photos.finish();
        samples.finish();
      }
    } finally {
      await faceModel?.close();
    }
    if (ctx.json) {
      ctx.printJson({ kind: 'evaluate', file: evaluationPath(evaluation, 'evaluation.json'), evaluation, ...(live ? { live } : {}) });
      return;
    }
    printEvaluationSummary(ctx, evaluation);
    ctx.print();
    ctx.print(`Saved ${evaluationPath(evaluation, 'evaluation.json')}`);
    ctx.print(`Report with the contact sheet and charts: tack report ${positionals[0]} --run ${evaluation.run.id}`);
  },
};

/** --follow: likeness per epoch while the run trains (also sent to the job, if this runs as one). */
async function follow(ctx: CommandContext, project: Project, runId: string | undefined, faceModel: FaceModelChoice): Promise<LiveLikeness> {
  const id = runId ?? (await listRunIds(project.paths)).at(-1);
  if (!id) throw evalErrors.create('EVAL_NO_RUNS', `${project.paths.root} has no training runs yet.`, `Start one first: tack train ${project.paths.root}`);
  if (!ctx.json) ctx.print(`Following run ${id}: each epoch's likeness appears when its samples are written.`);
  return followRunLikeness(project, {
    runId: id,
    faceModel,
    env: ctx.env,
    signal: ctx.signal,
    onEpoch: (e) => {
      const { scores: _scores, ...cell } = e;
      ctx.job?.event('likeness', { run: id, ...cell });
      if (!ctx.json) ctx.print(`  epoch ${e.epoch}: likeness ${e.effectiveLikeness.toFixed(2)} (${e.withFace}/${e.samples} with a face${e.copies ? `, ${e.copies} copying a photo` : ''})`);
    },
  });
}

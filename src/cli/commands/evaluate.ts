import path from 'node:path';
import { evaluateRun } from '../../evaluate/index.js';
import { loadProject } from '../../project/index.js';
import { numberOption, stringOption, type CommandSpec } from '../command.js';
import { evaluationPath, printEvaluationSummary } from './evaluate-shared.js';

export const evaluateCommand: CommandSpec = {
  name: 'evaluate',
  summary: 'Score every epoch\'s samples for likeness to the subject and pick the best epoch and strength',
  usage: 'evaluate <dir> [--run <id>] [--workers <n>] [--no-infotext] [--json]',
  details: `Finds the faces in every sample image of a run (the engine's per-epoch samples and any
tack sweep images), compares them with the subject's photos and reports per epoch and strength:
likeness (1.00 = as alike as your own photos, 0 = a stranger), samples without a face, samples
with several faces, and samples that copy a training photo. Then recommends an epoch and
strength and says why. The face model ships with tack and runs offline ([samples] face_model).
Results go to runs/<id>/evaluation/evaluation.json; face embeddings are cached, so a rerun
only analyses new images. Also writes the settings into each sample PNG (for A1111/Forge).
Examples:
  tack evaluate my-lora
  tack evaluate my-lora --run 20260301-120000 --json`,
  positionals: [{ name: 'dir', required: true, description: 'The project folder.' }],
  options: {
    run: { type: 'string', value: '<id>', description: 'Run to evaluate (default: the newest run with samples).' },
    workers: { type: 'string', value: '<n>', description: 'Face model threads (default: one per core).' },
    'no-infotext': { type: 'boolean', description: 'Do not write infotext into the engine\'s sample PNGs.' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const dir = path.resolve(ctx.cwd, positionals[0] as string);
    const project = await loadProject(dir, { tokenize: false });
    const workers = numberOption(values, 'workers', { integer: true, min: 1, max: 16 });
    const runId = stringOption(values, 'run');
    const photos = ctx.progress('Reading the subject\'s faces');
    const samples = ctx.progress('Scoring samples');
    let evaluation;
    try {
      evaluation = await evaluateRun(project, {
        ...(runId ? { runId } : {}),
        ...(workers ? { workers } : {}),
        annotate: !values['no-infotext'],
        env: ctx.env,
        signal: ctx.signal,
        onProgress: (phase, event) => (phase === 'photos' ? photos(event) : samples(event)),
      });
    } finally {
      photos.finish();
      samples.finish();
    }
    if (ctx.json) {
      ctx.printJson({ kind: 'evaluate', file: evaluationPath(evaluation, 'evaluation.json'), evaluation });
      return;
    }
    printEvaluationSummary(ctx, evaluation);
    ctx.print();
    ctx.print(`Saved ${evaluationPath(evaluation, 'evaluation.json')}`);
    ctx.print(`Report with the contact sheet and charts: tack report ${positionals[0]} --run ${evaluation.run.id}`);
  },
};

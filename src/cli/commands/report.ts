import path from 'node:path';
import { evaluateRun, readEvalRun, readEvaluation, writeRunReport, type Evaluation } from '../../evaluate/index.js';
import { openInDefaultApp } from '../../io/index.js';
import { loadProject } from '../../project/index.js';
import { stringOption, type CommandSpec } from '../command.js';
import { printEvaluationSummary } from './evaluate-shared.js';

export const reportCommand: CommandSpec = {
  name: 'report',
  summary: 'Write the run report: HTML page with charts and contact sheet, contact sheet PNG, summary',
  usage: 'report <dir> [--run <id>] [--reevaluate] [--open] [--json]',
  details: `Writes runs/<id>/evaluation/report.html, one self-contained page (images embedded) with
the recommendation and its reasons, likeness per epoch and strength, the loss curve, the
contact sheet of every sample with its score, the reference photos and the exact settings,
plus runs/<id>/evaluation/contact-sheet.png, and prints the summary table. Evaluates the run
first when it has not been evaluated (or with --reevaluate). Examples:
  tack report my-lora
  tack report my-lora --run 20260301-120000 --open`,
  positionals: [{ name: 'dir', required: true, description: 'The project folder.' }],
  options: {
    run: { type: 'string', value: '<id>', description: 'Run to report on (default: the newest run with samples).' },
    reevaluate: { type: 'boolean', description: 'Score the samples again before writing the report.' },
    open: { type: 'boolean', description: 'Open the report in the default browser (xdg-open / open).' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const dir = path.resolve(ctx.cwd, positionals[0] as string);
    const project = await loadProject(dir, { tokenize: false });
    const runId = stringOption(values, 'run');
    const run = await readEvalRun(project.paths, runId);
    let evaluation: Evaluation | undefined;
    if (!values.reevaluate) evaluation = await readEvaluation(run.evaluationDir, run.id).catch(() => undefined);
    if (!evaluation) {
      const photos = ctx.progress('Reading the subject\'s faces');
      const samples = ctx.progress('Scoring samples');
      try {
        evaluation = await evaluateRun(project, { runId: run.id, env: ctx.env, signal: ctx.signal, onProgress: (phase, e) => (phase === 'photos' ? photos(e) : samples(e)) });
      } finally {
        photos.finish();
        samples.finish();
      }
    }
    const report = await writeRunReport(evaluation, run.evaluationDir, { signal: ctx.signal });
    if (values.open) openInDefaultApp(report.html);
    if (ctx.json) {
      ctx.printJson({ kind: 'report', run: run.id, html: report.html, contactSheet: report.contactSheet, recommendation: evaluation.recommendation });
      return;
    }
    printEvaluationSummary(ctx, evaluation);
    ctx.print();
    ctx.print(`Report:        ${report.html}`);
    ctx.print(`Contact sheet: ${report.contactSheet}`);
  },
};

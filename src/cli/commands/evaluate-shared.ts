/** Terminal rendering shared by tack evaluate, sweep and report. */
import path from 'node:path';
import { rowLabel, sheetRows, type Evaluation } from '../../evaluate/index.js';
import type { CommandContext } from '../command.js';
import { formatTable, printFindings } from '../render.js';

/** A likeness or similarity as shown in tables: two decimals, '-' when there is none. */
export const f2 = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(2));

export function printEvaluationSummary(ctx: CommandContext, evaluation: Evaluation): void {
  const rec = evaluation.recommendation;
  ctx.print(`Run ${evaluation.run.id} (${evaluation.run.status}): ${evaluation.samples.length} images scored against ${evaluation.reference.usablePhotos} reference photos.`);
  const one = evaluation.reference.selfSimilaritySource === 'photos' ? 'as alike as a new photo of the subject (measured on your photos)' : 'as alike as two photos of one person usually are (one shot only)';
  ctx.print(`Likeness: 1.00 = ${one} (similarity ${f2(evaluation.reference.selfSimilarity)}), 0 = a different person (${f2(evaluation.reference.strangerSimilarity)}); face model ${evaluation.faceModel.name ?? evaluation.faceModel.id}.`);
  ctx.print();
  const rows = sheetRows(evaluation).map((c) => {
    const mark = c.epoch === rec.epoch && (rec.strengthMeasured ? c.source !== 'training' && c.strength === rec.strength : c.source === 'training') ? '>' : ' ';
    return [`${mark} ${rowLabel(c)}`, c.samples, c.withFace, c.noFace, c.copies, f2(c.meanLikeness), `${f2(c.effectiveLikeness)} ±${f2(c.uncertainty ?? c.standardError)}`];
  });
  ctx.print(formatTable(['  images', 'samples', 'faces', 'no face', 'copies', 'likeness', 'effective'], rows));
  ctx.print();
  ctx.print(rec.summary);
  if (rec.checkpoint) ctx.print(`  LoRA file: ${rec.checkpoint}`);
  for (const r of rec.reasons) ctx.print(`  - ${r}`);
  if (rec.advice.length) {
    ctx.print();
    ctx.print('What to try:');
    for (const a of rec.advice) ctx.print(`  - ${a}`);
  }
  const notable = evaluation.findings.filter((f) => f.severity !== 'info');
  if (notable.length) {
    ctx.print();
    printFindings(ctx, notable);
  }
}

export function evaluationPath(evaluation: Evaluation, file: string): string {
  return path.join(evaluation.run.dir, 'evaluation', file);
}

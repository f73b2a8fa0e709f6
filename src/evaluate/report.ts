/**
 * `tack report`: one self-contained HTML page per run (runs/<id>/evaluation/report.html:
 * recommendation in words, likeness per epoch and strength, loss curve, the contact sheet with
 * every sample labelled, the reference photos and the exact settings) and a contact sheet PNG
 * next to it. Images are embedded as data URIs, so the page can be mailed or archived alone.
 */
import path from 'node:path';
import { readJson, writeFileAtomic } from '../core/index.js';
import { makeThumbnail, renderContactSheet, type SheetCell } from '../io/index.js';
import type { CellStats } from './aggregate.js';
import { renderLineChart, type ChartSeries } from './charts.js';
import { evalErrors } from './errors.js';
import { EVALUATION_FILE, type Evaluation } from './evaluate-run.js';
import type { SampleScore } from './score.js';

export interface ReportResult {
  readonly html: string;
  readonly contactSheet: string;
}

const esc = (s: unknown) => String(s).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] as string);
const f2 = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(2));
const COLORS = ['#2e86de', '#8e44ad', '#16a085', '#d35400', '#2c3e50', '#c0392b'];

export async function readEvaluation(evaluationDir: string, runId: string): Promise<Evaluation> {
  const evaluation = await readJson<Evaluation | null>(path.join(evaluationDir, EVALUATION_FILE), null);
  if (!evaluation) {
    throw evalErrors.create('EVAL_NOT_EVALUATED', `Run ${runId} has not been evaluated yet (${path.join(evaluationDir, EVALUATION_FILE)} is missing).`, `Run: tack evaluate <project> --run ${runId}`, { details: { run: runId } });
  }
  return evaluation;
}

/** Rows of the contact sheet: one per (source, epoch, strength), training samples first. */
export function sheetRows(evaluation: Evaluation): CellStats[] {
  return [...evaluation.cells].sort((a, b) => Number(a.source !== 'training') - Number(b.source !== 'training') || a.source.localeCompare(b.source) || a.epoch - b.epoch || a.strength - b.strength);
}

export function rowLabel(cell: CellStats): string {
  const epoch = cell.epoch === 0 ? 'before training' : `epoch ${cell.epoch}`;
  return cell.source === 'training' ? epoch : `${epoch} @ ${cell.strength} (${cell.source})`;
}

function badgeFor(score: SampleScore, threshold: number): { text: string; color: string } {
  if (score.copy) return { text: `copy of ${path.basename(score.copy.photo)}`.slice(0, 24), color: '#8e44ad' };
  if (score.status === 'no-face') return { text: 'no face', color: '#7f8c8d' };
  const l = score.likeness as number;
  const text = `${l.toFixed(2)}${score.faces > 1 ? ` (${score.faces} faces)` : ''}`;
  return { text, color: l >= threshold ? '#1f8a45' : l >= threshold / 2 ? '#d68910' : '#c0392b' };
}

function shortPrompt(prompt: string, token: string): string {
  return prompt
    .replace(/score_\d(_up)?,?\s*/g, '')
    .replace(/\bBREAK\b,?\s*/g, '')
    .replace(new RegExp(`\\b${token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b,?\\s*`, 'i'), '')
    .split(',')
    .slice(0, 3)
    .join(',')
    .trim();
}

function likenessChart(evaluation: Evaluation): string {
  const groups = new Map<string, CellStats[]>();
  for (const c of evaluation.cells) {
    const key = c.source === 'training' ? 'engine samples' : `${c.source} @ ${c.strength}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const rec = evaluation.recommendation;
  const series: ChartSeries[] = [...groups.entries()].map(([name, cells], i) => ({
    name,
    color: COLORS[i % COLORS.length] as string,
    points: cells.map((c) => {
      const isBest = c.epoch === rec.epoch && (c.source === 'training' ? !rec.strengthMeasured && c.strength === 1 : c.strength === rec.strength && rec.strengthMeasured);
      const marker = isBest ? ('best' as const) : c.copies > 0 ? ('copy' as const) : c.noFace / c.samples > 0.5 ? ('no-face' as const) : undefined;
      return { x: c.epoch, y: c.effectiveLikeness, ...(marker ? { marker } : {}) };
    }),
  }));
  return renderLineChart({
    id: 'likeness-chart',
    title: 'Likeness per epoch (1 = as alike as your photos, 0 = a stranger)',
    xLabel: 'epoch',
    yLabel: 'effective likeness',
    series,
    integerX: true,
    guides: [{ y: evaluation.settings.likenessThreshold, label: `threshold ${evaluation.settings.likenessThreshold}` }],
  });
}

function lossChart(evaluation: Evaluation): string {
  if (evaluation.loss.length < 2) return '<p class="muted" id="loss-chart-missing">No loss values in the run\'s metrics or log.</p>';
  const step = Math.max(1, Math.ceil(evaluation.loss.length / 600));
  const points = evaluation.loss.filter((_, i) => i % step === 0 || i === evaluation.loss.length - 1).map((p) => ({ x: p.step, y: p.loss }));
  const boundaries = new Map<number, number>();
  for (const p of evaluation.loss) if (p.epoch !== undefined && !boundaries.has(p.epoch)) boundaries.set(p.epoch, p.step);
  return renderLineChart({
    id: 'loss-chart',
    title: 'Training loss (average loss reported by the engine)',
    xLabel: 'step',
    yLabel: 'loss',
    series: [{ name: 'avr_loss', color: '#2e86de', points }],
    verticals: [...boundaries.entries()].filter(([e]) => e > 1).map(([e, s]) => ({ x: s, label: `epoch ${e}` })),
  });
}

export async function writeRunReport(evaluation: Evaluation, evaluationDir: string, options: { readonly signal?: AbortSignal } = {}): Promise<ReportResult> {
  const root = evaluation.project.root;
  const abs = (f: string) => (path.isAbsolute(f) ? f : path.join(root, f));
  const rows = sheetRows(evaluation);
  const promptIndexes = [...new Set(evaluation.samples.map((s) => s.promptIndex))].sort((a, b) => a - b);
  const byCell = new Map<string, SampleScore>();
  for (const s of evaluation.samples) byCell.set(`${s.source}|${s.epoch}|${s.strength}|${s.promptIndex}`, s);
  const threshold = evaluation.settings.likenessThreshold;
  const rec = evaluation.recommendation;
  const isRecommendedRow = (c: CellStats) => c.epoch === rec.epoch && (rec.strengthMeasured ? c.source !== 'training' && c.strength === rec.strength : c.source === 'training');
  const columnLabels = promptIndexes.map((i) => `#${i} ${shortPrompt(evaluation.prompts[i]?.prompt ?? '', evaluation.project.token)}`);

  // Contact sheet PNG.
  const sheetCells: SheetCell[][] = rows.map((row) =>
    promptIndexes.map((p) => {
      const s = byCell.get(`${row.source}|${row.epoch}|${row.strength}|${p}`);
      if (!s) return {};
      const badge = badgeFor(s, threshold);
      return { file: abs(s.file), badge: badge.text, badgeColor: badge.color };
    }),
  );
  const sheet = await renderContactSheet({
    title: `${evaluation.project.name} - run ${evaluation.run.id}`,
    subtitle: rec.summary,
    rowLabels: rows.map(rowLabel),
    columnLabels,
    cells: sheetCells,
    highlightRows: rows.map((r, i) => (isRecommendedRow(r) ? i : -1)).filter((i) => i >= 0),
  });
  const sheetFile = path.join(evaluationDir, 'contact-sheet.png');
  await writeFileAtomic(sheetFile, sheet);

  // HTML contact sheet with embedded thumbnails.
  const gridRows: string[] = [];
  for (const row of rows) {
    options.signal?.throwIfAborted();
    const tds: string[] = [];
    for (const p of promptIndexes) {
      const s = byCell.get(`${row.source}|${row.epoch}|${row.strength}|${p}`);
      if (!s) {
        tds.push('<td class="empty">not rendered</td>');
        continue;
      }
      const thumb = (await makeThumbnail(abs(s.file), 200, 334, 78)).toString('base64');
      const badge = badgeFor(s, threshold);
      const title = `${s.file}\nsimilarity ${f2(s.similarity)}, likeness ${f2(s.likeness)}${s.nearestPhoto ? `\nclosest photo ${s.nearestPhoto.file} (${f2(s.nearestPhoto.similarity)})` : ''}`;
      tds.push(`<td><img class="thumb" alt="${esc(path.basename(s.file))}" title="${esc(title)}" src="data:image/jpeg;base64,${thumb}"><div class="badge" style="background:${badge.color}">${esc(badge.text)}</div></td>`);
    }
    gridRows.push(`<tr class="${isRecommendedRow(row) ? 'recommended' : ''}"><th>${esc(rowLabel(row))}<br><span class="muted">likeness ${f2(row.effectiveLikeness)}</span></th>${tds.join('')}</tr>`);
  }

  const cellTable = rows
    .map(
      (c) =>
        `<tr class="${isRecommendedRow(c) ? 'recommended' : ''}"><td>${esc(rowLabel(c))}</td><td>${c.samples}</td><td>${c.withFace}</td><td>${c.noFace}</td><td>${c.severalFaces}</td><td>${c.copies}</td><td>${f2(c.meanSimilarity)}</td><td>${f2(c.meanLikeness)}</td><td><b>${f2(c.effectiveLikeness)}</b> ± ${f2(c.uncertainty ?? c.standardError)}</td></tr>`,
    )
    .join('');
  const photos = evaluation.reference.photos
    .map((p) => `<tr><td>${esc(p.file)}</td><td>${esc(p.status)}</td><td>${p.faces}</td><td>${f2(p.similarityToOthers)}</td></tr>`)
    .join('');
  const prompts = evaluation.prompts
    .map((p, i) => `<tr><td>#${i}</td><td class="mono">${esc(p.prompt)}</td><td class="mono">${esc(p.negative ?? '')}</td><td>${p.width ?? ''}x${p.height ?? ''}</td><td>${p.seed ?? ''}</td><td>${p.steps ?? ''}</td><td>${p.cfg ?? ''}</td><td>${esc(p.sampler ?? '')}</td></tr>`)
    .join('');
  const findings = evaluation.findings.map((f) => `<li class="${esc(f.severity)}">${f.subject ? `<b>${esc(f.subject)}</b>: ` : ''}${esc(f.message)}${f.fix ? ` <i>${esc(f.fix)}</i>` : ''}</li>`).join('');
  const checkpoint = rec.checkpoint ? `<p>LoRA file: <code>${esc(rec.checkpoint)}</code></p>` : '';

  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(evaluation.project.name)} - run ${esc(evaluation.run.id)} - tack report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1b1b1b;background:#fafafa;max-width:1500px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.muted{color:#777;font-size:12px}.mono{font-family:ui-monospace,Menlo,monospace;font-size:12px}
#recommendation{background:#fff;border-left:6px solid ${rec.kind === 'good' ? '#1f8a45' : '#d68910'};padding:12px 18px;margin:16px 0;box-shadow:0 1px 3px #0001}
#recommendation .summary{font-size:20px;font-weight:600;margin:4px 0 8px}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #e2e2e2;padding:4px 8px;text-align:left;vertical-align:top;font-size:13px}
#contact-sheet td{padding:4px;text-align:center}#contact-sheet img.thumb{display:block;max-width:200px;max-height:334px;margin:auto}
.badge{color:#fff;font-weight:600;font-size:12px;border-radius:4px;margin-top:3px;padding:2px 4px}
tr.recommended th,tr.recommended td{background:#e8f6ec}td.empty{color:#999;font-size:12px}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{background:#fff;box-shadow:0 1px 3px #0001}
li.warning{color:#8a5a00}li.error{color:#a00}
</style></head><body>
<h1>${esc(evaluation.project.name)} · run ${esc(evaluation.run.id)}</h1>
<div class="muted">Evaluated ${esc(evaluation.evaluatedAt)} · run status ${esc(evaluation.run.status)} · trigger <code>${esc(evaluation.project.token)}</code> (${esc(evaluation.project.class)}) · face model ${esc(evaluation.faceModel.description)}</div>
<section id="recommendation"><div class="muted">Recommendation</div><div class="summary">${esc(rec.summary)}</div>${checkpoint}
<ul class="reasons">${rec.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>
${rec.advice.length ? `<div class="muted">What to try</div><ul class="advice">${rec.advice.map((a) => `<li>${esc(a)}</li>`).join('')}</ul>` : ''}</section>
<h2>Charts</h2><div class="charts">${likenessChart(evaluation)}${lossChart(evaluation)}</div>
<h2>Contact sheet</h2><p class="muted">Each badge is the sample's likeness (1.00 = as alike as your own photos, 0 = a stranger; green at or above the threshold ${threshold}). "no face": the face model found none; "copy": the sample reproduces a training photo. The same grid as a PNG: <a href="contact-sheet.png">contact-sheet.png</a>.</p>
<table id="contact-sheet"><thead><tr><th></th>${columnLabels.map((l) => `<th>${esc(l)}</th>`).join('')}</tr></thead><tbody>${gridRows.join('')}</tbody></table>
<h2>Scores per epoch</h2><table id="cells"><thead><tr><th>images</th><th>samples</th><th>with face</th><th>no face</th><th>several faces</th><th>copies</th><th>similarity</th><th>likeness (faces)</th><th>effective likeness</th></tr></thead><tbody>${cellTable}</tbody></table>
<h2>Subject reference</h2><p>${evaluation.reference.usablePhotos} photos with a usable face (${evaluation.reference.distinctShots} distinct shots). Likeness 1 = similarity ${f2(evaluation.reference.selfSimilarity)}, ${evaluation.reference.selfSimilaritySource === 'photos' ? 'how alike a new photo of the subject is, measured on your own photos' : 'the face model\'s measured value for two photos of one person (your photos are all one shot)'}; likeness 0 = similarity ${f2(evaluation.reference.strangerSimilarity)}, a different person (the face model's measured value, ${esc(evaluation.faceModel.calibration ?? '')}). Face model: ${esc(evaluation.faceModel.description)}. Copy threshold: face similarity ${evaluation.settings.copyThreshold} to one photo.</p>
<table id="reference"><thead><tr><th>photo</th><th>status</th><th>faces</th><th>similarity to the others</th></tr></thead><tbody>${photos}</tbody></table>
${findings ? `<h2>Notes</h2><ul>${findings}</ul>` : ''}
<h2>Exact settings</h2><p>Base model <code>${esc(evaluation.run.baseModel ?? 'unknown')}</code> · preset ${esc(evaluation.run.preset ?? 'unknown')} · ${evaluation.run.totalSteps ?? '?'} steps · LoRA files: ${evaluation.run.checkpoints.map((c) => `<code>${esc(path.basename(c.file))}</code> (epoch ${c.epoch})`).join(', ') || 'none'}</p>
<table id="prompts"><thead><tr><th></th><th>prompt</th><th>negative</th><th>size</th><th>seed</th><th>steps</th><th>CFG</th><th>sampler</th></tr></thead><tbody>${prompts}</tbody></table>
<p class="muted">Written by tack. Drop any sample PNG into A1111/Forge "PNG Info" to reproduce it (tack writes the settings into the image).</p>
</body></html>
`;
  const htmlFile = path.join(evaluationDir, 'report.html');
  await writeFileAtomic(htmlFile, html);
  return { html: htmlFile, contactSheet: sheetFile };
}

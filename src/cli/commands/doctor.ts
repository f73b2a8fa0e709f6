import path from 'node:path';
import { formatDuration, type Finding } from '../../core/index.js';
import { formatSize } from '../../dataset/index.js';
import { runDoctor, type DoctorReport } from '../../pipeline/index.js';
import { loadProject } from '../../project/index.js';
import type { CommandContext, CommandSpec } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatFinding, formatTable } from '../render.js';

/** Infos that repeat on many photos are printed once with the list of photos. */
function printPhotoFindings(ctx: CommandContext, report: DoctorReport): void {
  const all = report.photos.flatMap((p) => p.findings);
  const infoGroups = new Map<string, Finding[]>();
  for (const f of all.filter((x) => x.severity === 'info')) infoGroups.set(f.code, [...(infoGroups.get(f.code) ?? []), f]);
  const order = { error: 0, warning: 1, info: 2 } as const;
  const singles = all.filter((f) => f.severity !== 'info' || (infoGroups.get(f.code)?.length ?? 0) <= 2).sort((a, b) => order[a.severity] - order[b.severity]);
  for (const f of singles) ctx.print(formatFinding(f));
  for (const [, group] of infoGroups) {
    if (group.length <= 2) continue;
    const files = group.map((f) => f.subject);
    const shown = files.slice(0, 6).join(', ') + (files.length > 6 ? `, and ${files.length - 6} more` : '');
    const first = group[0] as Finding;
    ctx.print(formatFinding({ ...first, subject: `${group.length} photos (${shown})` }));
  }
}

function printTable(ctx: CommandContext, report: DoctorReport): void {
  const rows = report.photos.map((p) => [
    p.file,
    p.format ?? '?',
    p.size ? formatSize(p.size) : '-',
    p.bucket ? formatSize(p.bucket.bucket) : '-',
    p.bucket?.upscaled ? `x${p.bucket.scale.toFixed(2)}` : '-',
    p.bucket ? `${Math.round(p.bucket.cropFraction * 100)}%` : '-',
    p.stats ? Math.round(p.stats.sharpness) : '-',
    p.verdict,
  ]);
  ctx.print(formatTable(['photo', 'format', 'size', 'bucket', 'upscale', 'crop', 'sharpness', 'verdict'], rows));
}

export const doctorCommand: CommandSpec = {
  name: 'doctor',
  summary: 'Check the photos, captions and settings: what would hurt the LoRA, and what to do',
  usage: 'doctor <project> [--json]',
  details: `Checks every photo (readable, EXIF rotation, format, resolution against its bucket and
upscaling, blur, exposure, black-and-white, bucket crop, exact and near duplicates), every
caption (missing, empty, not UTF-8, Pony quality tags, trigger first, class words for the
captioner) and the settings, then gives a verdict and the photos that hurt most, worst first.
Results are cached per photo content: a rerun with nothing changed is instant.
Exit code 3 when something must be fixed before training (verdict "blocked").`,
  positionals: [{ name: 'project', required: true, description: 'The project folder.' }],
  json: true,
  async run(ctx, { positionals }) {
    const dir = positionals[0] as string;
    const project = await loadProject(path.resolve(ctx.cwd, dir));
    const bar = ctx.progress('Checking');
    const report = await runDoctor(project, { signal: ctx.signal, onProgress: bar });
    bar.finish();
    const code = report.verdict === 'blocked' ? EXIT_CODES.input : EXIT_CODES.ok;
    if (ctx.json) {
      ctx.printJson(report);
      return code;
    }
    const c = report.counts;
    ctx.print(`tack doctor: ${c.photos} photos, ${c.captioned} captioned, in ${project.paths.root} (checked in ${formatDuration(report.durationMs)})`);
    ctx.print();
    ctx.print(`Verdict: ${report.verdict.toUpperCase()}. ${report.summary}`);
    if (report.worst.length) {
      ctx.print();
      ctx.print('Photos that hurt, worst first:');
      const width = Math.max(...report.worst.map((w) => w.file.length));
      for (const w of report.worst.slice(0, 15)) ctx.print(`  ${w.file.padEnd(width)}  ${w.reasons.join(', ')}`);
      if (report.worst.length > 15) ctx.print(`  ... and ${report.worst.length - 15} more (tack doctor --json lists all)`);
    }
    if (report.photos.some((p) => p.findings.length)) {
      ctx.print();
      ctx.print('Photo findings:');
      printPhotoFindings(ctx, report);
    }
    if (report.findings.length) {
      ctx.print();
      ctx.print('Dataset and settings:');
      for (const f of report.findings) ctx.print(formatFinding(f));
    }
    if (report.photos.length) {
      ctx.print();
      printTable(ctx, report);
      const plan = report.plan.recipe;
      ctx.print();
      ctx.print(`Plan: ${plan.images} usable photos x ${plan.repeats} repeats, ${plan.epochs} epochs at batch ${plan.batchSize} = ${report.plan.engine?.maxTrainSteps ?? plan.totalSteps} steps (tack plan ${dir} explains).`);
    }
    ctx.print();
    ctx.print(report.verdict === 'blocked' ? `Next: fix the ERROR lines, then run tack doctor ${dir} again.` : `Next: tack prepare ${dir}`);
    return code;
  },
};

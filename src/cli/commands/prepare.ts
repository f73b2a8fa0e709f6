import path from 'node:path';
import { prepareDataset } from '../../pipeline/index.js';
import { loadProject } from '../../project/index.js';
import type { CommandSpec } from '../command.js';
import { formatFinding } from '../render.js';

export const prepareCommand: CommandSpec = {
  name: 'prepare',
  summary: 'Write the training-ready kohya dataset (dataset/img/<repeats>_<token> <class>/)',
  usage: 'prepare <project> [--json]',
  details: `Writes every usable photo and its caption into dataset/img/<repeats>_<token> <class>/, the
layout sd-scripts reads, and dataset/manifest.json (which file came from which photo).
Photos the trainer would misread are re-encoded: EXIF rotation baked in, HEIC/TIFF/GIF/AVIF
converted, CMYK and 16-bit turned into 8-bit sRGB, transparency filled with white. The others
are copied byte for byte. Captions get the trigger first followed by a comma, no Pony quality
tags, one line; photos without a caption get "<token>, <class>". Only what changed is
rewritten; Ctrl-C and rerun is safe.`,
  positionals: [{ name: 'project', required: true, description: 'The project folder.' }],
  json: true,
  async run(ctx, { positionals }) {
    const dir = positionals[0] as string;
    const project = await loadProject(path.resolve(ctx.cwd, dir), { tokenize: false });
    const bar = ctx.progress('Preparing');
    const result = await prepareDataset(project, { signal: ctx.signal, onProgress: bar });
    bar.finish();
    if (ctx.json) {
      ctx.printJson({ kind: 'prepare', project: project.paths.root, written: result.written, unchanged: result.unchanged, removed: result.removed, excluded: result.excluded, findings: result.findings, manifest: result.manifest, plan: result.plan });
      return;
    }
    const m = result.manifest;
    const converted = m.images.filter((i) => i.transform === 'converted').length;
    ctx.print(`Dataset: ${path.join(project.paths.root, m.imageDir)}`);
    ctx.print(`  ${m.images.length} images (${converted} re-encoded so the trainer reads them upright and in colour, ${m.images.length - converted} copied unchanged)`);
    ctx.print(`  ${result.written} written, ${result.unchanged} unchanged, ${result.removed} removed`);
    const defaults = m.images.filter((i) => i.captionSource === 'default').length;
    if (defaults) ctx.print(`  ${defaults} without a caption file: captioned "${m.images.find((i) => i.captionSource === 'default')?.captionText}"`);
    const plan = result.plan;
    ctx.print(`  ${m.repeats} repeats; ${plan.recipe.epochs} epochs at batch ${plan.recipe.batchSize} = ${plan.engine?.maxTrainSteps ?? plan.recipe.totalSteps} trainer steps`);
    if (result.findings.length) {
      ctx.print();
      for (const f of result.findings) ctx.print(formatFinding(f));
    }
    ctx.print();
    ctx.print(`Next: tack train ${dir} --dry-run   (or tack export ${dir} --bundle out.zip for a rented GPU)`);
  },
};

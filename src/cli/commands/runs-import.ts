import path from 'node:path';
import { sortFindings } from '../../core/index.js';
import { loadProject } from '../../project/index.js';
import { importBundle } from '../../run/index.js';
import type { CommandSpec } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatFinding } from '../render.js';
import { printOutcome } from './train.js';

export const runsImportCommand: CommandSpec = {
  name: 'runs import',
  summary: 'Bring home a bundle trained elsewhere (Colab, a machine without ssh from here) as a run',
  usage: 'runs import <project> <bundle folder or zip> [--force] [--json]',
  details: `Takes the bundle folder that tack export --bundle wrote, after ./train.sh trained in it (or a
zip of that folder), checks with its tack-plan.json that it belongs to this project, and makes
a run folder in runs/ as a local run would have: the configs, log.txt, every checkpoint and
sample, the optimizer state, metrics.jsonl and the outcome read from the log (succeeded, failed
with the engine's reason, or interrupted when the log just stops). tack evaluate, report,
sweep and the studio then work on it. The bundle itself is not changed; the base model and
the dataset in it are not copied. A bundle is imported once (--force imports it again).
Examples:
  tack export my-lora --bundle my-lora.zip      (train it elsewhere with ./train.sh)
  tack runs import my-lora ~/Downloads/my-lora-tack-bundle.zip
  tack evaluate my-lora`,
  positionals: [
    { name: 'project', required: true, description: 'The project folder.' },
    { name: 'bundle', required: true, description: 'The trained bundle folder, or a zip of it.' },
  ],
  options: {
    force: { type: 'boolean', description: 'Import a bundle that was imported before (as another run).' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const projectArg = positionals[0] as string;
    const project = await loadProject(path.resolve(ctx.cwd, projectArg), { tokenize: false });
    const bar = ctx.progress('Importing the bundle');
    const result = await importBundle({ project, projectArg, source: path.resolve(ctx.cwd, positionals[1] as string), signal: ctx.signal, ...(values.force ? { force: true } : {}) });
    bar.finish();
    if (ctx.json) {
      ctx.printJson({ kind: 'runs-import', run: { id: result.id, dir: result.paths.dir }, files: result.files, findings: sortFindings(result.findings), outcome: result.outcome });
      return EXIT_CODES.ok;
    }
    ctx.print(`Imported ${result.files} output file(s) as run ${result.id} in ${result.paths.dir}`);
    for (const f of sortFindings(result.findings)) ctx.print(formatFinding(f));
    printOutcome(ctx, result.outcome, result.paths.dir);
    ctx.print(`Next: tack evaluate ${projectArg} --run ${result.id}`);
    return EXIT_CODES.ok;
  },
};

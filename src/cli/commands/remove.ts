import path from 'node:path';
import { removePhotos, restoreRemovedPhotos } from '../../dataset/index.js';
import { loadProject } from '../../project/index.js';
import type { CommandSpec } from '../command.js';
import { cliErrors } from '../errors.js';

export const removeCommand: CommandSpec = {
  name: 'remove',
  summary: "Take photos out of a project (kept in .tack/removed/, your originals untouched)",
  usage: 'remove <project> <photo name>... [--json] | remove <project> --undo [--json]',
  details: `Moves the project's copy of each photo, and its caption, to <project>/.tack/removed/<time>/.
Names are as tack doctor shows them (with or without the extension). --undo moves the newest
batch back. Examples:
  tack remove my-lora IMG_0012.jpg IMG_0040
  tack remove my-lora --undo`,
  positionals: [
    { name: 'project', required: true, description: 'The project folder.' },
    { name: 'photos', variadic: true, description: 'Photo names in the project.' },
  ],
  options: {
    undo: { type: 'boolean', description: 'Put back the photos (and captions) of the newest tack remove.' },
  },
  json: true,
  async run(ctx, { positionals, values }) {
    const [dir, ...names] = positionals as [string, ...string[]];
    const project = await loadProject(path.resolve(ctx.cwd, dir), { tokenize: false });
    if (values.undo) {
      const result = await restoreRemovedPhotos(project.paths);
      if (ctx.json) return ctx.printJson({ kind: 'remove-undo', project: project.paths.root, ...result });
      for (const r of result.restored) ctx.print(`Restored ${r.file}`);
      for (const s of result.skipped) ctx.print(`Left ${s.file} in ${result.batch}: ${s.reason}`);
      return;
    }
    if (names.length === 0) throw cliErrors.create('CLI_MISSING_ARGUMENT', 'tack remove needs the names of the photos to take out (or --undo).', `Example: tack remove ${dir} IMG_0012.jpg`);
    const result = await removePhotos(project.paths, names);
    if (ctx.json) {
      ctx.printJson({ kind: 'remove', project: project.paths.root, ...result });
      return;
    }
    for (const r of result.removed) ctx.print(`Removed ${r.file} (kept in ${path.relative(ctx.cwd, path.dirname(r.movedTo))})`);
    for (const n of result.notFound) ctx.print(`No photo named "${n}"`);
  },
};

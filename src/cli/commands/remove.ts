import path from 'node:path';
import { removePhotos } from '../../dataset/index.js';
import { loadProject } from '../../project/index.js';
import type { CommandSpec } from '../command.js';

export const removeCommand: CommandSpec = {
  name: 'remove',
  summary: "Take photos out of a project (kept in .tack/removed/, your originals untouched)",
  usage: 'remove <project> <photo name>... [--json]',
  details: `Moves the project's copy of each photo, and its caption, to <project>/.tack/removed/<time>/.
Names are as tack doctor shows them (with or without the extension).
Example: tack remove my-lora IMG_0012.jpg IMG_0040`,
  positionals: [
    { name: 'project', required: true, description: 'The project folder.' },
    { name: 'photos', required: true, variadic: true, description: 'Photo names in the project.' },
  ],
  json: true,
  async run(ctx, { positionals }) {
    const [dir, ...names] = positionals as [string, ...string[]];
    const project = await loadProject(path.resolve(ctx.cwd, dir), { tokenize: false });
    const result = await removePhotos(project.paths, names);
    if (ctx.json) {
      ctx.printJson({ kind: 'remove', project: project.paths.root, ...result });
      return;
    }
    for (const r of result.removed) ctx.print(`Removed ${r.file} (kept in ${path.relative(ctx.cwd, path.dirname(r.movedTo))})`);
    for (const n of result.notFound) ctx.print(`No photo named "${n}"`);
  },
};

import path from 'node:path';
import { importPhotos } from '../../dataset/index.js';
import { loadProject } from '../../project/index.js';
import type { CommandSpec } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';

export const addCommand: CommandSpec = {
  name: 'add',
  summary: 'Import photos (files or folders) into a project, unchanged',
  usage: 'add <project> <photo or folder>... [--json]',
  details: `Copies each photo into <project>/photos/ byte for byte (your originals are only read).
Folders are searched recursively. JPEG, PNG, WebP, AVIF, TIFF, BMP, GIF and iPhone HEIC/HEIF are
recognised by content, not by extension. A photo already in the project (same content) is
skipped; names are kept (made unique when two photos share a name). Caption files next to the
photos (<name>.txt or <name>.caption) are imported too. A bad file is reported and skipped; the
rest of the batch goes on.
Example: tack add my-lora ~/Pictures/ana/*.jpg ~/Downloads/more/`,
  positionals: [
    { name: 'project', required: true, description: 'The project folder (made by tack init).' },
    { name: 'photos', required: true, variadic: true, description: 'Photo files and/or folders.' },
  ],
  json: true,
  async run(ctx, { positionals }) {
    const [dir, ...inputs] = positionals as [string, ...string[]];
    const project = await loadProject(path.resolve(ctx.cwd, dir), { tokenize: false });
    const bar = ctx.progress('Importing');
    const result = await importPhotos(project.paths, inputs.map((i) => path.resolve(ctx.cwd, i)), { signal: ctx.signal, onProgress: bar });
    bar.finish();
    const nothingAdded = result.added.length === 0 && result.skipped.length === 0;
    const code = result.failed.length > 0 && nothingAdded ? EXIT_CODES.input : EXIT_CODES.ok;
    if (ctx.json) {
      ctx.printJson({ kind: 'add', project: project.paths.root, ...result });
      return code;
    }
    ctx.print(`Added ${result.added.length} photo${result.added.length === 1 ? '' : 's'} to ${path.relative(ctx.cwd, project.paths.photosDir) || project.paths.photosDir}.`);
    for (const a of result.added.filter((x) => x.renamed)) ctx.print(`  ${path.basename(a.source)} -> ${a.file} (name already taken)`);
    const captions = result.added.filter((a) => a.captionImported).length;
    if (captions) ctx.print(`Imported ${captions} caption file${captions === 1 ? '' : 's'} found next to the photos.`);
    if (result.skipped.length) {
      ctx.print(`Skipped ${result.skipped.length} already in the project (same content):`);
      for (const s of result.skipped.slice(0, 10)) ctx.print(`  ${path.basename(s.source)} = ${s.sameAs}`);
      if (result.skipped.length > 10) ctx.print(`  ... and ${result.skipped.length - 10} more`);
    }
    if (result.failed.length) {
      ctx.print(`Could not add ${result.failed.length}:`);
      for (const f of result.failed) ctx.print(`  ${f.source}\n    ${f.message}\n    fix: ${f.hint}`);
    }
    if (result.ignored) ctx.print(`Ignored ${result.ignored} other file${result.ignored === 1 ? '' : 's'} in the folders (not photos).`);
    ctx.print();
    ctx.print(`Next: tack doctor ${dir}`);
    return code;
  },
};

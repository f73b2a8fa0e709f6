import path from 'node:path';
import { scoreFiles, type ScoredImage } from '../../evaluate/index.js';
import { loadProject } from '../../project/index.js';
import { numberOption, type CommandSpec } from '../command.js';
import { formatTable, printFindings } from '../render.js';
import { f2 } from './evaluate-shared.js';

function note(image: ScoredImage): string {
  if (image.copy) return image.copy.reason === 'same-picture' ? `copy of ${image.copy.photo} (same picture)` : `copy of ${image.copy.photo} (same face, ${f2(image.copy.value)})`;
  if (image.status === 'no-face') return 'no face';
  return image.faces > 1 ? `${image.faces} faces (the most alike scored)` : '';
}

export const scoreCommand: CommandSpec = {
  name: 'score',
  summary: 'Score any images for likeness to the subject: made by hand in A1111/Forge/ComfyUI or with any LoRA',
  usage: 'score <dir> <images or folders...> [--workers <n>] [--top <n>] [--json]',
  details: `Finds the face in each image and measures how much it looks like the subject's photos
in the project, on the same scale as tack evaluate (1.00 = as alike as a new photo of the
subject, 0 = a different person). Flags images that copy a training photo, and images with no
face or several faces. Images are listed best first and grouped by the LoRA and strength their
PNG settings name (A1111/Forge infotext <lora:name:weight>, ComfyUI LoraLoader nodes), so a
folder of test renders says which LoRA and strength look most like the subject. Folders are
searched recursively. Face embeddings are cached, so scoring the folder again is quick.
Examples:
  tack score my-lora ~/stable-diffusion-webui/outputs/txt2img-images/2026-03-01
  tack score my-lora renders/ other/x.png --json`,
  positionals: [
    { name: 'dir', required: true, description: 'The project folder (its photos are the subject).' },
    { name: 'images', required: true, variadic: true, description: 'Image files and/or folders.' },
  ],
  options: {
    workers: { type: 'string', value: '<n>', description: 'Face model threads (default: one per core).' },
    top: { type: 'string', value: '<n>', description: 'List only the n best images (default: all).' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const dir = path.resolve(ctx.cwd, positionals[0] as string);
    const project = await loadProject(dir, { tokenize: false });
    const workers = numberOption(values, 'workers', { integer: true, min: 1, max: 16 });
    const top = numberOption(values, 'top', { integer: true, min: 1 });
    const inputs = positionals.slice(1).map((p) => path.resolve(ctx.cwd, p));
    const photos = ctx.progress('Reading the subject\'s faces');
    const images = ctx.progress('Scoring images');
    let result;
    try {
      result = await scoreFiles(project, inputs, {
        ...(workers ? { workers } : {}),
        env: ctx.env,
        signal: ctx.signal,
        onProgress: (phase, event) => (phase === 'photos' ? photos(event) : images(event)),
      });
    } finally {
      photos.finish();
      images.finish();
    }
    if (ctx.json) {
      ctx.printJson({ kind: 'score', project: project.paths.root, ...result });
      return;
    }
    const shown = (file: string) => {
      const r = path.relative(ctx.cwd, file);
      return r.startsWith('..') ? file : r;
    };
    const ref = result.reference;
    ctx.print(`${result.images.length} images scored against ${ref.usablePhotos} photos of the subject (face model ${result.faceModel.name}).`);
    ctx.print(`Likeness: 1.00 = as alike as a new photo of the subject (similarity ${f2(ref.selfSimilarity)}), 0 = a different person (${f2(ref.strangerSimilarity)}).`);
    ctx.print();
    ctx.print('By LoRA and strength (effective: a copy or a faceless image counts 0; ± its uncertainty):');
    ctx.print(formatTable(['  LoRA', 'images', 'faces', 'no face', 'copies', 'likeness', 'effective'], result.groups.map((g) => [`  ${g.group}`, g.samples, g.withFace, g.noFace, g.copies, f2(g.meanLikeness), `${f2(g.effectiveLikeness)} ±${f2(g.uncertainty)}`])));
    ctx.print();
    const list = top ? result.images.slice(0, top) : result.images;
    ctx.print(top && top < result.images.length ? `The ${list.length} best of ${result.images.length} images:` : 'Images, best first:');
    ctx.print(formatTable(['  likeness', 'image', 'LoRA', 'note'], list.map((i) => [`  ${f2(i.likeness)}`, shown(i.path), i.group, note(i)])));
    const notable = result.findings.filter((f) => f.severity !== 'info');
    if (notable.length) {
      ctx.print();
      printFindings(ctx, notable);
    }
  },
};

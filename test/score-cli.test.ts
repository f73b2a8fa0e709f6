/**
 * tack score end to end: a folder of renders made elsewhere (A1111 PNGs with <lora:name:w> in
 * their infotext, a ComfyUI PNG with a LoraLoader node, a JPEG without settings) scored against
 * a project whose photos are two real photos of one person. The subject's unseen photo must come
 * first, a different person's portrait must score far lower, a training photo must be flagged as
 * a copy, a faceless render as "no face", and the images grouped by LoRA and strength.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { initProject } from '../src/project/index.js';
import { writePngText } from '../src/prompt/index.js';
import { FIXTURES, runTack, tempDir } from './helpers/cli.js';
import { noFaceImage } from './helpers/faces.js';

const LABELLED = path.join(FIXTURES, 'faces-labelled');
let root: string;
let renders: string;
let cleanup: () => Promise<void>;

interface ScoreJson {
  kind: string;
  faceModel: { name: string; id: string };
  images: Array<{ path: string; group: string; status: string; likeness?: number; copy?: { photo: string; reason: string }; loras: Array<{ name: string; weight: number }>; settingsSource?: string }>;
  groups: Array<{ group: string; samples: number; withFace: number; noFace: number; copies: number; effectiveLikeness: number; uncertainty: number }>;
}
let result: ScoreJson;

async function a1111Png(source: string | Buffer, lora: string, seed: number): Promise<Buffer> {
  const png = await sharp(source).resize(768, 1024, { fit: 'cover', position: 'north' }).png().toBuffer();
  const infotext = `photo of xanrms man, portrait ${lora}\nNegative prompt: blurry\nSteps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6, Seed: ${seed}, Size: 768x1024, Model: ponyRealism`;
  return writePngText(png, { parameters: infotext });
}

before(async () => {
  ({ dir: root, cleanup } = await tempDir('tack-score-'));
  await initProject(root, { token: 'xanrms', className: 'man', name: 'subject', settings: { preset: 'pony-realism', base_model: 'models/ponyRealism.safetensors' } });
  // The subject: two different photos of one man.
  await copyFile(path.join(LABELLED, 'obama-1.jpg'), path.join(root, 'photos', 'obama-1.jpg'));
  await copyFile(path.join(LABELLED, 'obama-2.jpg'), path.join(root, 'photos', 'obama-2.jpg'));
  renders = path.join(root, '..', `${path.basename(root)}-renders`);
  await mkdir(path.join(renders, 'forge'), { recursive: true });
  await mkdir(path.join(renders, 'comfy'), { recursive: true });
  await writeFile(path.join(renders, 'forge', '00001-111.png'), await a1111Png(path.join(LABELLED, 'obama-3.jpg'), '<lora:subject-000004:0.8>', 111));
  await writeFile(path.join(renders, 'forge', '00002-222.png'), await a1111Png(await sharp(path.join(LABELLED, 'obama-3.jpg')).flop().toBuffer(), '<lora:subject-000004:0.8>', 222));
  await writeFile(path.join(renders, 'forge', '00003-333.png'), await a1111Png(path.join(LABELLED, 'biden-2.jpg'), '<lora:subject-000002:1>', 333));
  await writeFile(path.join(renders, 'forge', '00004-444.png'), await a1111Png(await noFaceImage(768, 1024), '<lora:subject-000002:1>', 444));
  // A ComfyUI render that reproduces a training photo.
  const workflow = {
    '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'ponyRealism.safetensors' } },
    '10': { class_type: 'LoraLoader', inputs: { lora_name: 'subject-000004.safetensors', strength_model: 0.8, strength_clip: 0.8, model: ['4', 0], clip: ['4', 1] } },
    '3': { class_type: 'KSampler', inputs: { seed: 555, steps: 30, cfg: 6, sampler_name: 'dpmpp_2m', scheduler: 'karras', denoise: 1 } },
  };
  const copy = await sharp(path.join(LABELLED, 'obama-1.jpg')).resize(768, 1024, { fit: 'cover', position: 'north' }).png().toBuffer();
  await writeFile(path.join(renders, 'comfy', 'ComfyUI_00001_.png'), writePngText(copy, { prompt: JSON.stringify(workflow) }));
  // A JPEG without settings, and a file that is not an image (ignored in folders).
  await writeFile(path.join(renders, 'other.jpg'), await sharp(path.join(LABELLED, 'astronaut-ham-1.jpg')).jpeg().toBuffer());
  await writeFile(path.join(renders, 'notes.txt'), 'not an image');

  const run = await runTack(['score', root, renders, '--json'], { timeoutMs: 300_000 });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  result = JSON.parse(run.stdout) as ScoreJson;
});

after(async () => {
  await cleanup?.();
  const { rm } = await import('node:fs/promises');
  await rm(renders, { recursive: true, force: true });
});

test('score lists every image best first: the subject first, a different person far lower, a copy and a faceless render flagged', () => {
  assert.equal(result.kind, 'score');
  assert.equal(result.faceModel.name, 'faceres');
  assert.equal(result.images.length, 6, result.images.map((i) => i.path).join(', '));
  const by = (name: string) => result.images.find((i) => i.path.endsWith(name)) as ScoreJson['images'][number];
  assert.ok(result.images[0]?.path.includes('forge/0000') && !result.images[0]?.path.endsWith('00003-333.png'), `best: ${result.images[0]?.path}`);
  const subject = by('00001-111.png');
  const other = by('00003-333.png');
  assert.ok((subject.likeness as number) > 0.6, `the subject's unseen photo: ${subject.likeness}`);
  assert.ok((other.likeness as number) < 0.6 && (subject.likeness as number) - (other.likeness as number) > 0.3, `another man's portrait: ${other.likeness}, the subject ${subject.likeness}`);
  assert.equal(by('00004-444.png').status, 'no-face');
  assert.equal(by('ComfyUI_00001_.png').copy?.photo, 'obama-1.jpg');
  assert.equal(by('ComfyUI_00001_.png').settingsSource, 'comfyui');
  assert.equal(by('other.jpg').group, 'no settings');
  // The copy and the faceless render rank below every image with a real face.
  assert.deepEqual(result.images.slice(-2).map((i) => path.basename(i.path)).sort(), ['00004-444.png', 'ComfyUI_00001_.png']);
});

test('score groups images by the LoRA and strength in their settings (A1111 infotext and ComfyUI workflow alike)', () => {
  const groups = new Map(result.groups.map((g) => [g.group, g]));
  assert.deepEqual([...groups.keys()].sort(), ['no settings', 'subject-000002 @1', 'subject-000004 @0.8']);
  const best = groups.get('subject-000004 @0.8');
  assert.deepEqual([best?.samples, best?.withFace, best?.copies], [3, 3, 1], 'two A1111 renders and the ComfyUI copy');
  assert.deepEqual([groups.get('subject-000002 @1')?.samples, groups.get('subject-000002 @1')?.noFace], [2, 1]);
  assert.equal(result.groups[0]?.group, 'subject-000004 @0.8', 'best group first');
  assert.ok((best?.uncertainty ?? 0) > 0, 'each group carries an uncertainty');
});

test('the text output shows the groups and the images with their notes; a rerun reads the cache', async () => {
  const run = await runTack(['score', root, path.join(renders, 'forge'), path.join(renders, 'comfy', 'ComfyUI_00001_.png'), '--top', '3'], { timeoutMs: 120_000 });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /By LoRA and strength/);
  assert.match(run.stdout, /subject-000004 @0\.8/);
  assert.match(run.stdout, /The 3 best of 5 images/);
});

test('bad input names the path and says what to do', async () => {
  const missing = await runTack(['score', root, path.join(renders, 'nope')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /EVAL_INPUT_NOT_FOUND/);
  assert.match(missing.stderr, /nope/);
  const text = await runTack(['score', root, path.join(renders, 'notes.txt')]);
  assert.match(text.stderr, /EVAL_INPUT_NOT_FOUND/);
  const { dir: empty, cleanup: done } = await tempDir('tack-score-empty-');
  try {
    const none = await runTack(['score', root, empty]);
    assert.match(none.stderr, /EVAL_NO_IMAGES/);
  } finally {
    await done();
  }
});

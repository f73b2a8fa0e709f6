/**
 * Bad input through the real CLI: each bad file gets a clear finding or error naming it, the
 * rest of the batch proceeds, and nothing in the user's photo folder is ever written.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { runTack, tempDir } from './helpers/cli.js';
import { makePhoto, writeAnimatedGif, writeHeaderBombPng, writeJpeg } from './helpers/images.js';

let root: string;
let cleanup: () => Promise<void>;
let photos: string;
let project: string;
let snapshot: Map<string, string>;

async function snapshotFolder(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of (await readdir(dir)).sort()) {
    const full = path.join(dir, name);
    const s = await stat(full);
    if (s.isDirectory()) {
      for (const [k, v] of await snapshotFolder(full)) out.set(path.join(name, k), v);
    } else {
      out.set(name, `${createHash('sha256').update(await readFile(full)).digest('hex')}:${s.mtimeMs}`);
    }
  }
  return out;
}

before(async () => {
  ({ dir: root, cleanup } = await tempDir());
  photos = path.join(root, 'my photos');
  project = path.join(root, 'proj');
  await mkdir(photos);
  await writeJpeg(path.join(photos, 'good-1.jpg'), 1200, 1600, { seed: 1 });
  await writeJpeg(path.join(photos, 'Ünïcode name with spaces.jpg'), 1200, 1600, { seed: 2 });
  await writeFile(path.join(photos, 'zero.jpg'), '');
  await writeFile(path.join(photos, 'notes.jpg'), 'this is a text file, not a photo\n');
  const full = await (await makePhoto(800, 600, { seed: 3 })).jpeg().toBuffer();
  await writeFile(path.join(photos, 'truncated.jpg'), full.subarray(0, Math.floor(full.length * 0.5)));
  await (await makePhoto(900, 1200, { seed: 4 })).toColourspace('cmyk').jpeg().toFile(path.join(photos, 'cmyk.jpg'));
  await (await makePhoto(900, 1200, { seed: 5 })).toColourspace('rgb16').png().toFile(path.join(photos, 'sixteen.png'));
  await sharp({ create: { width: 1000, height: 1000, channels: 4, background: { r: 10, g: 200, b: 10, alpha: 0.5 } } }).png().toFile(path.join(photos, 'alpha.png'));
  await writeAnimatedGif(path.join(photos, 'animated.gif'));
  await writeHeaderBombPng(path.join(photos, 'bomb.png'));
  await mkdir(path.join(photos, 'empty folder'));
  await writeFile(path.join(photos, 'empty folder', 'readme.md'), 'no photos here');
  snapshot = await snapshotFolder(photos);
  const init = await runTack(['init', project, '--token', 'xanrms', '--class', 'woman']);
  assert.equal(init.code, 0, init.stderr);
});

after(async () => cleanup());

test('tack add imports the good photos, names every bad file with its reason, and goes on', async () => {
  const started = Date.now();
  const run = await runTack(['add', project, photos, path.join(photos, 'empty folder'), path.join(root, 'missing.jpg'), '--json']);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { added: Array<{ file: string }>; failed: Array<{ source: string; code: string; message: string; hint: string }> };
  const failedBy = new Map(result.failed.map((f) => [path.basename(f.source), f]));
  assert.equal(failedBy.get('zero.jpg')?.code, 'IMAGE_EMPTY');
  assert.equal(failedBy.get('notes.jpg')?.code, 'IMAGE_NOT_AN_IMAGE');
  assert.match(failedBy.get('notes.jpg')?.message ?? '', /notes\.jpg is a text file/);
  assert.equal(failedBy.get('bomb.png')?.code, 'IMAGE_TOO_LARGE');
  assert.match(failedBy.get('bomb.png')?.message ?? '', /40000x40000/);
  assert.equal(failedBy.get('missing.jpg')?.code, 'DATASET_INPUT_NOT_FOUND');
  assert.equal(failedBy.get('empty folder')?.code, 'DATASET_NO_IMAGES');
  for (const f of result.failed) assert.ok(f.hint.length > 10, `hint for ${f.source}`);
  const added = result.added.map((a) => a.file).sort();
  assert.deepEqual(added, ['alpha.png', 'animated.gif', 'cmyk.jpg', 'good-1.jpg', 'sixteen.png', 'truncated.jpg', 'Ünïcode name with spaces.jpg'].sort());
  // the header bomb is refused from its header: nothing close to decoding 1.6 gigapixels happened
  assert.ok(Date.now() - started < 30_000);
});

test('the 40000x40000 header is refused in milliseconds, before decoding', async () => {
  const { probeImage } = await import('../src/io/index.js');
  const t0 = performance.now();
  await assert.rejects(probeImage(path.join(photos, 'bomb.png')), (e: unknown) => (e as { code?: string }).code === 'IMAGE_TOO_LARGE');
  assert.ok(performance.now() - t0 < 1000);
});

test('tack doctor names each problem photo with a finding and a fix', async () => {
  const run = await runTack(['doctor', project, '--json']);
  const report = JSON.parse(run.stdout) as { verdict: string; photos: Array<{ file: string; verdict: string; findings: Array<{ code: string; severity: string; message: string; fix?: string }> }> };
  assert.equal(run.code, 3, 'an unreadable photo blocks: exit code 3');
  assert.equal(report.verdict, 'blocked');
  const codes = (file: string) => report.photos.find((p) => p.file === file)?.findings.map((f) => f.code) ?? [];
  const truncated = report.photos.find((p) => p.file === 'truncated.jpg');
  assert.equal(truncated?.verdict, 'unusable');
  assert.match(truncated?.findings[0]?.message ?? '', /premature end|truncated/i);
  assert.ok(codes('cmyk.jpg').includes('DOCTOR_CMYK'));
  assert.ok(codes('sixteen.png').includes('DOCTOR_16_BIT'));
  assert.ok(codes('alpha.png').includes('DOCTOR_TRANSPARENT'));
  assert.ok(codes('animated.gif').includes('DOCTOR_ANIMATED'));
  assert.ok(codes('animated.gif').includes('DOCTOR_FORMAT_CONVERTED'));
  assert.deepEqual(codes('good-1.jpg').filter((c) => c !== 'DOCTOR_CROP'), []);
  for (const p of report.photos) for (const f of p.findings) assert.ok(f.fix, `${p.file} ${f.code} has a fix`);
  const text = await runTack(['doctor', project]);
  assert.match(text.stdout, /ERROR\s+truncated\.jpg/);
  assert.match(text.stdout, /Verdict: BLOCKED/);
});

test('tack prepare leaves the unreadable photo out and writes the others so the trainer reads them right', async () => {
  const run = await runTack(['prepare', project, '--json']);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { excluded: Array<{ file: string }>; manifest: { imageDir: string; images: Array<{ photo: string; image: string; transform: string }> } };
  assert.deepEqual(result.excluded.map((e) => e.file), ['truncated.jpg']);
  const dir = path.join(project, result.manifest.imageDir);
  const byPhoto = new Map(result.manifest.images.map((i) => [path.basename(i.photo), i]));
  assert.equal(byPhoto.get('good-1.jpg')?.transform, 'copy');
  assert.equal(byPhoto.get('Ünïcode name with spaces.jpg')?.transform, 'copy');
  for (const name of ['cmyk.jpg', 'sixteen.png', 'alpha.png', 'animated.gif']) assert.equal(byPhoto.get(name)?.transform, 'converted', name);
  const cmyk = await sharp(path.join(dir, 'cmyk.jpg')).metadata();
  assert.equal(cmyk.space, 'srgb');
  const sixteen = await sharp(path.join(dir, 'sixteen.png')).metadata();
  assert.equal(sixteen.depth, 'uchar');
  const alpha = await sharp(path.join(dir, 'alpha.png')).metadata();
  assert.equal(alpha.hasAlpha, false);
  const gif = await sharp(path.join(dir, 'animated.png')).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([gif.info.width, gif.info.height], [64, 48]);
  assert.ok((gif.data[0] as number) > 180 && (gif.data[2] as number) < 80, 'the first (red) frame');
  const files = await readdir(dir);
  assert.ok(files.includes('Ünïcode name with spaces.txt'));
  assert.equal(await readFile(path.join(dir, 'good-1.txt'), 'utf8'), 'xanrms, 1girl\n');
});

test("nothing in the user's photo folder was written", async () => {
  assert.deepEqual(await snapshotFolder(photos), snapshot);
});

test('a missing project folder and a broken tack.toml are clear errors with exit code 3', async () => {
  const missing = await runTack(['doctor', path.join(root, 'nope')]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /PROJECT_NOT_FOUND.*nope does not exist/);
  assert.match(missing.stderr, /tack init/);
  const broken = path.join(root, 'broken');
  await mkdir(broken);
  await copyFile(path.join(project, 'tack.toml'), path.join(broken, 'tack.toml'));
  const text = await readFile(path.join(broken, 'tack.toml'), 'utf8');
  await writeFile(path.join(broken, 'tack.toml'), `${text.replace('batch_size = 2', 'batch_sise = 2').replace('captioner = "wd14"', 'captioner = "blip"')}\nfoo = 1\n`);
  const run = await runTack(['doctor', broken]);
  assert.equal(run.code, 3);
  assert.match(run.stderr, /Unknown key "plan\.batch_sise".*Did you mean "batch_size"/);
  assert.match(run.stderr, /captioner must be one of "wd14", "sentence", "none"; got "blip"/);
  assert.match(run.stderr, /Unknown key "samples\.foo"/); // a key after [samples] belongs to that table
});

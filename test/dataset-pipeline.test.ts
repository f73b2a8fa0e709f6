/** Import, doctor and prepare on real small photos, through the library API. */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { TackError } from '../src/core/index.js';
import { importPhotos, listPhotos, readManifest } from '../src/dataset/index.js';
import { prepareDataset, runDoctor } from '../src/pipeline/index.js';
import { initProject, loadProject, type Project } from '../src/project/index.js';
import { REPO_ROOT, tempDir } from './helpers/cli.js';
import { makePhoto, meanColor, writeJpeg } from './helpers/images.js';

async function newProject(root: string, name = 'proj'): Promise<Project> {
  await initProject(path.join(root, name), { token: 'xanrms', className: 'woman' });
  return loadProject(path.join(root, name));
}

test('re-adding the same file is a no-op; a second photo with the same name gets a unique stem; captions come along', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const project = await newProject(dir);
  const src = path.join(dir, 'src');
  await mkdir(path.join(src, 'sub'), { recursive: true });
  await writeJpeg(path.join(src, 'a.jpg'), 640, 800, { seed: 1 });
  await writeFile(path.join(src, 'a.txt'), 'xanrms, 1girl, red dress\n');
  await (await makePhoto(640, 800, { seed: 2 })).png().toFile(path.join(src, 'sub', 'a.png'));
  await copyFile(path.join(src, 'a.jpg'), path.join(src, 'sub', 'a-again.jpg'));
  const events: number[] = [];
  const first = await importPhotos(project.paths, [src], { onProgress: (e) => events.push(e.done) });
  assert.deepEqual(first.added.map((a) => a.file).sort(), ['a-2.png', 'a.jpg']);
  assert.deepEqual(first.skipped.map((s) => [path.basename(s.source), s.reason, s.sameAs]), [['a-again.jpg', 'duplicate-in-batch', 'a.jpg']]);
  assert.equal(first.added.find((a) => a.file === 'a.jpg')?.captionImported, true);
  assert.equal(await readFile(path.join(project.paths.captionsDir, 'a.txt'), 'utf8'), 'xanrms, 1girl, red dress\n');
  assert.deepEqual(events, [1, 2, 3]);
  const bytesIn = await readFile(path.join(src, 'a.jpg'));
  assert.ok(bytesIn.equals(await readFile(path.join(project.paths.photosDir, 'a.jpg'))), 'copied byte for byte');
  const again = await importPhotos(project.paths, [path.join(src, 'a.jpg')]);
  assert.equal(again.added.length, 0);
  assert.deepEqual(again.skipped.map((s) => s.reason), ['already-in-project']);
  assert.equal((await listPhotos(project.paths)).length, 2);
});

test('photos with the same name get numbered in the order they were given, though several are copied at once', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const project = await newProject(dir);
  const folders: string[] = [];
  for (let i = 1; i <= 7; i++) {
    const folder = path.join(dir, 'src', `day-${i}`);
    await mkdir(folder, { recursive: true });
    // Larger photos first, so a later one can finish copying before an earlier one.
    await writeJpeg(path.join(folder, 'IMG_0001.jpg'), 1600 - i * 150, 1200, { seed: 40 + i });
    folders.push(folder);
  }
  await copyFile(path.join(folders[2]!, 'IMG_0001.jpg'), path.join(folders[5]!, 'IMG_0001 copy.jpg'));
  const result = await importPhotos(project.paths, folders);
  assert.deepEqual(
    result.added.map((a) => [path.relative(path.join(dir, 'src'), a.source), a.file]),
    [1, 2, 3, 4, 5, 6, 7].map((i) => [path.join(`day-${i}`, 'IMG_0001.jpg'), i === 1 ? 'IMG_0001.jpg' : `IMG_0001-${i}.jpg`]),
  );
  assert.deepEqual(result.skipped.map((s) => [path.basename(s.source), s.sameAs]), [['IMG_0001 copy.jpg', 'IMG_0001-3.jpg']]);
  for (const [i, folder] of folders.entries()) {
    const name = i === 0 ? 'IMG_0001.jpg' : `IMG_0001-${i + 1}.jpg`;
    assert.ok((await readFile(path.join(folder, 'IMG_0001.jpg'))).equals(await readFile(path.join(project.paths.photosDir, name))), `${name} holds the photo from day-${i + 1}`);
  }
});

test('doctor finds rotation, blur, near-duplicates, darkness, black-and-white, crop and low resolution, and caches by content', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const project = await newProject(dir);
  const src = path.join(dir, 'src');
  await mkdir(src);
  await writeJpeg(path.join(src, 'sharp.jpg'), 1200, 1600, { seed: 11 });
  await writeJpeg(path.join(src, 'rotated.jpg'), 1600, 1200, { seed: 12, orientation: 6 });
  await sharp(path.join(src, 'sharp.jpg')).resize(900).jpeg({ quality: 60 }).toFile(path.join(src, 'sharp-copy.jpg'));
  await (await makePhoto(1200, 1600, { seed: 13 })).blur(5).jpeg().toFile(path.join(src, 'blurry.jpg'));
  await (await makePhoto(1200, 1600, { seed: 14 })).linear(0.15, 0).jpeg().toFile(path.join(src, 'dark.jpg'));
  await (await makePhoto(1200, 1600, { seed: 15 })).greyscale().jpeg().toFile(path.join(src, 'bw.jpg'));
  await writeJpeg(path.join(src, 'panorama.jpg'), 4000, 300, { seed: 16 });
  await writeJpeg(path.join(src, 'small.jpg'), 400, 300, { seed: 17 });
  await importPhotos(project.paths, [src]);
  const report = await runDoctor(project);
  const codes = (file: string) => report.photos.find((p) => p.file === file)?.findings.map((f) => f.code) ?? [];
  assert.ok(codes('rotated.jpg').includes('DOCTOR_EXIF_ROTATED'));
  assert.deepEqual(report.photos.find((p) => p.file === 'rotated.jpg')?.size, [1200, 1600]);
  assert.ok(codes('blurry.jpg').includes('DOCTOR_BLURRY'));
  assert.deepEqual(codes('sharp.jpg').filter((c) => c === 'DOCTOR_BLURRY' || c === 'DOCTOR_SOFT'), []);
  assert.deepEqual(report.duplicates.map((g) => [g.kind, [...g.files].sort(), g.keep]), [['near', ['sharp-copy.jpg', 'sharp.jpg'], 'sharp.jpg']]);
  assert.ok(codes('sharp-copy.jpg').includes('DOCTOR_NEAR_DUPLICATE'));
  assert.deepEqual(codes('dark.jpg'), ['DOCTOR_DARK'], 'dark but sharp: not called blurry');
  assert.ok(codes('bw.jpg').includes('DOCTOR_GRAYSCALE'));
  assert.ok(codes('panorama.jpg').includes('DOCTOR_HEAVY_CROP'));
  const small = report.photos.find((p) => p.file === 'small.jpg');
  assert.ok(small?.findings.some((f) => f.code === 'DOCTOR_LOW_RESOLUTION' && /enlarges it 2\.\d\dx/.test(f.message)));
  assert.equal(report.worst[0]?.file, 'blurry.jpg');
  assert.equal(report.verdict, 'usable');
  assert.ok(report.findings.some((f) => f.code === 'DOCTOR_FEW_PHOTOS'));

  // The rerun reads the cache: a tampered cache entry shows through; changed content is re-measured.
  const sharpRecord = (await listPhotos(project.paths)).find((p) => p.file === 'sharp.jpg');
  const cacheFile = path.join(project.paths.doctorCacheDir, `${sharpRecord?.sha256}.json`);
  const cached = JSON.parse(await readFile(cacheFile, 'utf8'));
  cached.stats.sharpness = 3;
  await writeFile(cacheFile, JSON.stringify(cached));
  const rerun = await runDoctor(project);
  assert.ok(rerun.photos.find((p) => p.file === 'sharp.jpg')?.findings.some((f) => f.code === 'DOCTOR_BLURRY'));
  await writeJpeg(path.join(project.paths.photosDir, 'sharp.jpg'), 1200, 1600, { seed: 99 });
  const changed = await runDoctor(project);
  assert.ok(!changed.photos.find((p) => p.file === 'sharp.jpg')?.findings.some((f) => f.code === 'DOCTOR_BLURRY'));
});

test('prepare writes upright, engine-readable images with rule-following captions, incrementally', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const project = await newProject(dir);
  const src = path.join(dir, 'src');
  await mkdir(src);
  await writeJpeg(path.join(src, 'phone.jpg'), 1600, 1200, { seed: 21, orientation: 6 });
  await writeJpeg(path.join(src, 'plain.jpg'), 1200, 1600, { seed: 22 });
  await copyFile(path.join(REPO_ROOT, 'assets', 'demo', 'IMG_2044.heic'), path.join(src, 'iphone.HEIC'));
  await writeFile(path.join(src, 'plain.txt'), 'score_9, 1girl, xanrms woman, smiling\n');
  await importPhotos(project.paths, [src]);
  const first = await prepareDataset(project);
  assert.equal(first.manifest.repeats, 300, '3 photos -> 900 / 3');
  const folder = path.join(project.paths.datasetImgDir, '300_xanrms woman');
  assert.deepEqual((await readdir(folder)).sort(), ['iphone.jpg', 'iphone.txt', 'phone.jpg', 'phone.txt', 'plain.jpg', 'plain.txt']);
  // The phone photo is stored 1600x1200 with orientation 6: written upright, without the flag.
  const phone = await sharp(path.join(folder, 'phone.jpg')).metadata();
  assert.deepEqual([phone.width, phone.height, phone.orientation ?? 1], [1200, 1600, 1]);
  const region = { left: 300, top: 600, width: 100, height: 100 };
  const expected = await meanColor(path.join(project.paths.photosDir, 'phone.jpg'), region);
  const actual = await meanColor(path.join(folder, 'phone.jpg'), region);
  expected.forEach((v, i) => assert.ok(Math.abs(v - (actual[i] as number)) <= 3, `pixel ${i}: ${v} vs ${actual[i]}`));
  const heic = await sharp(path.join(folder, 'iphone.jpg')).metadata();
  assert.deepEqual([heic.format, heic.width, heic.height], ['jpeg', 1008, 1344]);
  assert.ok((await readFile(path.join(folder, 'plain.jpg'))).equals(await readFile(path.join(src, 'plain.jpg'))), 'an upright JPEG is copied unchanged');
  assert.equal(await readFile(path.join(folder, 'plain.txt'), 'utf8'), 'xanrms, 1girl, woman, smiling\n');
  assert.equal(await readFile(path.join(folder, 'phone.txt'), 'utf8'), 'xanrms, 1girl\n');
  assert.ok(first.findings.some((f) => f.code === 'PREPARE_CAPTION_FIXED' && /score_9/.test(f.message)));

  const second = await prepareDataset(project);
  assert.deepEqual([second.written, second.unchanged, second.removed], [0, 3, 0]);

  // A latent cache of a photo whose pixels change is removed with it.
  await writeFile(path.join(folder, 'plain_1200x1600_sdxl.npz'), 'cache');
  await writeFile(path.join(folder, 'phone_1200x1600_sdxl.npz'), 'cache');
  await writeJpeg(path.join(project.paths.photosDir, 'plain.jpg'), 1200, 1600, { seed: 23 });
  const third = await prepareDataset(project);
  assert.deepEqual([third.written, third.unchanged], [1, 2]);
  const names = await readdir(folder);
  assert.ok(!names.includes('plain_1200x1600_sdxl.npz'));
  assert.ok(names.includes('phone_1200x1600_sdxl.npz'));

  // More photos change the repeats: the folder is renamed, unchanged images are not rewritten.
  const phoneMtime = (await stat(path.join(folder, 'phone.jpg'))).mtimeMs;
  await writeJpeg(path.join(src, 'extra.jpg'), 1200, 1600, { seed: 24 });
  await importPhotos(project.paths, [path.join(src, 'extra.jpg')]);
  const fourth = await prepareDataset(project);
  const renamed = path.join(project.paths.datasetImgDir, '225_xanrms woman');
  assert.deepEqual(await readdir(project.paths.datasetImgDir), ['225_xanrms woman']);
  assert.equal((await stat(path.join(renamed, 'phone.jpg'))).mtimeMs, phoneMtime);
  assert.equal(fourth.manifest.imageDir, 'dataset/img/225_xanrms woman');
  assert.equal(fourth.manifest.images.length, 4);
});

test('an interrupted prepare leaves an incomplete manifest that a rerun completes', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const project = await newProject(dir);
  const src = path.join(dir, 'src');
  await mkdir(src);
  for (let i = 0; i < 4; i++) await writeJpeg(path.join(src, `p${i}.jpg`), 640, 800, { seed: 30 + i, orientation: i % 2 ? 6 : 1 });
  await importPhotos(project.paths, [src]);
  await runDoctor(project);
  const controller = new AbortController();
  await assert.rejects(
    prepareDataset(project, { signal: controller.signal, onProgress: (e) => e.done >= 1 && controller.abort() }),
    (e: unknown) => e instanceof TackError && e.code === 'CORE_CANCELLED',
  );
  await assert.rejects(readManifest(project.paths), (e: unknown) => e instanceof TackError && e.code === 'DATASET_NOT_PREPARED');
  const rerun = await prepareDataset(project);
  assert.equal(rerun.manifest.complete, true);
  assert.equal((await readManifest(project.paths)).images.length, 4);
  const files = await readdir(path.join(project.paths.root, rerun.manifest.imageDir));
  assert.equal(files.filter((f) => f.endsWith('.jpg')).length, 4);
  assert.ok(!files.some((f) => f.includes('.tmp-')), 'no temp files left');
});

test('every supported format imports and comes out of prepare in a format the trainer reads', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const project = await newProject(dir);
  const src = path.join(dir, 'src');
  await mkdir(src);
  const photo = async (seed: number) => makePhoto(640, 480, { seed });
  await (await photo(41)).webp().toFile(path.join(src, 'a.webp'));
  await (await photo(42)).avif().toFile(path.join(src, 'b.avif'));
  await (await photo(43)).tiff().toFile(path.join(src, 'c.tif'));
  await (await photo(44)).png().toFile(path.join(src, 'd.png'));
  const raw = await (await photo(45)).ensureAlpha().raw().toBuffer();
  const { encodeBmp } = await import('../src/io/index.js');
  await writeFile(path.join(src, 'e.bmp'), encodeBmp(raw, 640, 480));
  await (await photo(46)).gif().toFile(path.join(src, 'f.gif'));
  await copyFile(path.join(REPO_ROOT, 'assets', 'demo', 'IMG_2044.heic'), path.join(src, 'g.heic'));
  await writeJpeg(path.join(src, 'h.jpeg'), 640, 480, { seed: 47 });
  const result = await importPhotos(project.paths, [src]);
  assert.equal(result.added.length, 8, JSON.stringify(result.failed));
  const prepared = await prepareDataset(project);
  const written = new Map(prepared.manifest.images.map((i) => [path.basename(i.photo), path.basename(i.image)]));
  assert.deepEqual(Object.fromEntries(written), {
    'a.webp': 'a.webp',
    'b.avif': 'b.jpg',
    'c.tif': 'c.png',
    'd.png': 'd.png',
    'e.bmp': 'e.bmp',
    'f.gif': 'f.png',
    'g.heic': 'g.jpg',
    'h.jpeg': 'h.jpg',
  });
  const folder = path.join(project.paths.root, prepared.manifest.imageDir);
  for (const file of written.values()) {
    const ext = path.extname(file).slice(1);
    assert.ok(['jpg', 'png', 'webp', 'bmp'].includes(ext), `${file}: the trainer reads png/jpg/jpeg/webp/bmp only`);
    if (ext !== 'bmp') {
      const meta = await sharp(path.join(folder, file)).metadata();
      assert.ok(meta.width && meta.height, file);
    }
  }
});

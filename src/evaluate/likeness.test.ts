/**
 * The default face model on real photos: the labelled set (15 public-domain photos of 7 people)
 * and edited copies of four photos. Same-person pairs must rank above every different-person
 * pair; on tack's calibrated scale a different person's portrait must score far below the
 * subject's own new photos; a picture without a face gets "no face", not a number.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { FIXTURES } from '../../test/helpers/cli.js';
import { editedFace, FACE_EDITS, noFaceImage, type FacePhoto } from '../../test/helpers/faces.js';
import { cosineSimilarity, decodeRgb, differenceHash, loadTfjsFaceEmbedder, resolveTfjsFaceModel, TFJS_FACE_MODEL_SPECS, tfjsFaceModelId, type FaceEmbedder, type RgbPixels } from '../io/index.js';
import { buildSubjectReference, likenessFromSimilarity, scoreSample, type ImageAnalysis } from './index.js';

const MODEL = { modelId: tfjsFaceModelId('faceres'), calibration: TFJS_FACE_MODEL_SPECS.faceres.calibration, sameShotSimilarity: 0.88 };
let embedder: FaceEmbedder;
const edited = new Map<string, ImageAnalysis>();
const labelled: Array<{ file: string; person: string; analysis: ImageAnalysis }> = [];
const PHOTOS: FacePhoto[] = ['person-a-1', 'person-a-2', 'person-b-1', 'person-b-2'];

async function analyse(image: RgbPixels): Promise<ImageAnalysis> {
  const [a, h] = await Promise.all([embedder.analyze(image), differenceHash(image)]);
  return { key: '', width: a.width, height: a.height, faces: a.faces, hash: h.hash, mirroredHash: h.mirrored };
}

async function pixels(buffer: Buffer): Promise<RgbPixels> {
  const { data, info } = await sharp(buffer).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

before(async () => {
  // The default model ships with tack: resolving it never downloads (the cache folder is unused).
  embedder = await loadTfjsFaceEmbedder(await resolveTfjsFaceModel('faceres', { cacheDir: '/nonexistent' }), { workers: 2 });
  const jobs = PHOTOS.flatMap((photo) => FACE_EDITS.map((edit) => ({ photo, edit })));
  await Promise.all(jobs.map(async ({ photo, edit }) => edited.set(`${photo}/${edit}`, await analyse(await pixels(await editedFace(photo, edit, { maxSide: 640 }))))));
  const dir = path.join(FIXTURES, 'faces-labelled');
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.jpg')).sort()) {
    labelled.push({ file, person: file.replace(/-\d+\.jpg$/, ''), analysis: await analyse(await decodeRgb(path.join(dir, file), undefined, { maxSide: 1600 })) });
  }
});

after(async () => {
  await embedder?.close();
});

function face(a: ImageAnalysis | undefined, what: string): Float32Array {
  assert.ok(a && a.faces.length >= 1, `no face found in ${what}`);
  return (a.faces[0] as { embedding: Float32Array }).embedding;
}

test('every edited copy (crop, scale, mirror, colour shift, JPEG, 30-degree turn) has its face found and stays near-identical', () => {
  for (const [key, a] of edited) {
    const [x, y, w, h] = a.faces[0]?.box ?? [0, 0, 0, 0];
    assert.ok(w > 20 && h > 20 && x + w <= a.width + 2 && y + h <= a.height + 2, `${key}: face box ${[x, y, w, h]} inside ${a.width}x${a.height}`);
  }
  for (const photo of PHOTOS) {
    for (const edit of FACE_EDITS) {
      const s = cosineSimilarity(face(edited.get(`${photo}/original`), photo), face(edited.get(`${photo}/${edit}`), `${photo}/${edit}`));
      assert.ok(s > 0.9, `${photo}/${edit}: similarity to the original ${s.toFixed(3)}`);
    }
  }
});

test('labelled real photos: every same-person pair ranks above every different-person pair', () => {
  const found = labelled.filter((l) => l.analysis.faces.length > 0);
  // Only the near-profile photo (astronaut-rubins-2) has no face the detector finds.
  assert.ok(found.length >= 14, `faces found in ${found.length} of ${labelled.length} photos`);
  const same: number[] = [];
  const different: number[] = [];
  for (let i = 0; i < found.length; i++) {
    for (let j = i + 1; j < found.length; j++) {
      const s = cosineSimilarity(face(found[i]?.analysis, ''), face(found[j]?.analysis, ''));
      (found[i]?.person === found[j]?.person ? same : different).push(s);
    }
  }
  assert.ok(same.length >= 8 && different.length >= 80);
  assert.ok(Math.min(...same) > Math.max(...different), `least alike same person ${Math.min(...same).toFixed(3)}, most alike different people ${Math.max(...different).toFixed(3)}`);
});

test('calibrated scale: another person\'s portrait scores far below a new photo of the subject', () => {
  const found = labelled.filter((l) => l.analysis.faces.length > 0);
  const ref = (photos: typeof found) => buildSubjectReference(photos.map((p) => ({ file: p.file, analysis: p.analysis })), MODEL);
  const likeness = (r: ReturnType<typeof ref>, a: ImageAnalysis) => likenessFromSimilarity(cosineSimilarity(face(a, ''), r.centroid), r);
  const own: number[] = [];
  for (const person of new Set(found.map((f) => f.person))) {
    const mine = found.filter((f) => f.person === person);
    if (mine.length < 2) continue;
    const full = ref(mine);
    for (const other of found.filter((f) => f.person !== person)) {
      // Before calibration, a different astronaut's studio portrait scored 1.05 ("as alike as your own photos").
      assert.ok(likeness(full, other.analysis) < 0.6, `${other.file} as ${person}: likeness ${likeness(full, other.analysis).toFixed(2)}`);
    }
    for (const held of mine) own.push(likeness(ref(mine.filter((m) => m !== held)), held.analysis));
  }
  const mean = own.reduce((a, b) => a + b, 0) / own.length;
  assert.ok(mean > 0.85 && Math.min(...own) > 0.6, `a new photo of the subject: mean ${mean.toFixed(2)}, min ${Math.min(...own).toFixed(2)}`);
});

test('with person A\'s photo as the reference, A\'s other photo scores a far higher likeness than B, and the photo itself is a copy', () => {
  const photos = FACE_EDITS.map((edit) => ({ file: `a-1-${edit}`, analysis: edited.get(`person-a-1/${edit}`) as ImageAnalysis }));
  const reference = buildSubjectReference(photos, MODEL);
  assert.equal(reference.distinctShots, 1, 'edited copies of one photo are one shot');
  const likeness = (photo: FacePhoto) => {
    const values = FACE_EDITS.map((edit) => scoreSample({ epoch: 1, strength: 1, promptIndex: 0, file: `${photo}-${edit}`, source: 'training' }, edited.get(`${photo}/${edit}`) as ImageAnalysis, reference, { copyThreshold: 0.88 }));
    return values.reduce((a, v) => a + (v.likeness as number), 0) / values.length;
  };
  const a2 = likeness('person-a-2');
  const b1 = likeness('person-b-1');
  const b2 = likeness('person-b-2');
  // One shot is the weakest reference (tack warns EVAL_ONE_SHOT): the gap is smaller than with
  // several photos of the subject (previous test), but A still leads both photos of B.
  assert.ok(a2 > 0.5, `A's other photo: likeness ${a2.toFixed(2)}`);
  assert.ok(a2 - Math.max(b1, b2) > 0.15, `A ${a2.toFixed(2)} vs B ${b1.toFixed(2)} / ${b2.toFixed(2)}`);
  const copy = scoreSample({ epoch: 1, strength: 1, promptIndex: 0, file: 'x', source: 'training' }, edited.get('person-a-1/colour') as ImageAnalysis, reference, { copyThreshold: 0.88 });
  assert.ok(copy.copy, 'a sample that is a training photo is a copy');
});

test('an image without a face gets "no face", not a number', async () => {
  const reference = buildSubjectReference([{ file: 'a', analysis: edited.get('person-a-1/original') as ImageAnalysis }], MODEL);
  const empty = await analyse(await pixels(await noFaceImage()));
  assert.equal(empty.faces.length, 0);
  const score = scoreSample({ epoch: 1, strength: 1, promptIndex: 0, file: 'landscape.png', source: 'training' }, empty, reference, { copyThreshold: 0.88 });
  assert.equal(score.status, 'no-face');
  assert.equal(score.likeness, undefined);
  assert.equal(score.similarity, undefined);
});

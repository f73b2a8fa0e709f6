/**
 * The bundled face model on real photos: two people, two photos each (public domain, shared
 * fixtures), and edited copies of them. Same-person pairs must score above every
 * different-person pair; a picture without a face gets "no face", not a number.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { editedFace, FACE_EDITS, noFaceImage, type FacePhoto } from '../../test/helpers/faces.js';
import { cosineSimilarity, differenceHash, HUMAN_FACE_MODEL_ID, HUMAN_LIKENESS_ANCHORS, loadHumanFaceEmbedder, type FaceEmbedder, type RgbPixels } from '../io/index.js';
import { buildSubjectReference, scoreSample, type ImageAnalysis } from './index.js';

let embedder: FaceEmbedder;
const analyses = new Map<string, ImageAnalysis>();
const PHOTOS: FacePhoto[] = ['person-a-1', 'person-a-2', 'person-b-1', 'person-b-2'];

async function pixels(buffer: Buffer): Promise<RgbPixels> {
  const { data, info } = await sharp(buffer).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

async function analyse(buffer: Buffer): Promise<ImageAnalysis> {
  const image = await pixels(buffer);
  const [a, h] = await Promise.all([embedder.analyze(image), differenceHash(image)]);
  return { key: '', width: a.width, height: a.height, faces: a.faces, hash: h.hash, mirroredHash: h.mirrored };
}

before(async () => {
  embedder = await loadHumanFaceEmbedder({ workers: 2 });
  const jobs = PHOTOS.flatMap((photo) => FACE_EDITS.map((edit) => ({ photo, edit })));
  await Promise.all(jobs.map(async ({ photo, edit }) => analyses.set(`${photo}/${edit}`, await analyse(await editedFace(photo, edit, { maxSide: 640 })))));
});

after(async () => {
  await embedder?.close();
});

function face(key: string): Float32Array {
  const a = analyses.get(key);
  assert.ok(a && a.faces.length >= 1, `no face found in ${key}`);
  return (a.faces[0] as { embedding: Float32Array }).embedding;
}

test('every edited copy (crop, scale, mirror, colour shift, JPEG) of every photo has its face found', () => {
  for (const [key, a] of analyses) {
    assert.ok(a.faces.length >= 1, `${key}: no face`);
    const [x, y, w, h] = a.faces[0]?.box ?? [0, 0, 0, 0];
    assert.ok(w > 20 && h > 20 && x + w <= a.width + 2 && y + h <= a.height + 2, `${key}: face box ${[x, y, w, h]} inside ${a.width}x${a.height}`);
  }
});

test('same-person pairs score clearly above different-person pairs', () => {
  const keys = [...analyses.keys()];
  const copies: number[] = [];
  const samePerson: number[] = [];
  const different: number[] = [];
  const byPhotoPair = new Map<string, number[]>();
  for (let i = 0; i < keys.length; i++) {
    for (let j = i + 1; j < keys.length; j++) {
      const a = keys[i] as string;
      const b = keys[j] as string;
      const s = cosineSimilarity(face(a), face(b));
      const [pa, pb] = [a.split('/')[0] as string, b.split('/')[0] as string].sort() as [string, string];
      if (pa.slice(0, 8) !== pb.slice(0, 8)) different.push(s);
      else if (pa === pb) copies.push(s);
      else samePerson.push(s);
      if (pa !== pb) byPhotoPair.set(`${pa}~${pb}`, [...(byPhotoPair.get(`${pa}~${pb}`) ?? []), s]);
    }
  }
  const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
  // Edited copies of one photo are near-identical to the model.
  assert.ok(Math.min(...copies) > 0.85, `edited copies: min ${Math.min(...copies).toFixed(3)}`);
  // Photo against photo (averaged over the 36 edit pairs): both same-person photo pairs beat all four different-person ones.
  const pairMeans = [...byPhotoPair].map(([k, v]) => [k, mean(v)] as const);
  const sameMeans = pairMeans.filter(([k]) => k.startsWith('person-a') === k.includes('~person-a')).map(([, m]) => m);
  const diffMeans = pairMeans.filter(([k]) => k.startsWith('person-a') !== k.includes('~person-a')).map(([, m]) => m);
  assert.equal(sameMeans.length, 2);
  assert.equal(diffMeans.length, 4);
  assert.ok(Math.min(...sameMeans) - Math.max(...diffMeans) > 0.02, `photo pairs: same ${sameMeans.map((m) => m.toFixed(3))} vs different ${diffMeans.map((m) => m.toFixed(3))}`);
  // Image against image: nearly every same-person pair ranks above every different-person pair.
  let wins = 0;
  for (const s of samePerson) for (const d of different) if (s > d) wins++;
  assert.ok(wins / (samePerson.length * different.length) > 0.97, `ranked right: ${(wins / (samePerson.length * different.length)).toFixed(3)}`);
  assert.ok(mean(samePerson) - mean(different) > 0.07, `means ${mean(samePerson).toFixed(3)} vs ${mean(different).toFixed(3)}`);
});

test('with person A\'s photos as the reference, A\'s other photo scores a far higher likeness than B', () => {
  const photos = FACE_EDITS.map((edit) => ({ file: `a-1-${edit}`, analysis: analyses.get(`person-a-1/${edit}`) as ImageAnalysis }));
  const reference = buildSubjectReference(photos, { modelId: HUMAN_FACE_MODEL_ID, anchors: HUMAN_LIKENESS_ANCHORS, sameShotSimilarity: 0.88 });
  assert.equal(reference.distinctShots, 1, 'edited copies of one photo are one shot');
  const likeness = (photo: FacePhoto) => {
    const values = FACE_EDITS.map((edit) => scoreSample({ epoch: 1, strength: 1, promptIndex: 0, file: `${photo}-${edit}`, source: 'training' }, analyses.get(`${photo}/${edit}`) as ImageAnalysis, reference, { copyThreshold: 0.88 }));
    return values.reduce((a, v) => a + (v.likeness as number), 0) / values.length;
  };
  const a2 = likeness('person-a-2');
  const b1 = likeness('person-b-1');
  const b2 = likeness('person-b-2');
  assert.ok(a2 > 0.6, `A's other photo: likeness ${a2.toFixed(2)}`);
  assert.ok(a2 - Math.max(b1, b2) > 0.3, `A ${a2.toFixed(2)} vs B ${b1.toFixed(2)} / ${b2.toFixed(2)}`);
  // A training photo itself (an edited copy) is flagged as a copy, not counted as a success.
  const copy = scoreSample({ epoch: 1, strength: 1, promptIndex: 0, file: 'x', source: 'training' }, analyses.get('person-a-1/colour') as ImageAnalysis, reference, { copyThreshold: 0.88 });
  assert.ok(copy.copy, 'a sample that is a training photo is a copy');
});

test('an image without a face gets "no face", not a number', async () => {
  const reference = buildSubjectReference([{ file: 'a', analysis: analyses.get('person-a-1/original') as ImageAnalysis }], { modelId: HUMAN_FACE_MODEL_ID, anchors: HUMAN_LIKENESS_ANCHORS, sameShotSimilarity: 0.88 });
  const empty = await analyse(await noFaceImage());
  assert.equal(empty.faces.length, 0);
  const score = scoreSample({ epoch: 1, strength: 1, promptIndex: 0, file: 'landscape.png', source: 'training' }, empty, reference, { copyThreshold: 0.88 });
  assert.equal(score.status, 'no-face');
  assert.equal(score.likeness, undefined);
  assert.equal(score.similarity, undefined);
});

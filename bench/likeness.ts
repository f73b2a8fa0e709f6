/**
 * Likeness benchmark: separation of same-person and different-person faces, model load time
 * and scoring throughput for 768x1280 samples, with the bundled face model.
 *
 *   node --import tsx bench/likeness.ts [--images 24] [--workers 2]
 *
 * Targets (baseline named in the brief): >= 3 images/s after model load on 2 cores, load < 3 s.
 * Separation uses the public-domain photos in test/fixtures/faces (two people, two photos
 * each) and edited copies (crop, scale, mirror, colour shift, JPEG q35).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { buildSubjectReference, likenessFromSimilarity, type ImageAnalysis } from '../src/evaluate/index.js';
import { cosineSimilarity, decodeRgb, differenceHash, HUMAN_FACE_MODEL_ID, HUMAN_LIKENESS_ANCHORS, loadHumanFaceEmbedder } from '../src/io/index.js';
import { editedFace, FACE_EDITS, facePhoto, type FacePhoto } from '../test/helpers/faces.js';

const { values } = parseArgs({ options: { images: { type: 'string', default: '24' }, workers: { type: 'string', default: String(Math.min(4, os.availableParallelism())) } } });
const imageCount = Number(values.images);
const workers = Number(values.workers);

const stats = (a: number[]) => {
  const mean = a.reduce((x, y) => x + y, 0) / a.length;
  const sd = Math.sqrt(a.reduce((x, y) => x + (y - mean) ** 2, 0) / a.length);
  return { n: a.length, min: Math.min(...a), mean, max: Math.max(...a), sd };
};
const fmt = (s: ReturnType<typeof stats>) => `n=${String(s.n).padStart(3)}  min ${s.min.toFixed(3)}  mean ${s.mean.toFixed(3)}  max ${s.max.toFixed(3)}`;

const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-bench-likeness-'));
try {
  const loadStart = performance.now();
  const embedder = await loadHumanFaceEmbedder({ workers });
  const loadMs = performance.now() - loadStart;

  // --- separation ---
  const people: FacePhoto[] = ['person-a-1', 'person-a-2', 'person-b-1', 'person-b-2'];
  const items: Array<{ photo: FacePhoto; edit: string; analysis: ImageAnalysis }> = [];
  for (const photo of people) {
    for (const edit of FACE_EDITS) {
      const file = path.join(dir, `${photo}-${edit}.${edit === 'jpeg' ? 'jpg' : 'png'}`);
      await writeFile(file, await editedFace(photo, edit));
      const pixels = await decodeRgb(file);
      const [a, h] = await Promise.all([embedder.analyze(pixels), differenceHash(pixels)]);
      items.push({ photo, edit, analysis: { key: file, width: a.width, height: a.height, faces: a.faces, hash: h.hash, mirroredHash: h.mirrored } });
    }
  }
  const missing = items.filter((i) => i.analysis.faces.length === 0).map((i) => `${i.photo}/${i.edit}`);
  const samePhoto: number[] = [];
  const samePerson: number[] = [];
  const different: number[] = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i]!;
      const b = items[j]!;
      const fa = a.analysis.faces[0];
      const fb = b.analysis.faces[0];
      if (!fa || !fb) continue;
      const s = cosineSimilarity(fa.embedding, fb.embedding);
      if (a.photo.slice(0, 8) !== b.photo.slice(0, 8)) different.push(s);
      else if (a.photo === b.photo) samePhoto.push(s);
      else samePerson.push(s);
    }
  }
  let wins = 0;
  for (const s of samePerson) for (const d of different) if (s > d) wins++;
  const sp = stats(samePerson);
  const df = stats(different);
  const dPrime = (sp.mean - df.mean) / Math.sqrt((sp.sd ** 2 + df.sd ** 2) / 2);

  // --- as tack scores: reference = person A photo 1 (6 edits, one shot), samples = the rest ---
  const reference = buildSubjectReference(
    items.filter((i) => i.photo === 'person-a-1').map((i) => ({ file: `${i.photo}-${i.edit}`, analysis: i.analysis })),
    { modelId: HUMAN_FACE_MODEL_ID, anchors: HUMAN_LIKENESS_ANCHORS, sameShotSimilarity: 0.88 },
  );
  const likeness = (photo: FacePhoto) =>
    stats(items.filter((i) => i.photo === photo && i.analysis.faces[0]).map((i) => likenessFromSimilarity(cosineSimilarity(i.analysis.faces[0]!.embedding, reference.centroid), reference)));

  // --- throughput on 768x1280 samples (decode + detect + embed + hash), after load ---
  const sampleFiles: string[] = [];
  for (let k = 0; k < imageCount; k++) {
    const photo = people[k % people.length] as FacePhoto;
    const file = path.join(dir, `sample-${k}.png`);
    const buffer = await sharp(facePhoto(photo)).rotate().resize(768, 1280, { fit: 'cover', position: 'north' }).modulate({ hue: (k * 23) % 360 }).png().toBuffer();
    await writeFile(file, buffer);
    sampleFiles.push(file);
  }
  const t0 = performance.now();
  let next = 0;
  const modelMs: number[] = [];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < sampleFiles.length) {
        const file = sampleFiles[next++] as string;
        const pixels = await decodeRgb(file);
        const [a] = await Promise.all([embedder.analyze(pixels), differenceHash(pixels)]);
        modelMs.push(a.modelMs);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await embedder.close();
  const rate = sampleFiles.length / seconds;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;

  console.log(`face model ${HUMAN_FACE_MODEL_ID}, ${workers} worker threads, ${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('');
  console.log('Separation (cosine similarity of face embeddings; 24 images: 4 photos x 6 edits)');
  console.log(`  same photo, edited copies      ${fmt(stats(samePhoto))}`);
  console.log(`  same person, other photo       ${fmt(sp)}`);
  console.log(`  different person               ${fmt(df)}`);
  console.log(`  margin (same-person min - different max): ${(sp.min - df.max).toFixed(3)}; pairs ranked right (AUC): ${(wins / (samePerson.length * different.length)).toFixed(3)}; d' ${dPrime.toFixed(2)}`);
  console.log(`  no face found in: ${missing.length ? missing.join(', ') : 'none'}`);
  console.log('');
  console.log(`Likeness as tack reports it (reference: person-a-1's 6 edits = one shot; scale: stranger ${reference.strangerSimilarity.toFixed(2)} -> 0, same person ${reference.selfSimilarity.toFixed(2)} (${reference.selfSimilaritySource}) -> 1)`);
  console.log(`  person A, other photo  ${fmt(likeness('person-a-2'))}`);
  console.log(`  person B, photo 1      ${fmt(likeness('person-b-1'))}`);
  console.log(`  person B, photo 2      ${fmt(likeness('person-b-2'))}`);
  console.log('');
  console.log(`Model load: ${(loadMs / 1000).toFixed(2)} s (target < 3 s: ${loadMs < 3000 ? 'met' : 'NOT met'})`);
  console.log(`Throughput, ${sampleFiles.length} PNG samples 768x1280: ${rate.toFixed(2)} images/s (target >= 3: ratio ${(rate / 3).toFixed(2)}); model time per image median ${stats(modelMs).mean.toFixed(0)} ms`);
  console.log(`Peak RSS: ${peakRssMb.toFixed(0)} MB`);
} finally {
  await rm(dir, { recursive: true, force: true });
}

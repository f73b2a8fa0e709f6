/**
 * Likeness benchmark, per face model: how well it tells the same person from different people
 * on labelled real photos, how steady it is on edited copies of one photo, what tack's likeness
 * scale makes of a stranger's portrait, model load time and throughput on 768x1280 samples.
 *
 *   node --import tsx bench/likeness.ts [--models faceres,faceres-deep,mobileface] [--onnx model.onnx]
 *        [--cache-dir <tack model cache>] [--images 24] [--workers 2] [--json out.json]
 *
 * Models that must be downloaded are looked for in the cache (default: tack's, as `tack
 * evaluate` would have left them); a model that is missing is reported, not downloaded, unless
 * --download is given. Targets (named in docs/evaluate.md): AUC 1.0 and a positive margin on the
 * labelled set, >= 3 images/s after load on 2 cores, load < 3 s.
 *
 * Labelled set: test/fixtures/faces-labelled (15 public-domain photos of 7 people, see its
 * README), the largest face of each photo. Edited copies: the four photos of test/fixtures/faces.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { buildSubjectReference, defaultModelCacheDir, likenessFromSimilarity, type ImageAnalysis } from '../src/evaluate/index.js';
import {
  ARCFACE_CALIBRATION,
  cosineSimilarity,
  decodeRgb,
  differenceHash,
  loadOnnxFaceEmbedder,
  loadTfjsFaceEmbedder,
  resolveOnnxFaceModel,
  resolveTfjsFaceModel,
  TFJS_FACE_MODEL_SPECS,
  TFJS_FACE_MODELS,
  tfjsFaceModelId,
  type FaceEmbedder,
  type ModelCalibration,
  type TfjsFaceModelName,
} from '../src/io/index.js';
import { FIXTURES } from '../test/helpers/cli.js';
import { editedFace, FACE_EDITS, facePhoto, type FacePhoto } from '../test/helpers/faces.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: TFJS_FACE_MODELS.join(',') },
    onnx: { type: 'string' },
    'cache-dir': { type: 'string' },
    download: { type: 'boolean', default: false },
    images: { type: 'string', default: '24' },
    workers: { type: 'string', default: String(Math.min(4, os.availableParallelism())) },
    json: { type: 'string' },
  },
});
const imageCount = Number(values.images);
const workers = Number(values.workers);
const cacheDir = values['cache-dir'] ?? defaultModelCacheDir();
const LABELLED = path.join(FIXTURES, 'faces-labelled');
const PHOTOS: FacePhoto[] = ['person-a-1', 'person-a-2', 'person-b-1', 'person-b-2'];

interface Stats {
  readonly n: number;
  readonly min: number;
  readonly mean: number;
  readonly max: number;
  readonly sd: number;
}
const stats = (a: readonly number[]): Stats => {
  const mean = a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
  const sd = Math.sqrt(a.reduce((x, y) => x + (y - mean) ** 2, 0) / Math.max(1, a.length - 1));
  return { n: a.length, min: a.length ? Math.min(...a) : NaN, mean, max: a.length ? Math.max(...a) : NaN, sd };
};
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '-');

/** Equal error rate: the threshold where wrongly rejected same-person pairs = wrongly accepted different-person pairs. */
function equalErrorRate(same: readonly number[], different: readonly number[]): number {
  let best = { gap: Infinity, rate: 1 };
  for (const t of [...same, ...different].sort((a, b) => a - b)) {
    const frr = same.filter((s) => s < t).length / same.length;
    const far = different.filter((d) => d >= t).length / different.length;
    if (Math.abs(frr - far) < best.gap) best = { gap: Math.abs(frr - far), rate: (frr + far) / 2 };
  }
  return best.rate;
}

async function analyse(embedder: FaceEmbedder, file: string, maxSide?: number): Promise<ImageAnalysis> {
  const pixels = await decodeRgb(file, undefined, maxSide ? { maxSide } : {});
  const [a, h] = await Promise.all([embedder.analyze(pixels), differenceHash(pixels)]);
  return { key: file, width: a.width, height: a.height, faces: [...a.faces].sort((x, y) => y.box[2] * y.box[3] - x.box[2] * x.box[3]), hash: h.hash, mirroredHash: h.mirrored };
}

interface Candidate {
  readonly name: string;
  readonly id: string;
  readonly calibration: ModelCalibration;
  readonly load: () => Promise<FaceEmbedder>;
}

async function candidates(): Promise<{ list: Candidate[]; missing: string[] }> {
  const list: Candidate[] = [];
  const missing: string[] = [];
  for (const name of (values.models ?? '').split(',').filter(Boolean) as TfjsFaceModelName[]) {
    if (!TFJS_FACE_MODELS.includes(name)) throw new Error(`unknown model ${name} (${TFJS_FACE_MODELS.join(', ')})`);
    const spec = TFJS_FACE_MODEL_SPECS[name];
    try {
      const resolved = await resolveTfjsFaceModel(name, { cacheDir, ...(values.download || spec.bundled ? {} : { baseUrl: 'http://127.0.0.1:9/' }) });
      list.push({ name, id: tfjsFaceModelId(name), calibration: spec.calibration, load: () => loadTfjsFaceEmbedder(resolved, { workers }) });
    } catch (error) {
      missing.push(`${name}: not in ${path.join(cacheDir, 'face-tfjs')} (${error instanceof Error ? error.message.split(':')[0] : error}); rerun with --download or put the files there`);
    }
  }
  if (values.onnx) {
    const resolved = await resolveOnnxFaceModel(path.resolve(values.onnx), { cacheDir });
    list.push({ name: `onnx:${path.basename(values.onnx)}`, id: `onnx-${resolved.sha256.slice(0, 12)}`, calibration: ARCFACE_CALIBRATION, load: () => loadOnnxFaceEmbedder(resolved.file, { modelId: 'bench', workers }) });
  }
  return { list, missing };
}

async function benchModel(candidate: Candidate, dir: string) {
  const loadStart = performance.now();
  const embedder = await candidate.load();
  const loadMs = performance.now() - loadStart;
  try {
    // --- labelled real photos: every pair of faces ---
    const files = (await readdir(LABELLED)).filter((f) => f.endsWith('.jpg')).sort();
    const faces: Array<{ file: string; person: string; analysis: ImageAnalysis }> = [];
    const noFace: string[] = [];
    for (const file of files) {
      const analysis = await analyse(embedder, path.join(LABELLED, file), 1600);
      if (analysis.faces.length === 0) noFace.push(file);
      else faces.push({ file, person: file.replace(/-\d+\.jpg$/, ''), analysis });
    }
    const same: Array<{ s: number; pair: string }> = [];
    const different: Array<{ s: number; pair: string }> = [];
    for (let i = 0; i < faces.length; i++) {
      for (let j = i + 1; j < faces.length; j++) {
        const a = faces[i]!;
        const b = faces[j]!;
        const s = cosineSimilarity(a.analysis.faces[0]!.embedding, b.analysis.faces[0]!.embedding);
        (a.person === b.person ? same : different).push({ s, pair: `${a.file} ~ ${b.file}` });
      }
    }
    const S = same.map((x) => x.s);
    const D = different.map((x) => x.s);
    let wins = 0;
    for (const s of S) for (const d of D) wins += s > d ? 1 : s === d ? 0.5 : 0;
    const ss = stats(S);
    const ds = stats(D);
    const hardestSame = same.reduce((a, b) => (b.s < a.s ? b : a));
    const hardestDifferent = different.reduce((a, b) => (b.s > a.s ? b : a));
    const calibration: ModelCalibration = {
      samePerson: { mean: ss.mean, sd: ss.sd, pairs: ss.n },
      different: { mean: ds.mean, sd: ds.sd, pairs: ds.n },
      people: new Set(faces.map((f) => f.person)).size,
      source: 'bench',
    };

    // --- tack's likeness scale: each person with 2+ photos is the subject in turn ---
    // Own photos: one photo held out, the reference built from the others (a new photo of the
    // subject); strangers: every other person's photo against the reference of all the subject's photos.
    const own: Array<{ l: number; what: string }> = [];
    const strangers: Array<{ l: number; what: string }> = [];
    const people = [...new Set(faces.map((f) => f.person))];
    const refOf = (photos: typeof faces) => buildSubjectReference(photos.map((p) => ({ file: p.file, analysis: p.analysis })), { modelId: candidate.id, calibration: candidate.calibration, sameShotSimilarity: 0.88 });
    for (const person of people) {
      const mine = faces.filter((f) => f.person === person);
      if (mine.length < 2) continue;
      const full = refOf(mine);
      for (const other of faces.filter((f) => f.person !== person)) {
        strangers.push({ l: likenessFromSimilarity(cosineSimilarity(other.analysis.faces[0]!.embedding, full.centroid), full), what: `${other.file} as ${person}` });
      }
      for (const held of mine) {
        const rest = mine.filter((m) => m !== held);
        const ref = refOf(rest);
        own.push({ l: likenessFromSimilarity(cosineSimilarity(held.analysis.faces[0]!.embedding, ref.centroid), ref), what: `${held.file} vs ${rest.length} other photo(s)` });
      }
    }

    // --- edited copies of one photo ---
    const edits = new Map<string, number[]>();
    let editMisses = 0;
    for (const photo of PHOTOS) {
      const original = await analyse(embedder, facePhoto(photo), 640);
      for (const edit of FACE_EDITS.filter((e) => e !== 'original')) {
        const file = path.join(dir, `${photo}-${edit}.${edit === 'jpeg' ? 'jpg' : 'png'}`);
        await writeFile(file, await editedFace(photo, edit));
        const a = await analyse(embedder, file);
        if (!a.faces[0] || !original.faces[0]) {
          editMisses++;
          continue;
        }
        edits.set(edit, [...(edits.get(edit) ?? []), cosineSimilarity(a.faces[0].embedding, original.faces[0].embedding)]);
      }
    }

    // --- throughput on 768x1280 samples (decode + detect + embed + hash), after load ---
    const sampleFiles: string[] = [];
    for (let k = 0; k < imageCount; k++) {
      const file = path.join(dir, `sample-${k}.png`);
      await writeFile(file, await sharp(facePhoto(PHOTOS[k % PHOTOS.length] as FacePhoto)).rotate().resize(768, 1280, { fit: 'cover', position: 'north' }).modulate({ hue: (k * 23) % 360 }).png().toBuffer());
      sampleFiles.push(file);
    }
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (next < sampleFiles.length) await analyse(embedder, sampleFiles[next++] as string);
      }),
    );
    const rate = sampleFiles.length / ((performance.now() - t0) / 1000);
    return {
      model: candidate.name,
      id: candidate.id,
      loadMs,
      labelled: {
        photos: files.length,
        faces: faces.length,
        noFace,
        samePairs: ss.n,
        differentPairs: ds.n,
        auc: wins / (S.length * D.length),
        eer: equalErrorRate(S, D),
        margin: hardestSame.s - hardestDifferent.s,
        dPrime: (ss.mean - ds.mean) / Math.sqrt((ss.sd ** 2 + ds.sd ** 2) / 2),
        same: ss,
        different: ds,
        hardestSame,
        hardestDifferent,
      },
      calibration,
      likeness: { own: stats(own.map((o) => o.l)), strangers: stats(strangers.map((o) => o.l)), lowestOwn: own.reduce((a, b) => (b.l < a.l ? b : a)), highestStranger: strangers.reduce((a, b) => (b.l > a.l ? b : a)) },
      edits: Object.fromEntries([...edits].map(([k, v]) => [k, stats(v)])),
      editMisses,
      imagesPerSecond: rate,
    };
  } finally {
    await embedder.close();
  }
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-bench-likeness-'));
try {
  const { list, missing } = await candidates();
  const results = [];
  for (const candidate of list) results.push(await benchModel(candidate, dir));
  console.log(`${workers} worker threads, ${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const m of missing) console.log(`not measured: ${m}`);
  console.log('');
  console.log('Labelled real photos (test/fixtures/faces-labelled), cosine similarity of the largest face of each photo');
  console.log('| model | faces | same / diff pairs | AUC | EER | margin | d\' | same-person mean ± sd | different mean ± sd | load s | images/s |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const l = r.labelled;
    console.log(`| ${r.model} | ${l.faces}/${l.photos} | ${l.samePairs} / ${l.differentPairs} | ${f3(l.auc)} | ${(l.eer * 100).toFixed(1)} % | ${f3(l.margin)} | ${l.dPrime.toFixed(2)} | ${f3(l.same.mean)} ± ${f3(l.same.sd)} | ${f3(l.different.mean)} ± ${f3(l.different.sd)} | ${(r.loadMs / 1000).toFixed(2)} | ${r.imagesPerSecond.toFixed(2)} |`);
  }
  for (const r of results) {
    const l = r.labelled;
    console.log('');
    console.log(`${r.model} (${r.id})`);
    console.log(`  no face found in: ${l.noFace.length ? l.noFace.join(', ') : 'none'}`);
    console.log(`  least alike same person:     ${f3(l.hardestSame.s)}  ${l.hardestSame.pair}`);
    console.log(`  most alike different people: ${f3(l.hardestDifferent.s)}  ${l.hardestDifferent.pair}`);
    console.log(`  likeness (calibrated scale): a new photo of the subject ${f3(r.likeness.own.mean)} (min ${f3(r.likeness.own.min)}, n ${r.likeness.own.n}); another person's photo ${f3(r.likeness.strangers.mean)} (max ${f3(r.likeness.strangers.max)}, n ${r.likeness.strangers.n})`);
    console.log(`    lowest own: ${r.likeness.lowestOwn.what}; highest stranger: ${r.likeness.highestStranger.what}`);
    console.log(`  edited copies vs the original photo (${PHOTOS.length} photos${r.editMisses ? `, ${r.editMisses} copies without a face` : ''}): ${Object.entries(r.edits).map(([k, v]) => `${k} ${f3(v.min)}-${f3(v.max)}`).join(', ')}`);
    console.log(`  load ${(r.loadMs / 1000).toFixed(2)} s (target < 3 s: ${r.loadMs < 3000 ? 'met' : 'NOT met'}); ${imageCount} PNG samples 768x1280: ${r.imagesPerSecond.toFixed(2)} images/s (target >= 3: ratio ${(r.imagesPerSecond / 3).toFixed(2)})`);
    const c = r.calibration;
    console.log(`  calibration: { samePerson: { mean: ${f3(c.samePerson.mean)}, sd: ${f3(c.samePerson.sd)}, pairs: ${c.samePerson.pairs} }, different: { mean: ${f3(c.different.mean)}, sd: ${f3(c.different.sd)}, pairs: ${c.different.pairs} }, people: ${c.people} }`);
  }
  console.log(`\nPeak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  if (values.json) await writeFile(values.json, JSON.stringify({ workers, results, missing }, null, 2));
} finally {
  await rm(dir, { recursive: true, force: true });
}

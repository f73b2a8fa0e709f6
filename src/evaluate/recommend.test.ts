import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeEmbedding, type ModelCalibration } from '../io/index.js';
import { aggregateScores, buildSubjectReference, likenessFromSimilarity, recommend, scoreSample, type CellStats, type ImageAnalysis, type SampleScore } from './index.js';

function cell(epoch: number, likeness: number, extra: Partial<CellStats> = {}): CellStats {
  return { epoch, strength: 1, source: 'training', samples: 6, withFace: 6, noFace: 0, severalFaces: 0, copies: 0, copiedPhotos: [], meanLikeness: likeness, meanSimilarity: 0.6, effectiveLikeness: likeness, standardError: 0.02, uncertainty: 0.03, ...extra };
}

const checkpoints = [1, 2, 3, 4, 5, 6].map((epoch) => ({ epoch, file: `runs/r/output/my-lora-00000${epoch}.safetensors` }));

test('the earliest epoch of the likeness plateau is chosen, with the plateau and the copying named', () => {
  const rec = recommend({
    cells: [cell(0, 0.02), cell(1, 0.1), cell(2, 0.45), cell(3, 0.82), cell(4, 0.85), cell(5, 0.86), cell(6, 0.95, { copies: 2, copiedPhotos: ['IMG_0003.jpg'] })],
    threshold: 0.6,
    checkpoints,
    referencePhotos: 12,
  });
  assert.equal(rec.kind, 'good');
  assert.equal(rec.epoch, 3);
  assert.equal(rec.checkpoint, 'runs/r/output/my-lora-000003.safetensors');
  const text = rec.reasons.join('\n');
  assert.match(text, /Likeness plateaus at epoch 3/);
  assert.match(text, /Epoch 6 starts copying training photos: 2 of 6 samples are near-copies of IMG_0003\.jpg/);
  assert.match(text, /Epochs 1-2 do not look as much like the subject yet/);
  assert.match(text, /Before training the base model scored 0\.02/);
  assert.ok(rec.advice.some((a) => /tack sweep --strengths/.test(a)), 'unswept strength is called out');
  assert.equal(rec.epochs.find((e) => e.epoch === 6)?.label, 'copying');
});

test('an epoch that loses the face in most samples is not chosen, and the reason says so', () => {
  const rec = recommend({ cells: [cell(1, 0.5), cell(2, 0.7), cell(3, 0.75, { noFace: 4, withFace: 2 })], threshold: 0.6, checkpoints, referencePhotos: 10 });
  assert.equal(rec.epoch, 2);
  assert.ok(rec.reasons.some((r) => r === 'Epoch 3 loses the face in 4 of 6 samples.'));
});

test('no good epoch: the advice comes from the recipe (photo quality, steps, learning rate, text encoder)', () => {
  const rec = recommend({ cells: [cell(1, 0.05), cell(2, 0.2), cell(3, 0.35)], threshold: 0.6, checkpoints, totalSteps: 900, referencePhotos: 2 });
  assert.equal(rec.kind, 'weak');
  assert.equal(rec.epoch, 3);
  const advice = rec.advice.join('\n');
  assert.match(advice, /No epoch reaches the likeness threshold 0\.60 \(best 0\.35\)/);
  assert.match(advice, /Photo quality matters most/);
  assert.match(advice, /still rising after 900 steps; the recipe aims for about 2500 steps/);
  assert.match(advice, /learning rate to 1e-3/);
  assert.match(advice, /text-encoder learning rate of 0/);
  assert.match(advice, /Only 2 photos of the subject/);
  assert.match(rec.summary, /No epoch looks enough like the subject yet/);
});

test('with a strength sweep, the lowest strength as alike as the best is chosen', () => {
  const sweep = (epoch: number, strength: number, likeness: number): CellStats => ({ ...cell(epoch, likeness), strength, source: 'a1111' });
  const rec = recommend({
    cells: [cell(2, 0.7), cell(3, 0.8), sweep(2, 0.6, 0.3), sweep(2, 0.85, 0.6), sweep(2, 1, 0.7), sweep(3, 0.6, 0.5), sweep(3, 0.85, 0.84), sweep(3, 1, 0.86)],
    threshold: 0.6,
    checkpoints,
    referencePhotos: 10,
  });
  assert.equal(rec.epoch, 3);
  assert.equal(rec.strength, 0.85);
  assert.equal(rec.strengthMeasured, true);
  assert.ok(rec.reasons.some((r) => /strength 0\.85 is as alike as 1 \(0\.84 vs 0\.86\)/.test(r)));
  assert.ok(rec.reasons.some((r) => /Lower strengths lose likeness: 0\.6 -> 0\.50/.test(r)));
});

test('no faces at all is said plainly', () => {
  const rec = recommend({ cells: [cell(1, 0, { withFace: 0, noFace: 6, meanLikeness: undefined })], threshold: 0.6, checkpoints, referencePhotos: 5 });
  assert.equal(rec.kind, 'no-faces');
  assert.match(rec.summary, /No sample has a detectable face/);
});

// Synthetic embeddings: a subject direction plus noise, to check reference and scoring arithmetic.
const CALIBRATION: ModelCalibration = { samePerson: { mean: 0.6, sd: 0.1, pairs: 10 }, different: { mean: 0.1, sd: 0.08, pairs: 100 }, people: 7, source: 'test' };

function vec(seed: number, base?: Float32Array, weight = 0.8): Float32Array {
  let s = seed * 9301 + 49297;
  const rand = () => ((s = (s * 233280 + 49297) % 2147483647) / 2147483647) - 0.5;
  const v = new Float32Array(64).map(() => rand());
  if (base) for (let i = 0; i < 64; i++) v[i] = (base[i] as number) * weight + (v[i] as number) * (1 - weight);
  return normalizeEmbedding(v);
}
function analysis(embeddings: Float32Array[], hash = '0000000000000000', size = 100): ImageAnalysis {
  return { key: 'k', width: 768, height: 1280, hash, mirroredHash: 'ffffffffffffffff', faces: embeddings.map((embedding) => ({ box: [10, 10, size, size] as const, score: 0.99, embedding })) };
}

test('reference: same-shot photos count once, an odd photo out is flagged, copies and near-duplicates are caught', () => {
  const subject = vec(1);
  const photos = [
    { file: 'a.jpg', analysis: analysis([vec(2, subject)], '0123456789abcdef') },
    { file: 'a-copy.jpg', analysis: analysis([vec(2, subject)], '0123456789abcdee') },
    { file: 'b.jpg', analysis: analysis([vec(3, subject)], 'f0f0f0f0f0f0f0f0') },
    { file: 'c.jpg', analysis: analysis([vec(4, subject)], '0f0f0f0f0f0f0f0f') },
    { file: 'd.jpg', analysis: analysis([vec(5, subject)], '00ff00ff00ff00ff') },
    { file: 'stranger.jpg', analysis: analysis([vec(99)], 'ff00ff00ff00ff00') },
    { file: 'group.jpg', analysis: analysis([vec(6, subject), vec(7)], 'aaaaaaaaaaaaaaaa') },
    { file: 'landscape.jpg', analysis: analysis([], '5555555555555555') },
  ];
  const reference = buildSubjectReference(photos, { modelId: 'test', calibration: CALIBRATION, sameShotSimilarity: 0.88 });
  const status = Object.fromEntries(reference.photos.map((p) => [p.file, p.status]));
  assert.equal(status['stranger.jpg'], 'outlier');
  assert.equal(status['group.jpg'], 'several-faces');
  assert.equal(status['landscape.jpg'], 'no-face');
  assert.equal(reference.usablePhotos, 5);
  assert.equal(reference.distinctShots, 4, 'a.jpg and its copy are one shot');
  assert.equal(reference.selfSimilaritySource, 'photos');
  assert.ok(reference.findings.some((f) => f.code === 'EVAL_PHOTO_OUTLIER' && f.subject === 'stranger.jpg'));

  const s = (a: ImageAnalysis, epoch = 1): SampleScore => scoreSample({ epoch, strength: 1, promptIndex: 0, file: 'x.png', source: 'training' }, a, reference, { copyThreshold: 0.88 });
  const good = s(analysis([vec(10, subject)]));
  const stranger = s(analysis([vec(11)]));
  assert.ok((good.likeness as number) > 0.6 && (stranger.likeness as number) < 0.3, `good ${good.likeness}, stranger ${stranger.likeness}`);
  assert.equal(good.likeness, likenessFromSimilarity(good.similarity as number, reference));
  // Two faces: the one most like the subject is scored, and the count is kept.
  const pair = s(analysis([vec(12), vec(13, subject)]));
  assert.equal(pair.faces, 2);
  assert.ok(Math.abs((pair.similarity as number) - (s(analysis([vec(13, subject)])).similarity as number)) < 1e-6);
  const sameFace = s(analysis([vec(3, subject)]));
  assert.deepEqual([sameFace.copy?.photo, sameFace.copy?.reason], ['b.jpg', 'same-face']);
  const samePicture = s(analysis([], '0123456789abcdef'));
  assert.deepEqual([samePicture.status, samePicture.copy?.reason, samePicture.copy?.value], ['no-face', 'same-picture', 0]);

  const cells = aggregateScores([good, stranger, sameFace, samePicture]);
  assert.equal(cells.length, 1);
  assert.deepEqual([cells[0]?.samples, cells[0]?.withFace, cells[0]?.noFace, cells[0]?.copies], [4, 3, 1, 2]);
  // Copies and faceless samples count 0 in the effective likeness.
  assert.ok(Math.abs((cells[0]?.effectiveLikeness as number) - ((good.likeness as number) + (stranger.likeness as number)) / 4) < 1e-9);
});

test('one shot only: the scale falls back to the model\'s measured same-person similarity and says so', () => {
  const subject = vec(1);
  const reference = buildSubjectReference([{ file: 'a.jpg', analysis: analysis([vec(2, subject)]) }], { modelId: 'test', calibration: CALIBRATION, sameShotSimilarity: 0.88 });
  // One photo: the centroid is that photo (length 1), so the ends are the model's pair means.
  assert.ok(Math.abs(reference.selfSimilarity - 0.6) < 1e-6);
  assert.ok(Math.abs(reference.strangerSimilarity - 0.1) < 1e-6);
  assert.equal(reference.selfSimilaritySource, 'model');
  assert.ok(reference.scaleError.self > reference.scaleError.stranger, 'without own photos the same-person end is the less certain one');
  assert.ok(reference.findings.some((f) => f.code === 'EVAL_ONE_SHOT'));
});

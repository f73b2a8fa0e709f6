/**
 * `tack evaluate --follow`: likeness scored per epoch while the fake trainer runs (samples with
 * real faces: a stranger in epoch 1, the subject in epochs 2 and 3), then the full evaluation
 * with its recommendation when the run ends.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runTack, tempDir } from './helpers/cli.js';
import { writeFaceSamples, writeSubjectPhotos } from './helpers/face-training.js';
import { editConfig, fakeEngineEnv, makeTrainingProject, startTack, waitFor } from './helpers/fake-engine.js';

test('tack evaluate --follow scores each epoch as its samples arrive, then evaluates the run', async (t) => {
  const { dir, cleanup } = await tempDir('tack-follow-');
  t.after(cleanup);
  const samples = path.join(dir, 'samples');
  await writeFaceSamples(samples, ['person-b-1', 'person-a-2', 'person-a-2'], 2);
  const env = fakeEngineEnv(dir, { FAKE_SD_SCRIPTS_SAMPLES_FROM: samples, FAKE_SD_SCRIPTS_STEP_SECONDS: '1' });
  const project = await makeTrainingProject(dir, 'ana', { env, photoFiles: await writeSubjectPhotos(path.join(dir, 'subject')) });
  // Two sample prompts per epoch, so an epoch's faces are scored in moments.
  await editConfig(project, (c) => {
    c.samples = { ...(c.samples as object), prompts: ['{trigger} {class}, portrait', '{trigger} {class}, close-up'] };
  });
  const train = startTack(['train', project, '--json'], { env });
  await waitFor(async () => (await runTack(['runs', project, '--json'], { env })).stdout.includes('"running"'), 60_000, 'the run to start');
  const follow = await runTack(['evaluate', project, '--follow', '--json'], { env, timeoutMs: 300_000 });
  const trained = await train.done;
  assert.equal(trained.code, 0, trained.stderr);
  assert.equal(follow.code, 0, follow.stderr);
  const doc = JSON.parse(follow.stdout) as {
    kind: string;
    live: { run: string; epochs: Array<{ epoch: number; effectiveLikeness: number; withFace: number; samples: number; scoredAt: string }> };
    evaluation: { recommendation: { epoch: number; summary: string } };
  };
  const outcome = (JSON.parse(trained.stdout) as { outcome: { endedAt: string } }).outcome;
  assert.equal(doc.kind, 'evaluate');
  assert.deepEqual(doc.live.epochs.map((e) => e.epoch), [1, 2, 3]);
  const [stranger, a1, a2] = doc.live.epochs;
  assert.ok((stranger?.effectiveLikeness ?? 1) < 0.5, `a stranger scores low (${stranger?.effectiveLikeness})`);
  assert.ok((a1?.effectiveLikeness ?? 0) > 0.6 && (a2?.effectiveLikeness ?? 0) > 0.6, `the subject scores high (${a1?.effectiveLikeness}, ${a2?.effectiveLikeness})`);
  assert.ok(Date.parse(stranger?.scoredAt ?? '') < Date.parse(outcome.endedAt), `epoch 1 was scored while the run was still training: ${JSON.stringify(doc.live.epochs.map((e) => [e.epoch, e.scoredAt, e.samples]))} ${outcome.endedAt}`);
  assert.notEqual(doc.evaluation.recommendation.epoch, 1, doc.evaluation.recommendation.summary);
  const live = JSON.parse(await readFile(path.join(project, 'runs', doc.live.run, 'evaluation', 'live.json'), 'utf8')) as { epochs: unknown[] };
  assert.equal(live.epochs.length, 3, 'live.json keeps the scores for a page opened later');
});

/** The CLI as users run it: help, calculator plan, demo, errors and exit codes. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, runTack, tempDir } from './helpers/cli.js';

test('tack --help lists the commands; a typo gets a suggestion and exit code 2', async () => {
  const help = await runTack(['--help']);
  assert.equal(help.code, 0);
  for (const name of ['init', 'add', 'doctor', 'plan', 'prepare', 'demo']) assert.match(help.stdout, new RegExp(`\\n  ${name}\\s`));
  const typo = await runTack(['doctr', 'x']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /Did you mean "tack doctor"/);
  const flag = await runTack(['plan', '--images', '23', '--batchsize', '2']);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /no option --batchsize.*Did you mean --batch-size/s);
  const bad = await runTack(['plan', '--images', 'many']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--images must be a whole number.*got "many"/);
});

test("calculator mode reproduces the recipe's example: 23 images, batch 2 -> 40 repeats, 6 epochs, 2760 steps", async () => {
  const run = await runTack(['plan', '--images', '23', '--batch-size', '2', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const plan = JSON.parse(run.stdout) as { kind: string; mode: string; recipe: { repeats: number; imageRepeats: number; epochs: number; totalSteps: number }; engineLowerBound: number; explanation: string[] };
  assert.equal(plan.kind, 'plan');
  assert.equal(plan.mode, 'calculator');
  assert.deepEqual([plan.recipe.repeats, plan.recipe.imageRepeats, plan.recipe.epochs, plan.recipe.totalSteps], [40, 920, 6, 2760]);
  assert.equal(plan.engineLowerBound, 2760);
  assert.match(plan.explanation.join(' '), /40 repeats give 920 \(39 would give 897, short of 900\)/);
  const text = await runTack(['plan', '--images', '23', '--batch-size', '2']);
  assert.match(text.stdout, /recipe's arithmetic\s+trainer, one bucket/);
  assert.match(text.stdout, /total steps\s+2760\s+2760/);
  assert.match(text.stdout, /calculator mode: photo sizes unknown, so all photos count as one aspect-ratio bucket/);
  assert.match(text.stdout, /20\s+12\s+230\s+2760\s+12/);
  // An odd batch: the recipe's 920 / 3 = 306.67 steps per epoch; the engine rounds each bucket's batches up.
  const odd = JSON.parse((await runTack(['plan', '--images', '23', '--batch-size', '3', '--json'])).stdout) as {
    trainerCount: string;
    trainer: { stepsPerEpoch: number; maxTrainSteps: number };
    alternatives: Array<{ repeats: number; epochs: number; stepsPerEpoch: number; totalSteps: number; checkpoints: number }>;
  };
  assert.equal(odd.trainerCount, 'one-bucket');
  assert.deepEqual([odd.trainer.stepsPerEpoch, odd.trainer.maxTrainSteps], [307, 2763]);
  assert.ok(odd.alternatives.length > 0);
  for (const a of odd.alternatives) {
    assert.equal(a.stepsPerEpoch, Math.ceil((23 * a.repeats) / 3));
    assert.equal(a.totalSteps, a.stepsPerEpoch * a.epochs);
    assert.equal(a.checkpoints, a.epochs);
  }
  const none = await runTack(['plan']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--images N for calculator mode/);
});

test('tack demo runs the prepare path on the bundled photos, says what is next, and can run again', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const run = await runTack(['demo', 'demo-project'], { cwd: dir });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /\$ tack doctor demo-project/);
  assert.match(run.stdout, /ana-blurry-08\.jpg\s+blurry/);
  assert.match(run.stdout, /IMG_2041\.jpg: Stored turned 90°/);
  assert.match(run.stdout, /Next steps:/);
  // The alternative splits carry the trainer's whole count for the demo photos' four buckets
  // (21 repeats x 23 epochs is 2656.5 in the recipe's arithmetic, 2691 steps in the trainer).
  const alternatives = run.stdout.slice(run.stdout.indexOf('The same training split differently'), run.stdout.indexOf('$ tack prepare'));
  assert.match(alternatives, /\n\s*21\s+23\s+117\s+2691\s+23\n/);
  assert.doesNotMatch(alternatives, /\d\.\d/, 'no fractional step counts');
  const manifest = JSON.parse(await readFile(path.join(dir, 'demo-project', 'dataset', 'manifest.json'), 'utf8')) as { imageDir: string; images: Array<{ photo: string; transform: string; captionText: string }> };
  assert.equal(manifest.images.length, 11);
  assert.equal(manifest.imageDir, 'dataset/img/82_xanrms woman');
  const heic = manifest.images.find((i) => i.photo.endsWith('IMG_2044.heic'));
  assert.equal(heic?.transform, 'converted');
  assert.ok(!manifest.images.find((i) => i.photo.endsWith('ana-portrait-02.jpg'))?.captionText.includes('score_9'));
  const again = await runTack(['demo', 'demo-project', '--json'], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  const doc = JSON.parse(again.stdout) as { kind: string; steps: Array<{ command: string; exitCode: number; result: { skipped?: unknown[]; written?: number } }> };
  assert.equal(doc.kind, 'demo');
  assert.equal(doc.steps[0]?.result.skipped?.length, 11, 'the photos are already in the project');
  assert.equal(doc.steps.at(-1)?.result.written, 0, 'nothing to rewrite');
});

test('tack errors lists every code with its exit code; docs/ documents each one, every command and every --json document, in step with the code', async () => {
  const run = await runTack(['errors', '--json']);
  const doc = JSON.parse(run.stdout) as { errors: Array<{ code: string; exitCode: number }> };
  assert.ok(doc.errors.length > 10);
  const errorsPage = await readFile(path.join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');
  const missing = doc.errors.filter((e) => !errorsPage.includes(`\`${e.code}\` | ${e.exitCode} |`)).map((e) => e.code);
  assert.deepEqual(missing, [], 'error codes missing from docs/errors.md');
  const cli = await readFile(path.join(REPO_ROOT, 'docs', 'cli.md'), 'utf8');
  const help = await runTack(['--help']);
  for (const name of [...help.stdout.matchAll(/^  ([a-z]+(?: [a-z]+)?)  /gm)].map((m) => m[1] as string)) assert.ok(cli.includes(`## \`tack ${name}\``), `docs/cli.md lacks tack ${name}`);
  const check = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'gen-docs.ts'), '--check'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(check.status, 0, `docs/ out of date: ${check.stderr}`);
  const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  assert.ok(readme.length < 20_000, `README.md is a front page (${readme.length} characters); reference material belongs in docs/`);
  for (const link of [...readme.matchAll(/\]\((docs\/[^)#]+)/g)].map((m) => m[1] as string)) assert.ok(existsSync(path.join(REPO_ROOT, link)), `README links to ${link}, which does not exist`);
});

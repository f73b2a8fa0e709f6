/**
 * tack evaluate / report / infotext end to end, on a run whose samples have faces of known
 * identity: epoch 1 has no face, epoch 2 shows another person, epoch 3 shows the subject in a
 * photo the LoRA never saw, epoch 4 reproduces a training photo. tack must pick epoch 3, say why,
 * and the report must show it in headless Chromium.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { launchBrowserOrSkip } from './helpers/browser.js';
import { runTack, tempDir } from './helpers/cli.js';
import { makeEvalProject, RUN_ID, SEEDS } from './helpers/eval-project.js';

let root: string;
let cleanup: () => Promise<void>;
let evaluation: {
  recommendation: { epoch: number; kind: string; reasons: string[]; summary: string };
  cells: Array<{ epoch: number; samples: number; noFace: number; copies: number; effectiveLikeness: number; standardError: number; uncertainty: number }>;
  samples: Array<{ epoch: number; status: string; copy?: { photo: string } }>;
};

before(async () => {
  ({ dir: root, cleanup } = await tempDir('tack-eval-'));
  await makeEvalProject(root, {
    epochs: [
      ['no-face', 'no-face'],
      [
        { photo: 'person-b-2', edit: 'original' },
        { photo: 'person-b-1', edit: 'crop' },
      ],
      [
        { photo: 'person-a-2', edit: 'original' },
        { photo: 'person-a-2', edit: 'mirror' },
      ],
      [
        { photo: 'person-a-1', edit: 'jpeg' },
        { photo: 'person-a-1', edit: 'mirror' },
      ],
    ],
  });
  const run = await runTack(['evaluate', root, '--json'], { timeoutMs: 300_000 });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  evaluation = (JSON.parse(run.stdout) as { evaluation: typeof evaluation }).evaluation;
});

after(async () => {
  await cleanup?.();
});

test('evaluate picks the epoch whose samples look like the subject, and says why', () => {
  const rec = evaluation.recommendation;
  assert.equal(rec.epoch, 3, rec.summary);
  const byEpoch = new Map(evaluation.cells.map((c) => [c.epoch, c]));
  assert.equal(byEpoch.get(1)?.noFace, 2, 'epoch 1 has no faces');
  assert.equal(byEpoch.get(4)?.copies, 2, 'epoch 4 copies the training photos');
  assert.ok((byEpoch.get(3)?.effectiveLikeness ?? 0) > (byEpoch.get(2)?.effectiveLikeness ?? 1) + 0.3, 'the subject scores far above the other person');
  // Each epoch's uncertainty includes the scale's own, on top of the spread between samples.
  assert.ok(evaluation.cells.every((c) => c.uncertainty >= c.standardError && c.uncertainty > 0), JSON.stringify(evaluation.cells.map((c) => [c.standardError, c.uncertainty])));
  const reasons = rec.reasons.join('\n');
  assert.match(reasons, /Epoch 4 starts copying training photos: 2 of 2 samples are near-copies of a1-/);
  assert.match(reasons, /Epoch 1 loses the face in 2 of 2 samples/);
  assert.match(reasons, /Epoch 2 does not look as much like the subject yet/);
});

test('the text summary shows the table and the recommendation', async () => {
  const run = await runTack(['evaluate', root], { timeoutMs: 120_000 });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /> epoch 3\s+2\s+2\s+0\s+0/);
  assert.match(run.stdout, /Use epoch 3 at strength 1 \(not swept\)|No epoch looks enough like the subject yet; the closest is epoch 3/);
  assert.match(run.stdout, /tack report/);
  assert.match(run.stdout, /face model faceres/);
  // Embeddings are cached: the second run analysed nothing new.
  const files = await readdir(path.join(root, 'runs', RUN_ID, 'evaluation'));
  assert.ok(files.some((f) => /^faces-faceres-.*\.json$/.test(f)), files.join(', '));
  assert.ok(existsSync(path.join(root, '.tack', 'cache', 'faces')));
});

test('evaluate writes the settings into the engine samples, readable by tack infotext (A1111 format)', async () => {
  const sample = path.join(root, 'runs', RUN_ID, 'output', 'sample', `my-lora_e000003_01_20260301120300_${SEEDS[1]}.png`);
  const run = await runTack(['infotext', sample, '--json']);
  assert.equal(run.code, 0, run.stderr);
  const doc = JSON.parse(run.stdout) as { source: string; settings: { prompt: string; negativePrompt: string; seed: number; width: number; height: number; steps: number; cfgScale: number; loras: Array<{ name: string; weight: number }> } };
  assert.equal(doc.source, 'a1111');
  assert.match(doc.settings.prompt, /^score_9, score_8_up, score_7_up, score_6_up, score_5_up, score_4_up, xanrms man, mid-shot, office/);
  assert.deepEqual(doc.settings.loras.map((l) => [l.name, l.weight]), [['my-lora-000003', 1]]);
  assert.deepEqual([doc.settings.seed, doc.settings.width, doc.settings.height, doc.settings.steps, doc.settings.cfgScale], [SEEDS[1], 512, 768, 30, 6]);
  const text = await runTack(['infotext', sample]);
  assert.match(text.stdout, /LoRA\s+my-lora-000003 at 1/);
  // The pixels are the engine's, unchanged by the annotation.
  const meta = await sharp(sample).metadata();
  assert.deepEqual([meta.width, meta.height], [512, 768]);
});

let reportHtml: string | undefined;

test('report: a self-contained HTML page and a contact sheet', async () => {
  const run = await runTack(['report', root, '--json'], { timeoutMs: 120_000 });
  assert.equal(run.code, 0, run.stderr);
  const doc = JSON.parse(run.stdout) as { html: string; contactSheet: string };
  reportHtml = doc.html;
  const html = await readFile(doc.html, 'utf8');
  assert.ok(!/src="(?!data:)/.test(html), 'every image is embedded');
  const sheet = await sharp(doc.contactSheet).metadata();
  assert.ok((sheet.width ?? 0) > 400 && (sheet.height ?? 0) > 4 * 200, `contact sheet ${sheet.width}x${sheet.height}`);

});

test('report in Chromium: the likeness chart, the labelled grid and the recommendation, not blank', async (t) => {
  assert.ok(reportHtml, 'the report was written by the test before');
  const browser = await launchBrowserOrSkip(t);
  if (!browser) return;
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`file://${reportHtml}`);
    const recommendation = await page.locator('#recommendation').innerText();
    assert.match(recommendation, /epoch 3/i);
    assert.match(recommendation, /starts copying training photos/);
    assert.equal(await page.locator('#likeness-chart polyline.series').count(), 1);
    assert.equal(await page.locator('#likeness-chart circle.best').count(), 1);
    assert.ok((await page.locator('#likeness-chart rect.copy').count()) >= 1, 'the copying epoch is marked');
    assert.equal(await page.locator('#loss-chart polyline.series').count(), 1);
    assert.equal(await page.locator('#contact-sheet img.thumb').count(), 8);
    const rowHeaders = await page.locator('#contact-sheet tbody th').allInnerTexts();
    assert.deepEqual(rowHeaders.map((t) => t.split('\n')[0]), ['epoch 1', 'epoch 2', 'epoch 3', 'epoch 4']);
    assert.equal(await page.locator('#contact-sheet tr.recommended').count(), 1);
    const badges = await page.locator('#contact-sheet .badge').allInnerTexts();
    assert.equal(badges.filter((b) => b === 'no face').length, 2);
    assert.equal(badges.filter((b) => b.startsWith('copy of')).length, 2);
    // Images decoded in the browser (not broken links).
    const loaded = await page.locator('#contact-sheet img.thumb').evaluateAll((imgs) => imgs.every((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0));
    assert.ok(loaded);
    const shot = await page.screenshot({ fullPage: false });
    await writeFile(path.join(root, 'report-screenshot.png'), shot);
    const stats = await sharp(shot).stats();
    const spread = stats.channels.reduce((a, c) => a + c.stdev, 0) / stats.channels.length;
    assert.ok(spread > 20, `screenshot looks blank (stdev ${spread.toFixed(1)})`);
  } finally {
    await browser.close();
  }
});

test('bad input gets coded errors that say what to do', async () => {
  const noRun = await runTack(['evaluate', root, '--run', '20990101-000000']);
  assert.equal(noRun.code, 3, noRun.stderr);
  assert.match(noRun.stderr, /EVAL_RUN_NOT_FOUND.*20990101-000000/);
  assert.match(noRun.stderr, new RegExp(`Runs: ${RUN_ID}`));
  const { dir: empty, cleanup: cleanEmpty } = await tempDir('tack-eval-empty-');
  try {
    assert.equal((await runTack(['init', path.join(empty, 'p'), '--token', 'xanrms', '--class', 'man'])).code, 0);
    const none = await runTack(['evaluate', path.join(empty, 'p')]);
    assert.equal(none.code, 3, none.stderr);
    assert.match(none.stderr, /EVAL_NO_RUNS[\s\S]*hint: Train first: tack train/);
    const notPng = path.join(empty, 'photo.jpg');
    await writeFile(notPng, await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } }).jpeg().toBuffer());
    const info = await runTack(['infotext', notPng]);
    assert.equal(info.code, 3, info.stderr);
    assert.match(info.stderr, /PROMPT_NOT_PNG.*photo\.jpg/);
  } finally {
    await cleanEmpty();
  }
});

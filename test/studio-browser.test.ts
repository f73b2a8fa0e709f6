/**
 * The studio end to end in a real Chromium, as a user goes through it: create a project, add
 * the demo photos (and photos of the subject) through the file chooser, see the doctor's badges
 * and a photo's bucket crop, remove photos and undo, edit a caption, change a setting and see
 * the plan change, train with the fake trainer (progress, samples, loss and likeness appearing
 * live), stop and resume, read the recommendation, inspect the LoRA. Each screen is saved under
 * test-output/studio/.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowserOrSkip } from './helpers/browser.js';
import { REPO_ROOT, tempDir } from './helpers/cli.js';
import { writeFaceSamples, writeSubjectPhotos } from './helpers/face-training.js';
import { fakeEngineEnv, writeFakeSdxlModel } from './helpers/fake-engine.js';
import { screenshotDir, spawnStudio, studioClient, type LiveStudio } from './helpers/studio.js';

// Functions passed to page.waitForFunction run in the page, where `document` exists.
declare const document: { querySelectorAll(selector: string): { length: number }; querySelector(selector: string): { textContent: string | null } | null };

let root: { dir: string; cleanup: () => Promise<void> };
let studio: LiveStudio;
let shots: string;

before(async () => {
  root = await tempDir('tack-studio-e2e-');
  const samples = path.join(root.dir, 'samples');
  await writeFaceSamples(samples, ['person-b-1', 'person-a-2', 'person-a-2'], 2);
  const env = fakeEngineEnv(root.dir, { FAKE_SD_SCRIPTS_SAMPLES_FROM: samples, FAKE_SD_SCRIPTS_STEP_SECONDS: '0.5' });
  await writeFakeSdxlModel(path.join(root.dir, 'sdxl-base.safetensors'));
  const loras = path.join(root.dir, 'loras');
  await (await import('node:fs/promises')).mkdir(loras);
  studio = await spawnStudio([loras], env);
  shots = await screenshotDir('studio');
});

after(async () => {
  await studio?.stop();
  await root?.cleanup();
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

test('a project from photos to a recommended LoRA, in the browser', async (t) => {
  const browser = await launchBrowserOrSkip(t);
  if (!browser) return;
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    // Projects: create one.
    await page.goto(studio.url);
    await page.waitForSelector('[data-test=new-project]');
    await page.fill('[data-test=new-folder]', 'ana');
    await page.fill('[data-test=new-token]', 'xanrms');
    await page.fill('[data-test=new-class]', 'woman');
    await shot(page, '01-projects');
    await page.click('[data-test=create-project]');
    await page.waitForSelector('[data-test=photos]');
    assert.equal(await page.textContent('[data-test=project-name]'), 'ana');

    // Photos: the demo photos and the subject's photos through the file chooser.
    const demoDir = path.join(REPO_ROOT, 'assets', 'demo');
    const demo = (await readdir(demoDir)).filter((f) => !f.endsWith('.md')).map((f) => path.join(demoDir, f));
    const subject = await writeSubjectPhotos(path.join(root.dir, 'subject'));
    await page.setInputFiles('[data-test=add-photos]', [...demo, ...subject]);
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=photo-card]').length === n, demo.filter((f) => !f.endsWith('.txt')).length + subject.length, { timeout: 90_000 });
    await page.waitForSelector('[data-test=verdict]', { timeout: 90_000 });
    const badges = await page.locator('[data-test=badges]').allTextContents();
    for (const badge of ['blurry', 'HEIC', 'turned by EXIF', 'low res x', 'near-dup 1']) assert.ok(badges.some((b) => b.includes(badge)), `badge "${badge}" in ${JSON.stringify(badges)}`);
    const cards = await page.locator('[data-test=photo-card] .name').allTextContents();
    assert.equal(cards[0], 'ana-blurry-08.jpg', 'worst first');
    await shot(page, '02-photos');

    // One photo: findings and the trainer's bucket crop over it.
    // A photo the trainer crops, so the cut strips show.
    const cropped = page.locator('[data-test=photo-card]', { has: page.locator('.badge', { hasText: /^crop \d+%$/ }) }).first();
    await ((await cropped.count()) ? cropped : page.locator('[data-test=photo-card]:has-text("ana-panorama-10.jpg")')).locator('a.thumb').click();
    await page.waitForSelector('[data-test=crop-overlay]');
    assert.ok((await page.textContent('[data-test=photo-detail]'))?.includes('cut'));
    await shot(page, '03-photo');

    // Remove the demo photos, undo, remove them again: the subject's photos stay.
    await page.click('[data-test=tab-photos]');
    await page.waitForSelector('[data-test=photo-card]');
    await page.waitForFunction(() => !document.querySelector('[data-test=verdict]')?.textContent?.includes('checking'), undefined, { timeout: 60_000 });
    for (const name of await page.locator('[data-test=photo-card] .name').allTextContents()) {
      if (!name.startsWith('person-a')) await page.check(`[aria-label="select ${name}"]`);
    }
    await page.click('[data-test=remove-selected]');
    await page.waitForSelector('[data-test=undo-toast]');
    await page.waitForFunction(() => document.querySelectorAll('[data-test=photo-card]').length === 4);
    await page.click('[data-test=undo-toast] button');
    await page.waitForFunction(() => document.querySelectorAll('[data-test=photo-card]').length > 4);
    for (const name of await page.locator('[data-test=photo-card] .name').allTextContents()) {
      if (!name.startsWith('person-a')) await page.check(`[aria-label="select ${name}"]`);
    }
    await page.click('[data-test=remove-selected]');
    await page.waitForFunction(() => document.querySelectorAll('[data-test=photo-card]').length === 4);

    // Captions: add a tag as a chip; it is saved in the caption file.
    await page.click('[data-test=tab-captions]');
    await page.waitForSelector('[data-test=caption-row]');
    const firstRow = page.locator('[data-test=caption-row]').first();
    await firstRow.locator('[data-test=tag-input]').fill('red scarf');
    await firstRow.locator('[data-test=tag-input]').press('Enter');
    await firstRow.locator('[data-test=chip]', { hasText: 'red scarf' }).waitFor();
    await page.waitForSelector('text=saved');
    const project = path.join(root.dir, 'loras', 'ana');
    const captionFile = path.join(project, 'captions', `${(await firstRow.locator('.caption-photo').textContent())?.replace(/\.jpg$/, '')}.txt`);
    assert.equal(await readFile(captionFile, 'utf8'), 'xanrms, red scarf\n');
    await shot(page, '04-captions');

    // Plan and settings: the base model and a short training by API, batch size in the form.
    const api = studioClient(studio);
    const pid = page.url().split('/p/')[1]?.split('/')[0] as string;
    const saved = await api.put(`/api/projects/${pid}/settings`, {
      patch: {
        base_model: path.join(root.dir, 'sdxl-base.safetensors'),
        'plan.target_image_repeats': 8,
        'plan.target_steps': 12,
        'train.network_dim': 1,
        'train.stop_grace_seconds': 2,
        'train.save_state': true,
        'samples.width': 64,
        'samples.height': 64,
        'samples.seeds': [7],
        'samples.prompts': ['{trigger} {class}, portrait', '{trigger} {class}, close-up'],
      },
    });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    await page.click('[data-test=tab-plan]');
    await page.waitForSelector('[data-test=plan]');
    const stepsBefore = await page.textContent('[data-test=plan-engine-total-steps]');
    await page.fill('[data-test=setting-plan-batch_size]', '0');
    await page.waitForSelector('[data-test=field-error]');
    assert.match((await page.textContent('[data-test=field-error]')) ?? '', /plan\.batch_size must be at least 1/);
    await page.fill('[data-test=setting-plan-batch_size]', '1');
    await page.waitForFunction(() => !document.querySelector('[data-test=field-error]'));
    await page.click('[data-test=save-settings]');
    await page.waitForFunction((before) => document.querySelector('[data-test=plan-engine-total-steps]')?.textContent !== before, stepsBefore);
    const stepsAfter = await page.textContent('[data-test=plan-engine-total-steps]');
    assert.notEqual(stepsAfter, stepsBefore, 'the plan follows the setting');
    await shot(page, '05-plan');

    // Train: start, watch it live, stop, resume.
    await page.click('[data-test=tab-train]');
    await page.click('[data-test=start-training]');
    await page.waitForSelector('[data-test=progress] >> text=training', { timeout: 90_000 });
    await page.waitForSelector('[data-test=sample]', { timeout: 90_000 });
    await page.waitForSelector('[data-test=loss-chart] polyline');
    await shot(page, '06-training');
    await page.click('[data-test=stop-training]');
    await page.waitForSelector('[data-test=outcome] >> text=cancelled', { timeout: 60_000 });
    await shot(page, '07-stopped');
    await page.click('[data-test=resume-training]');
    await page.waitForSelector('[data-test=outcome] >> text=succeeded', { timeout: 120_000 });
    await page.waitForFunction(() => document.querySelectorAll('[data-test=likeness-chart] circle').length >= 2, undefined, { timeout: 180_000 });
    assert.ok((await page.locator('[data-test=sample]').count()) >= 4, 'every epoch\'s samples are shown');
    await shot(page, '08-trained');

    // Evaluate: the recommendation in words, the grid, the comparison.
    await page.click('[data-test=tab-evaluate]');
    await page.waitForSelector('[data-test=recommendation]', { timeout: 180_000 });
    const recommendation = (await page.textContent('[data-test=recommendation]')) ?? '';
    assert.match(recommendation, /epoch 2/i, recommendation);
    await page.waitForSelector('[data-test=likeness-grid]');
    await shot(page, '09-evaluate');

    // The LoRA file: inspect the final checkpoint.
    const runId = (await readdir(path.join(project, 'runs'))).sort().at(-1) as string;
    await page.click('[data-test=nav-lora]');
    await page.setInputFiles('[data-test=lora-file]', path.join(project, 'runs', runId, 'output', 'ana.safetensors'));
    await page.waitForSelector('[data-test=inspect]');
    assert.match((await page.textContent('[data-test=inspect]')) ?? '', /SDXL/);
    await shot(page, '10-lora');
    assert.deepEqual(errors, [], 'no script errors on any page');
  } catch (error) {
    // What the page showed, and the jobs, to see why.
    await shot(page, 'failure').catch(() => undefined);
    const jobs = await studioClient(studio).get('/api/jobs?all=1').catch(() => undefined);
    throw Object.assign(error as Error, { message: `${(error as Error).message}\njobs: ${JSON.stringify(jobs?.body).slice(0, 4000)}` });
  } finally {
    await browser.close();
  }
});

/**
 * `tack caption` and `tack tags` end to end: the built CLI, a generated WD14-shaped model served
 * by a local fake Hugging Face Hub, real photos made with sharp.
 */
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { checkCaptionText } from '../../src/caption/check.js';
import { runTack, tempDir } from '../helpers/cli.js';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub.js';
import { fixtureLabelsCsv, fixtureTaggerBytes } from '../helpers/tagger-fixture.js';

const REPO = 'SmilingWolf/wd-v1-4-moat-tagger-v2';
let hub: FakeHub;
let root: string;
let cleanup: () => Promise<void>;

before(async () => {
  hub = await startFakeHub([
    {
      id: REPO,
      files: [
        { path: 'model.onnx', content: fixtureTaggerBytes(64), lfs: true },
        { path: 'selected_tags.csv', content: fixtureLabelsCsv() },
      ],
    },
    { id: 'SmilingWolf/wd-vit-large-tagger-v3', files: [{ path: 'model.onnx', content: fixtureTaggerBytes(448), lfs: true }, { path: 'selected_tags.csv', content: fixtureLabelsCsv() }] },
  ]);
  ({ dir: root, cleanup } = await tempDir('tack-caption-'));
});
after(async () => {
  await hub.close();
  await cleanup();
});

function envFor(cache: string): NodeJS.ProcessEnv {
  return { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '' };
}

async function makeProject(name: string, photos: Record<string, { width: number; height: number; color: string; format?: 'jpeg' | 'png' }>): Promise<string> {
  const dir = path.join(root, name);
  const init = await runTack(['init', dir, '--token', 'xanrms', '--class', 'woman']);
  assert.equal(init.code, 0, init.stderr);
  await fsp.mkdir(path.join(dir, 'photos'), { recursive: true });
  for (const [file, p] of Object.entries(photos)) {
    const image = sharp({ create: { width: p.width, height: p.height, channels: 3, background: p.color } });
    await (p.format === 'jpeg' ? image.jpeg({ quality: 95 }) : image.png()).toFile(path.join(dir, 'photos', file));
  }
  return dir;
}

const read = (dir: string, file: string) => fsp.readFile(path.join(dir, 'captions', file), 'utf8');

test('tack caption downloads the tagger into the Hugging Face cache and writes captions under the rules', async () => {
  const cache = path.join(root, 'hf-1');
  const dir = await makeProject('p1', {
    'red.jpg': { width: 64, height: 64, color: '#ff0000', format: 'jpeg' },
    'blue.png': { width: 64, height: 64, color: '#0000ff' },
    'wide.png': { width: 64, height: 32, color: '#ff0000' },
  });
  const run = await runTack(['caption', dir, '--json'], { env: envFor(cache) });
  assert.equal(run.code, 0, run.stderr);
  const doc = JSON.parse(run.stdout);
  assert.equal(doc.kind, 'caption');
  assert.equal(doc.model, REPO);
  assert.equal(doc.commit, hub.commitOf(REPO));
  assert.equal(doc.modelDownloaded, true);
  assert.deepEqual(doc.counts, { written: 3, unchanged: 0, 'hand-written': 0, failed: 0 });
  // BGR and the 0-255 range: a red photo is "red theme", a blue one "blue theme" (swapped channels would flip them).
  // Trigger first with a comma, the class tag next, underscores removed except in ^_^, no score_9 (P15),
  // the character tag (score 0.6) below the 0.85 default.
  assert.equal(await read(dir, 'red.txt'), 'xanrms, 1girl, solo, long hair, red theme, ^_^\n');
  assert.equal(await read(dir, 'blue.txt'), 'xanrms, 1girl, solo, long hair, blue theme, ^_^\n');
  // A 64x32 photo is padded to a square with white: its mean green is 127.5, which fires "white padding".
  assert.equal(await read(dir, 'wide.txt'), 'xanrms, 1girl, solo, long hair, red theme, white padding, ^_^\n');
  // The rules the doctor checks hold on every caption written: no error or warning.
  for (const file of await fsp.readdir(path.join(dir, 'captions'))) {
    const findings = checkCaptionText(await fsp.readFile(path.join(dir, 'captions', file)), { token: 'xanrms', className: 'woman', captioner: 'wd14', tokenLimit: 0 });
    assert.deepEqual(findings.filter((f) => f.severity !== 'info'), [], file);
  }
  const folder = path.join(cache, 'models--SmilingWolf--wd-v1-4-moat-tagger-v2');
  assert.equal((await fsp.readFile(path.join(folder, 'refs', 'main'), 'utf8')).trim(), hub.commitOf(REPO));
  assert.ok((await fsp.lstat(path.join(folder, 'snapshots', hub.commitOf(REPO), 'model.onnx'))).isSymbolicLink());
  // The raw model output is kept next to the captions' history.
  const raw = JSON.parse(await fsp.readFile(path.join(dir, '.tack', 'captions', 'raw', 'red.json'), 'utf8'));
  assert.ok(raw.outputs[`wd14:${REPO}`].scores.some((s: unknown[]) => s[1] === 'hatsune_miku'));
});

test('reruns skip finished photos, re-derive changed thresholds from kept output, and keep hand-written captions', async () => {
  const cache = path.join(root, 'hf-2');
  const dir = await makeProject('p2', {
    'red.jpg': { width: 64, height: 64, color: '#ff0000', format: 'jpeg' },
    'mine.png': { width: 64, height: 64, color: '#000000' },
  });
  await fsp.writeFile(path.join(dir, 'captions', 'mine.txt'), 'xanrms, my own words\n');
  const first = await runTack(['caption', dir, '--json'], { env: envFor(cache) });
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(JSON.parse(first.stdout).counts, { written: 1, unchanged: 0, 'hand-written': 1, failed: 0 });
  assert.equal(await read(dir, 'mine.txt'), 'xanrms, my own words\n');

  const again = JSON.parse((await runTack(['caption', dir, '--json'], { env: envFor(cache) })).stdout);
  assert.deepEqual(again.counts, { written: 0, unchanged: 1, 'hand-written': 1, failed: 0 });
  assert.equal(again.modelRuns, 0);

  const requests = hub.requests.length;
  const strict = JSON.parse((await runTack(['caption', dir, '--threshold', '0.6', '--character-threshold', '0.5', '--json'], { env: envFor(cache) })).stdout);
  assert.equal(strict.modelRuns, 0, 'thresholds are re-applied to the kept scores');
  assert.equal(hub.requests.length, requests, 'no download or Hub request when the kept output serves');
  assert.equal(await read(dir, 'red.txt'), 'xanrms, 1girl, solo, red theme, hatsune miku\n');

  // A caption edited by hand after tack wrote it is the user's now.
  await fsp.writeFile(path.join(dir, 'captions', 'red.txt'), 'xanrms, 1girl, my edit\n');
  const kept = JSON.parse((await runTack(['caption', dir, '--json'], { env: envFor(cache) })).stdout);
  assert.equal(kept.counts['hand-written'], 2);
  assert.equal(await read(dir, 'red.txt'), 'xanrms, 1girl, my edit\n');

  const overwrite = await runTack(['caption', dir, '--overwrite'], { env: envFor(cache) });
  assert.equal(overwrite.code, 0, overwrite.stderr);
  assert.equal(await read(dir, 'mine.txt'), 'xanrms, 1girl, solo, long hair, ^_^\n');
  // ... and undo brings the hand-written captions back.
  const undo = await runTack(['tags', dir, 'undo'], { env: envFor(cache) });
  assert.equal(undo.code, 0, undo.stderr);
  assert.match(undo.stdout, /restored 2 captions/);
  assert.equal(await read(dir, 'mine.txt'), 'xanrms, my own words\n');
  assert.equal(await read(dir, 'red.txt'), 'xanrms, 1girl, my edit\n');
});

test('the model input size is read from the model (448 like the real taggers)', async () => {
  const dir = await makeProject('p3', { 'wide.png': { width: 900, height: 300, color: '#ff0000' } });
  const run = await runTack(['caption', dir, '--model', 'wd-vit-large-tagger-v3', '--json'], { env: envFor(path.join(root, 'hf-3')) });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).model, 'SmilingWolf/wd-vit-large-tagger-v3');
  // 900x300 padded to 900x900 (two thirds white) then shrunk with INTER_AREA to 448: mean green 170.
  assert.equal(await read(dir, 'wide.txt'), 'xanrms, 1girl, solo, long hair, red theme, white padding, ^_^\n');
});

test('tag editing: table, remove, replace, add with a filter, undo in order, suggest', async () => {
  const cache = path.join(root, 'hf-4');
  const dir = await makeProject('p4', {
    'a.png': { width: 64, height: 64, color: '#ff0000' },
    'b.png': { width: 64, height: 64, color: '#0000ff' },
    'c.png': { width: 64, height: 32, color: '#ff0000' },
  });
  const captioned = await runTack(['caption', dir], { env: envFor(cache) });
  assert.equal(captioned.code, 0, captioned.stderr);
  const table = JSON.parse((await runTack(['tags', dir, '--json'])).stdout);
  assert.equal(table.kind, 'tags');
  assert.equal(table.captions, 3);
  assert.deepEqual(table.tags.find((t: { tag: string }) => t.tag === 'red theme'), { tag: 'red theme', count: 2, share: 2 / 3 });

  const removed = await runTack(['tags', dir, 'remove', 'solo,^_^']);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(await read(dir, 'a.txt'), 'xanrms, 1girl, long hair, red theme\n');
  const replaced = await runTack(['tags', dir, 'replace', 'long hair=very long hair']);
  assert.equal(replaced.code, 0, replaced.stderr);
  const added = await runTack(['tags', dir, 'add', 'film grain', '--where', 'red theme,!white padding']);
  assert.equal(added.code, 0, added.stderr);
  assert.equal(await read(dir, 'a.txt'), 'xanrms, 1girl, very long hair, red theme, film grain\n');
  assert.equal(await read(dir, 'b.txt'), 'xanrms, 1girl, very long hair, blue theme\n');
  assert.equal(await read(dir, 'c.txt'), 'xanrms, 1girl, very long hair, red theme, white padding\n');

  // The trigger is never removed.
  await runTack(['tags', dir, 'remove', 'xanrms']);
  assert.match(await read(dir, 'b.txt'), /^xanrms, /);

  // Edits are re-applied when tack regenerates its captions (here from kept output, new threshold).
  const regen = JSON.parse((await runTack(['caption', dir, '--threshold', '0.3', '--json'], { env: envFor(cache) })).stdout);
  assert.equal(regen.modelRuns, 0);
  assert.equal(await read(dir, 'a.txt'), 'xanrms, 1girl, very long hair, red theme, film grain\n');

  const suggest = JSON.parse((await runTack(['tags', dir, 'suggest', '--json'])).stdout);
  assert.deepEqual(
    suggest.suggestions.map((s: { tag: string; kind: string }) => [s.tag, s.kind]),
    [['very long hair', 'trait']],
  );

  // Undo walks back one change at a time: the regeneration changed nothing, so the add goes first.
  const history = JSON.parse((await runTack(['tags', dir, 'history', '--json'])).stdout);
  assert.deepEqual(
    history.entries.map((e: { command: string }) => e.command.split(' ').slice(0, 4).join(' ')),
    [`tack tags ${dir} add`, `tack tags ${dir} replace`, `tack tags ${dir} remove`, `tack caption ${dir}`],
  );
  assert.equal((await runTack(['tags', dir, 'undo'])).code, 0);
  assert.equal(await read(dir, 'a.txt'), 'xanrms, 1girl, very long hair, red theme\n');
  assert.equal((await runTack(['tags', dir, 'undo'])).code, 0);
  assert.equal(await read(dir, 'a.txt'), 'xanrms, 1girl, long hair, red theme\n');
  assert.equal((await runTack(['tags', dir, 'undo'])).code, 0);
  assert.equal(await read(dir, 'a.txt'), 'xanrms, 1girl, solo, long hair, red theme, ^_^\n');
  // Undoing the caption run removes the captions it created.
  assert.equal((await runTack(['tags', dir, 'undo'])).code, 0);
  await assert.rejects(read(dir, 'a.txt'), /ENOENT/);
  const nothing = await runTack(['tags', dir, 'undo']);
  assert.equal(nothing.code, 3);
  assert.match(nothing.stderr, /CAPTION_NOTHING_TO_UNDO/);
});

test('undo refuses to overwrite captions changed by hand since, unless --force', async () => {
  const cache = path.join(root, 'hf-5');
  const dir = await makeProject('p5', { 'a.png': { width: 64, height: 64, color: '#ff0000' } });
  assert.equal((await runTack(['caption', dir], { env: envFor(cache) })).code, 0);
  assert.equal((await runTack(['tags', dir, 'remove', 'solo'])).code, 0);
  await fsp.writeFile(path.join(dir, 'captions', 'a.txt'), 'xanrms, hand made\n');
  const refused = await runTack(['tags', dir, 'undo']);
  assert.equal(refused.code, 3);
  assert.match(refused.stderr, /CAPTION_UNDO_CONFLICT.*captions\/a\.txt/);
  assert.equal(await read(dir, 'a.txt'), 'xanrms, hand made\n');
  assert.equal((await runTack(['tags', dir, 'undo', '--force'])).code, 0);
  assert.equal(await read(dir, 'a.txt'), 'xanrms, 1girl, solo, long hair, red theme, ^_^\n');
});

test('offline without a cached model: a clear error with the manual steps; --model-dir works offline', async () => {
  const dir = await makeProject('p6', { 'a.png': { width: 64, height: 64, color: '#0000ff' } });
  const offline = await runTack(['caption', dir, '--offline'], { env: envFor(path.join(root, 'hf-empty')) });
  assert.equal(offline.code, 4);
  assert.match(offline.stderr, /HUB_OFFLINE/);
  assert.match(offline.stderr, /selected_tags\.csv.*--model-dir/s);
  const modelDir = path.join(root, 'manual-model');
  await fsp.mkdir(modelDir, { recursive: true });
  await fsp.writeFile(path.join(modelDir, 'model.onnx'), fixtureTaggerBytes(64));
  await fsp.writeFile(path.join(modelDir, 'selected_tags.csv'), fixtureLabelsCsv());
  const local = await runTack(['caption', dir, '--offline', '--model-dir', modelDir], { env: envFor(path.join(root, 'hf-empty')) });
  assert.equal(local.code, 0, local.stderr);
  assert.equal(await read(dir, 'a.txt'), 'xanrms, 1girl, solo, long hair, blue theme, ^_^\n');
});

test('bad options and unreadable photos are named', async () => {
  const dir = await makeProject('p7', { 'a.png': { width: 64, height: 64, color: '#ff0000' } });
  await fsp.writeFile(path.join(dir, 'photos', 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
  const unknown = await runTack(['caption', dir, '--model', 'wd-vit-largetagger-v3']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /TAGGER_UNKNOWN_MODEL.*\n.*Did you mean wd-vit-large-tagger-v3\?/);
  const threshold = await runTack(['caption', dir, '--threshold', '1.5']);
  assert.equal(threshold.code, 2);
  assert.match(threshold.stderr, /--threshold must be a number from 0 to 1; got "1.5"/);
  const run = await runTack(['caption', dir, '--json'], { env: envFor(path.join(root, 'hf-7')) });
  assert.equal(run.code, 0, run.stderr);
  const doc = JSON.parse(run.stdout);
  assert.deepEqual(doc.counts, { written: 1, unchanged: 0, 'hand-written': 0, failed: 1 });
  const failed = doc.photos.find((p: { photo: string }) => p.photo === 'broken.jpg');
  assert.equal(failed.status, 'failed');
  assert.match(failed.error.code, /^IMAGE_/);
  assert.ok(doc.findings.some((f: { code: string; subject?: string }) => f.code === 'CAPTION_PHOTO_FAILED' && f.subject === 'broken.jpg'));
  const badEdit = await runTack(['tags', dir, 'replace', 'no-equals-sign']);
  assert.equal(badEdit.code, 2);
  assert.match(badEdit.stderr, /CAPTION_BAD_EDIT.*"no-equals-sign" is not old=new/);
  const badAction = await runTack(['tags', dir, 'remvoe', 'solo']);
  assert.match(badAction.stderr, /Did you mean "remove"\?/);
});

test('captioner none writes trigger + class for photos without a caption', async () => {
  const dir = await makeProject('p8', { 'a.png': { width: 64, height: 64, color: '#ff0000' } });
  const run = await runTack(['caption', dir, '--captioner', 'none']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(await read(dir, 'a.txt'), 'xanrms, woman\n');
});

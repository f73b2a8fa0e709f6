/**
 * Sentence captions from a local transformers.js model: a generated vision-encoder-decoder
 * captioner served by the fake Hub, downloaded into the Hugging Face cache and run through
 * transformers.js on onnxruntime-node by the built CLI.
 */
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { runTack, tempDir } from '../helpers/cli.js';
import { tinyCaptionerFiles } from '../helpers/captioner-fixture.js';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub.js';

const REPO = 'tack-test/tiny-captioner';
let hub: FakeHub;
let tmp: { dir: string; cleanup: () => Promise<void> };

before(async () => {
  hub = await startFakeHub([{ id: REPO, files: tinyCaptionerFiles() }]);
  tmp = await tempDir('tack-local-captioner-');
});
after(async () => {
  await hub.close();
  await tmp.cleanup();
});

test('tack caption --captioner sentence runs a local transformers.js captioner fetched from the Hub', async () => {
  const dir = path.join(tmp.dir, 'proj');
  assert.equal((await runTack(['init', dir, '--token', 'xanrms', '--class', 'woman'])).code, 0);
  await fsp.mkdir(path.join(dir, 'photos'), { recursive: true });
  await sharp({ create: { width: 120, height: 80, channels: 3, background: '#e8e8e8' } }).jpeg().toFile(path.join(dir, 'photos', 'bright.jpg'));
  await sharp({ create: { width: 80, height: 120, channels: 3, background: '#141414' } }).png().toFile(path.join(dir, 'photos', 'dark.png'));
  const env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: path.join(tmp.dir, 'hf'), HF_HUB_OFFLINE: '' };
  const run = await runTack(['caption', dir, '--captioner', 'sentence', '--sentence-backend', 'local', '--sentence-model', REPO, '--json'], { env });
  assert.equal(run.code, 0, run.stderr);
  const doc = JSON.parse(run.stdout);
  assert.equal(doc.model, REPO);
  assert.deepEqual(doc.counts, { written: 2, unchanged: 0, 'hand-written': 0, failed: 0 });
  // The image reaches the model: bright and dark photos get different sentences.
  assert.equal(await fsp.readFile(path.join(dir, 'captions', 'bright.txt'), 'utf8'), 'xanrms, a woman smiling outdoors\n');
  assert.equal(await fsp.readFile(path.join(dir, 'captions', 'dark.txt'), 'utf8'), 'xanrms, a woman smiling indoors\n');
  const snapshot = path.join(tmp.dir, 'hf', 'models--tack-test--tiny-captioner', 'snapshots', hub.commitOf(REPO));
  assert.ok((await fsp.lstat(path.join(snapshot, 'onnx', 'decoder_model_merged.onnx'))).isSymbolicLink());

  // With the model cached, a rerun of a changed photo works with the network off.
  await fsp.rm(path.join(dir, 'captions', 'dark.txt'));
  const offline = await runTack(['caption', dir, '--captioner', 'sentence', '--sentence-backend', 'local', '--sentence-model', REPO, '--offline'], { env });
  assert.equal(offline.code, 0, offline.stderr);
  assert.equal(await fsp.readFile(path.join(dir, 'captions', 'dark.txt'), 'utf8'), 'xanrms, a woman smiling indoors\n');
});

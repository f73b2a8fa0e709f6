/**
 * Choosing the face model: the default ships with tack and never downloads; a downloadable
 * model is fetched only when something needs embedding, and a download whose SHA-256 is not the
 * pinned one is refused and deleted (a local server stands in for the model host).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../test/helpers/cli.js';
import { TackError } from '../core/index.js';
import { TFJS_FACE_MODEL_SPECS } from '../io/index.js';
import { projectSchema } from '../project/index.js';
import { chooseFaceModel } from './index.js';

const samples = (extra: Record<string, unknown>) => projectSchema.parse({ name: 'x', token: 'xanrms', class: 'man', samples: extra }).samples;

test('the default model is faceres, bundled: its files resolve without any download; "human" is the same model', async () => {
  const { dir, cleanup } = await tempDir('tack-face-model-');
  try {
    const choice = await chooseFaceModel(samples({}), dir, { cacheDir: path.join(dir, 'cache') });
    assert.equal(choice.name, 'faceres');
    assert.deepEqual(choice.calibration, TFJS_FACE_MODEL_SPECS.faceres.calibration);
    const legacy = await chooseFaceModel(samples({ face_model: 'human' }), dir, { cacheDir: path.join(dir, 'cache') });
    assert.equal(legacy.modelId, choice.modelId, 'older tack.toml files keep working');
    assert.ok(!existsSync(path.join(dir, 'cache')), 'nothing was downloaded');
  } finally {
    await cleanup();
  }
});

test('a downloadable model is fetched on first load only, and a file with the wrong SHA-256 is refused and deleted', async () => {
  const { dir, cleanup } = await tempDir('tack-face-model-');
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from('not the model'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/`;
    const cacheDir = path.join(dir, 'cache');
    const choice = await chooseFaceModel(samples({ face_model: 'mobileface', face_model_url: url }), dir, { cacheDir, workers: 1 });
    assert.match(choice.modelId, /^mobileface-/);
    assert.equal(requests.length, 0, 'choosing the model (and reading cached embeddings) downloads nothing');
    await assert.rejects(choice.load(), (e: unknown) => e instanceof TackError && e.code === 'FACE_MODEL_CHECKSUM' && /deleted/.test(e.message));
    assert.ok(requests.some((r) => r.endsWith('/models/mobileface.json')), requests.join(', '));
    assert.deepEqual(await readdir(path.join(cacheDir, 'face-tfjs')), [], 'no partial or bad file is kept');
    await choice.close();
  } finally {
    server.close();
    await cleanup();
  }
});

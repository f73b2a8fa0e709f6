/**
 * The optional ONNX face model: downloaded once from a URL (a local server here) into the
 * cache and checked against its SHA-256, faces aligned on five landmarks to the 112x112
 * template, embedded by a small ONNX model the test writes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { tempDir } from '../../test/helpers/cli.js';
import { editedFace } from '../../test/helpers/faces.js';
import { OnnxModelBuilder, seededRandom } from '../../test/helpers/onnx.js';
import { TackError } from '../core/index.js';
import { alignFace, similarityTransform } from '../io/index.js';
import { projectSchema } from '../project/index.js';
import { chooseFaceModel } from './index.js';

async function writeFaceModel(file: string): Promise<void> {
  const m = new OnnxModelBuilder();
  const x = m.input('input.1', 'float32', ['N', 3, 112, 112]);
  const features = m.relu(m.conv(x, { inChannels: 3, outChannels: 8, kernel: 3, stride: 4, pad: 1, rng: seededRandom(7) }));
  m.output(m.linear(m.flatten(m.globalAveragePool(features)), 8, 16, { rng: seededRandom(8) }), 'float32', ['N', 16], 'embedding');
  await m.write(file);
}

test('similarity transform recovers a known rotation, scale and shift; alignment maps landmarks onto the template', async () => {
  const angle = 0.3;
  const scale = 2.5;
  const from: Array<[number, number]> = [
    [10, 20],
    [40, 22],
    [25, 35],
    [15, 50],
    [37, 49],
  ];
  const to = from.map(([x, y]) => [scale * (Math.cos(angle) * x - Math.sin(angle) * y) + 7, scale * (Math.sin(angle) * x + Math.cos(angle) * y) - 3] as [number, number]);
  const t = similarityTransform(from, to);
  assert.ok(Math.abs(t.a - scale * Math.cos(angle)) < 1e-9 && Math.abs(t.b - scale * Math.sin(angle)) < 1e-9);
  assert.ok(Math.abs(t.tx - 7) < 1e-9 && Math.abs(t.ty + 3) < 1e-9);

  // An image whose landmarks already sit on the template comes out unchanged (same pixels, scaled to -1..1).
  const raw = await sharp({ create: { width: 112, height: 112, channels: 3, background: { r: 30, g: 200, b: 90 } } }).raw().toBuffer();
  const landmarks = [38.2946, 51.6963, 73.5318, 51.5014, 56.0252, 71.7366, 41.5493, 92.3655, 70.7299, 92.2041];
  const out = alignFace({ data: raw, width: 112, height: 112 }, landmarks, 112, { layout: 'nchw', range: 'signed' });
  assert.ok(Math.abs((out[50 * 112 + 50] as number) - (30 - 127.5) / 127.5) < 1e-6);
  assert.ok(Math.abs((out[112 * 112 + 50 * 112 + 50] as number) - (200 - 127.5) / 127.5) < 1e-6);
});

test('an ONNX face model URL is downloaded once, checked by SHA-256, and embeds faces found by the bundled detector', async () => {
  const { dir, cleanup } = await tempDir('tack-onnx-face-');
  let downloads = 0;
  const modelFile = path.join(dir, 'served.onnx');
  await writeFaceModel(modelFile);
  const bytes = await readFile(modelFile);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const server = createServer((req, res) => {
    if (req.url !== '/models/arcface-test.onnx') {
      res.writeHead(404).end();
      return;
    }
    downloads++;
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/arcface-test.onnx`;
  try {
    const settings = projectSchema.parse({ name: 'x', token: 'xanrms', class: 'man', samples: { face_model: 'onnx', onnx_model: url, onnx_model_sha256: sha256 } }).samples;
    const cacheDir = path.join(dir, 'cache');
    const choice = await chooseFaceModel(settings, dir, { cacheDir, workers: 1 });
    assert.match(choice.modelId, new RegExp(`^onnx-${sha256.slice(0, 16)}`));
    assert.equal(downloads, 1);
    const again = await chooseFaceModel(settings, dir, { cacheDir });
    assert.equal(again.modelId, choice.modelId);
    assert.equal(downloads, 1, 'the cached file is reused');
    assert.equal((await readdir(path.join(cacheDir, 'face'))).filter((f) => f.includes('.part')).length, 0);

    const embedder = await choice.load();
    try {
      const { data, info } = await sharp(await editedFace('person-a-1', 'original', { maxSide: 512 })).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const result = await embedder.analyze({ data, width: info.width, height: info.height });
      assert.equal(result.faces.length, 1);
      const face = result.faces[0] as { embedding: Float32Array; landmarks?: readonly number[]; box: readonly number[] };
      assert.equal(face.embedding.length, 16);
      assert.ok(Math.abs(Math.hypot(...face.embedding) - 1) < 1e-4, 'unit length');
      // The eyes are above the mouth and inside the face box.
      const [lx, ly, rx, ry, , , mlx, mly] = face.landmarks ?? [];
      assert.ok((lx as number) < (rx as number) && (ly as number) < (mly as number) && (ry as number) < (mly as number));
      assert.ok((mlx as number) > (face.box[0] as number) && (mlx as number) < (face.box[0] as number) + (face.box[2] as number));
    } finally {
      await choice.close();
    }

    const wrong = projectSchema.parse({ name: 'x', token: 'xanrms', class: 'man', samples: { face_model: 'onnx', onnx_model: url, onnx_model_sha256: '0'.repeat(64) } }).samples;
    await assert.rejects(chooseFaceModel(wrong, dir, { cacheDir: path.join(dir, 'cache2') }), (e: unknown) => e instanceof TackError && e.code === 'FACE_MODEL_CHECKSUM' && /deleted/.test(e.message));
    assert.deepEqual(await readdir(path.join(dir, 'cache2', 'face')), [], 'a bad download is not kept');

    const missing = projectSchema.parse({ name: 'x', token: 'xanrms', class: 'man', samples: { face_model: 'onnx', onnx_model: 'nope.onnx' } }).samples;
    await assert.rejects(chooseFaceModel(missing, dir, { cacheDir }), (e: unknown) => e instanceof TackError && e.code === 'FACE_MODEL_LOAD_FAILED' && e.message.includes('nope.onnx'));
  } finally {
    server.close();
    await cleanup();
  }
});

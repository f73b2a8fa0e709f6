/** The tagger pipeline on generated models: batching, fixed batch sizes, and models that do not fit. */
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { loadTagger, runTagger, type TaggerFiles, type TaggerItem } from '../../src/caption/wd14/tagger.js';
import { TackError } from '../../src/core/index.js';
import { probeImage } from '../../src/io/image.js';
import { tempDir } from '../helpers/cli.js';
import { buildTaggerModel, formatSelectedTagsCsv, OnnxModelBuilder } from '../helpers/onnx.js';
import { FIXTURE_TAGS, fixtureLabelsCsv, fixtureTaggerBytes } from '../helpers/tagger-fixture.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
before(async () => {
  tmp = await tempDir('tack-tagger-');
});
after(() => tmp.cleanup());

async function files(name: string, model: Uint8Array, csv: string | Buffer = fixtureLabelsCsv()): Promise<TaggerFiles> {
  const dir = path.join(tmp.dir, name);
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(path.join(dir, 'model.onnx'), model);
  await fsp.writeFile(path.join(dir, 'selected_tags.csv'), csv);
  return { modelFile: path.join(dir, 'model.onnx'), labelsFile: path.join(dir, 'selected_tags.csv'), source: dir, downloaded: false };
}

async function photos(colors: string[]): Promise<TaggerItem[]> {
  const items: TaggerItem[] = [];
  for (const [i, color] of colors.entries()) {
    const file = path.join(tmp.dir, `photo-${i}.png`);
    await sharp({ create: { width: 40, height: 40, channels: 3, background: color } }).png().toFile(file);
    items.push({ key: `photo-${i}`, file, probe: await probeImage(file) });
  }
  return items;
}

const redTheme = FIXTURE_TAGS.findIndex((t) => t.name === 'red_theme');

test('every photo gets its own scores, in order, whatever the batch size; a photo that fails to decode is reported', async () => {
  const tagger = await loadTagger(await files('dyn', fixtureTaggerBytes(32)));
  assert.equal(tagger.size, 32);
  const items = await photos(['#ff0000', '#0000ff', '#ff0000', '#0000ff', '#ff0000']);
  const broken = path.join(tmp.dir, 'broken.png');
  await fsp.writeFile(broken, Buffer.from('\x89PNG\r\n\x1a\n not really'));
  items.splice(2, 0, { key: 'broken', file: broken, probe: { ...(items[0] as TaggerItem).probe } });
  for (const batchSize of [1, 2, 4]) {
    const seen: string[] = [];
    await runTagger(tagger, items, {
      batchSize,
      onBatch: async (results) => {
        for (const { item, result } of results) {
          if (result.kind === 'failed') {
            seen.push(`${item.key}:failed`);
            continue;
          }
          seen.push(`${item.key}:${(result.scores[redTheme] as number) > 0.5 ? 'red' : 'blue'}`);
        }
      },
    });
    assert.deepEqual(seen, ['photo-0:red', 'photo-1:blue', 'broken:failed', 'photo-2:red', 'photo-3:blue', 'photo-4:red'], `batch ${batchSize}`);
  }
  await tagger.close();
});

test('a model with a fixed batch dimension gets full batches (padded) and its size wins', async () => {
  const m = buildTaggerModel({ size: 32, tagCount: FIXTURE_TAGS.length, batch: 4 });
  const tagger = await loadTagger(await files('fixed', m.toBytes()));
  assert.equal(tagger.fixedBatch, 4);
  const items = await photos(['#ff0000', '#0000ff', '#00ff00']);
  let count = 0;
  await runTagger(tagger, items, { batchSize: 1, onBatch: async (r) => void (count += r.length) });
  assert.equal(count, 3);
  await tagger.close();
});

test('models that do not fit are refused with what is wrong', async () => {
  const nchw = new OnnxModelBuilder();
  const x = nchw.input('pixel_values', 'float32', ['N', 3, 32, 32]);
  nchw.output(nchw.linear(nchw.reduceMean(x, [2, 3]), 3, FIXTURE_TAGS.length), 'float32', ['N', FIXTURE_TAGS.length], 'predictions_sigmoid');
  await assert.rejects(loadTagger(await files('nchw', nchw.toBytes())), (e: unknown) => e instanceof TackError && e.code === 'TAGGER_UNSUPPORTED_MODEL' && /\[N, 3, 32, 32\]/.test(e.message));

  const fewer = formatSelectedTagsCsv(FIXTURE_TAGS.slice(0, 5));
  await assert.rejects(loadTagger(await files('mismatch', fixtureTaggerBytes(32), fewer)), (e: unknown) => e instanceof TackError && e.code === 'TAGGER_BAD_LABELS' && /lists 5 tags but the model scores 13/.test(e.message));

  const truncated = fixtureTaggerBytes(32).subarray(0, 100);
  await assert.rejects(loadTagger(await files('truncated', truncated)), (e: unknown) => e instanceof TackError && e.code === 'ONNX_LOAD_FAILED' && /download|damaged/i.test(e.hint));
});

/** Photos decoded for the tagger: EXIF orientation applied, transparency on white, padding, BGR. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { probeImage } from '../../src/io/image.js';
import { readTaggerInput } from '../../src/io/model-input.js';
import { tempDir } from '../helpers/cli.js';

const tmp = await tempDir('tack-tagger-input-');
after(() => tmp.cleanup());

function pixel(t: Float32Array, size: number, x: number, y: number): number[] {
  return [...t.subarray((y * size + x) * 3, (y * size + x) * 3 + 3)].map((v) => Math.round(v));
}

test('a phone photo stored sideways (EXIF orientation 6) is tagged upright', async () => {
  // Stored 40x20: left half red, right half blue. Orientation 6 shows it rotated 90 degrees
  // clockwise: 20 wide, 40 tall, red on top.
  const raw = Buffer.alloc(40 * 20 * 3);
  for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) raw.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
  const file = path.join(tmp.dir, 'sideways.jpg');
  await sharp(raw, { raw: { width: 40, height: 20, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toFile(file);
  const probe = await probeImage(file);
  assert.equal(probe.orientation, 6);
  const t = await readTaggerInput(file, probe, 40);
  // Padded to 40x40: 10 white columns left and right.
  assert.deepEqual(pixel(t, 40, 2, 5), [255, 255, 255]);
  const top = pixel(t, 40, 20, 5);
  const bottom = pixel(t, 40, 20, 35);
  assert.ok(top[2]! > 240 && top[0]! < 15, `top is red (BGR ${top})`);
  assert.ok(bottom[0]! > 240 && bottom[2]! < 15, `bottom is blue (BGR ${bottom})`);
});

test('transparent pixels become white, half-transparent ones are blended onto white', async () => {
  const rgba = Buffer.alloc(4 * 4 * 4);
  for (let p = 0; p < 16; p++) rgba.set(p < 8 ? [0, 0, 0, 0] : [255, 0, 0, 128], p * 4);
  const file = path.join(tmp.dir, 'alpha.png');
  await sharp(rgba, { raw: { width: 4, height: 4, channels: 4 } }).png().toFile(file);
  const t = await readTaggerInput(file, await probeImage(file), 4);
  assert.deepEqual(pixel(t, 4, 0, 0), [255, 255, 255]);
  // Red at alpha 128 on white: R = 255, G = B = DIV255(255 * 127) = 127.
  assert.deepEqual(pixel(t, 4, 0, 3), [127, 127, 255]);
});

test('greyscale photos are tagged as RGB', async () => {
  const file = path.join(tmp.dir, 'grey.png');
  await sharp(Buffer.alloc(8 * 8, 90), { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(file);
  const t = await readTaggerInput(file, await probeImage(file), 8);
  assert.deepEqual(pixel(t, 8, 3, 3), [90, 90, 90]);
});

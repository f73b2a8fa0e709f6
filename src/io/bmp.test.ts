import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBmp, encodeBmp, readBmpHeader } from './bmp.js';

function pattern(width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgba.set([x * 40, y * 60, (x + y) * 20, 255 - x * 10], (y * width + x) * 4);
  return rgba;
}

test('a 24-bit bottom-up BMP round-trips pixel for pixel', () => {
  const rgba = pattern(5, 3);
  const decoded = decodeBmp(encodeBmp(rgba, 5, 3, 24));
  assert.deepEqual([decoded.width, decoded.height, decoded.hasAlpha], [5, 3, false]);
  for (let i = 0; i < 15; i++) assert.deepEqual([...decoded.data.subarray(i * 4, i * 4 + 3)], [...rgba.subarray(i * 4, i * 4 + 3)]);
});

test('a top-down 8-bit palette BMP decodes with its palette', () => {
  // 2x2, palette of 4 colours, rows top-down (negative height), 4-byte padded rows
  const header = Buffer.alloc(54 + 16 + 8);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(header.length, 2);
  header.writeUInt32LE(54 + 16, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(2, 18);
  header.writeInt32LE(-2, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(8, 28);
  const palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [9, 9, 9]];
  palette.forEach(([r, g, b], i) => header.set([b as number, g as number, r as number, 0], 54 + i * 4));
  header.set([0, 1, 0, 0, 2, 3, 0, 0], 70);
  const decoded = decodeBmp(header);
  assert.equal(readBmpHeader(header).topDown, true);
  assert.deepEqual([...decoded.data.subarray(0, 3)], [255, 0, 0]);
  assert.deepEqual([...decoded.data.subarray(4, 7)], [0, 255, 0]);
  assert.deepEqual([...decoded.data.subarray(8, 11)], [0, 0, 255]);
  assert.deepEqual([...decoded.data.subarray(12, 15)], [9, 9, 9]);
});

test('truncated and RLE BMPs are refused with a reason', () => {
  const full = encodeBmp(pattern(4, 4), 4, 4);
  assert.throws(() => decodeBmp(full.subarray(0, 60)), /truncated/);
  const rle = Buffer.from(full);
  rle.writeUInt32LE(1, 30);
  assert.throws(() => decodeBmp(rle), /compression 1/);
});

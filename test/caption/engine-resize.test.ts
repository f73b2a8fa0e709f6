/**
 * The tagger preprocessing against independently computed pixel values: a direct
 * (non-separable, double precision) area average over each output pixel's footprint on the
 * explicitly padded image, the integer-scale rules of OpenCV, and a floating-point Lanczos.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { padAndAreaResize, padToSquare, squarePadding, taggerTensorFromRgb } from '../../src/io/engine-resize.js';
import { compositeOnWhite, lanczosResize } from '../../src/io/pil-image.js';
import { seededRandom } from '../helpers/onnx.js';

function noise(width: number, height: number, seed: number): Uint8Array {
  const rnd = seededRandom(seed);
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(rnd() * 256);
  return out;
}

/** Area average by definition: overlap of each source pixel with the output pixel's footprint. */
function referenceArea(rgb: Uint8Array, width: number, height: number, out: number): Float64Array {
  const { data, size } = padToSquare(rgb, width, height);
  const s = size / out;
  const result = new Float64Array(out * out * 3);
  for (let dy = 0; dy < out; dy++) {
    for (let dx = 0; dx < out; dx++) {
      const x0 = dx * s;
      const x1 = x0 + s;
      const y0 = dy * s;
      const y1 = y0 + s;
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let sy = Math.floor(y0); sy < Math.ceil(y1); sy++) {
          const wy = Math.min(sy + 1, y1) - Math.max(sy, y0);
          for (let sx = Math.floor(x0); sx < Math.ceil(x1); sx++) {
            const wx = Math.min(sx + 1, x1) - Math.max(sx, x0);
            sum += wx * wy * (data[(sy * size + sx) * 3 + c] as number);
          }
        }
        result[(dy * out + dx) * 3 + c] = sum / (s * s);
      }
    }
  }
  return result;
}

function compare(actual: Uint8Array, expected: Float64Array): { maxDiff: number; exact: number } {
  let maxDiff = 0;
  let exact = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i] as number;
    const d = Math.abs((actual[i] as number) - e);
    maxDiff = Math.max(maxDiff, d);
    if ((actual[i] as number) === Math.round(e) || Math.abs(e - Math.round(e)) > 0.4999) exact++;
  }
  return { maxDiff, exact: exact / actual.length };
}

test('padding splits like np.pad in the engine: the left/top side gets the smaller half', () => {
  assert.deepEqual(squarePadding(4, 1), { size: 4, left: 0, top: 1 });
  assert.deepEqual(squarePadding(3, 6), { size: 6, left: 1, top: 0 });
  const rgb = new Uint8Array(4 * 1 * 3); // one black row
  const out = padAndAreaResize(rgb, 4, 1, 4); // same size: a copy of the padded square
  const rowValues = [0, 1, 2, 3].map((y) => out[y * 4 * 3] as number);
  assert.deepEqual(rowValues, [255, 0, 255, 255]);
});

test('INTER_AREA shrinking matches the area average at non-integer scales (landscape and portrait), with and without SIMD', () => {
  for (const simd of [true, false]) {
    for (const [w, h, out, seed] of [
      [300, 200, 128, 1],
      [150, 333, 64, 2],
      [449, 449, 448, 3],
      [1001, 37, 40, 5],
    ] as const) {
      const rgb = noise(w, h, seed);
      const { maxDiff, exact } = compare(padAndAreaResize(rgb, w, h, out, { simd }), referenceArea(rgb, w, h, out));
      assert.ok(maxDiff < 0.5 + 1e-3, `${w}x${h} -> ${out} (simd ${simd}): max difference ${maxDiff}`);
      assert.equal(exact, 1, `${w}x${h} -> ${out} (simd ${simd}): every pixel is the rounded area average`);
    }
  }
});

test('integer scales use OpenCV fast paths: 2x rounds halves up, other scales round to nearest', () => {
  // A 4x4 image in 2x2 blocks with means 0.5, 1, 0.5 and 1.5: OpenCV's 2x path computes (a+b+c+d+2)>>2.
  const rgb = new Uint8Array(4 * 4 * 3);
  const set = (x: number, y: number, v: number) => rgb.fill(v, (y * 4 + x) * 3, (y * 4 + x) * 3 + 3);
  set(1, 1, 2);
  for (const [x, y] of [[2, 0], [3, 0], [2, 1], [3, 1]] as const) set(x, y, 1);
  set(0, 3, 1);
  set(1, 3, 1);
  for (const [x, y] of [[2, 2], [3, 2], [2, 3]] as const) set(x, y, 2);
  const out = padAndAreaResize(rgb, 4, 4, 2);
  assert.deepEqual([out[0], out[3], out[6], out[9]], [1, 1, 1, 2]);
  const rgb3 = noise(384, 384, 4);
  const { maxDiff } = compare(padAndAreaResize(rgb3, 384, 384, 128), referenceArea(rgb3, 384, 384, 128));
  assert.ok(maxDiff <= 0.5, `3x: ${maxDiff}`);
});

test('small photos are enlarged with Lanczos (Pillow) and stay exact on flat areas', () => {
  const flat = new Uint8Array(20 * 10 * 3).fill(200);
  const square = padToSquare(flat, 20, 10);
  const up = lanczosResize(square.data, square.size, square.size, 64, 64);
  // Rows far from the padding edge keep 200; rows inside the padding stay white.
  assert.equal(up[(32 * 64 + 32) * 3], 200);
  assert.equal(up[(2 * 64 + 32) * 3], 255);
  // A floating-point Lanczos-3 on a ramp agrees within one level.
  const ramp = new Uint8Array(16 * 16 * 3);
  for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) ramp.fill(x * 16, (y * 16 + x) * 3, (y * 16 + x) * 3 + 3);
  const big = lanczosResize(ramp, 16, 16, 40, 40);
  const sinc = (v: number) => (v === 0 ? 1 : Math.sin(Math.PI * v) / (Math.PI * v));
  for (let xx = 0; xx < 40; xx++) {
    const center = (xx + 0.5) * (16 / 40);
    let sum = 0;
    let wsum = 0;
    for (let x = Math.max(0, Math.trunc(center - 3 + 0.5)); x < Math.min(16, Math.trunc(center + 3 + 0.5)); x++) {
      const t = x - center + 0.5;
      const w = Math.abs(t) < 3 ? sinc(t) * sinc(t / 3) : 0;
      sum += w * x * 16;
      wsum += w;
    }
    const expected = Math.min(255, Math.max(0, sum / wsum));
    assert.ok(Math.abs((big[(20 * 40 + xx) * 3] as number) - expected) <= 1, `column ${xx}: ${big[(20 * 40 + xx) * 3]} vs ${expected}`);
  }
});

test('transparency is composited onto white with Pillow paste arithmetic', () => {
  const rgba = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 255, 0, 0, 0, 128, 10, 20, 30, 64]);
  const rgb = compositeOnWhite(rgba, 4);
  // a=0 -> white; a=255 -> the colour; a=128 black -> 127; a=64 -> (255*191 + c*64) / 255 rounded.
  const div255 = (v: number) => (((v + 128) >> 8) + v + 128) >> 8;
  assert.deepEqual([...rgb], [255, 255, 255, 255, 0, 0, 127, 127, 127, div255(255 * 191 + 10 * 64), div255(255 * 191 + 20 * 64), div255(255 * 191 + 30 * 64)]);
});

test('the tensor is BGR float32 in 0-255, HWC', () => {
  const rgb = new Uint8Array(8 * 8 * 3);
  for (let p = 0; p < 64; p++) rgb.set([10, 20, 30], p * 3);
  const t = taggerTensorFromRgb(rgb, 8, 8, 4);
  assert.equal(t.length, 4 * 4 * 3);
  assert.deepEqual([...t.subarray(0, 6)], [30, 20, 10, 30, 20, 10]);
});

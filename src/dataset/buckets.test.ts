import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignBucket, checkBucketSettings, makeBucketResolutions, predefinedBuckets, type BucketOptions } from './buckets.js';

const wide: BucketOptions = { resolution: [1024, 1024], enableBucket: true, noUpscale: false, minReso: 256, maxReso: 2048, resoSteps: 64 };
const noUp: BucketOptions = { ...wide, noUpscale: true };
const engineDefaults: BucketOptions = { ...wide, maxReso: 1024 };

test('1024 / steps 64 / min 256 / max 2048 gives the 41 predefined buckets of sd-scripts.md 4.6', () => {
  const list = makeBucketResolutions([1024, 1024], 256, 2048, 64);
  assert.equal(list.length, 41);
  const firstHalf = list.slice(0, 21).map(([w, h]) => `${w}x${h}`);
  assert.deepEqual(firstHalf, [
    '256x2048', '320x2048', '384x2048', '448x2048', '512x1856', '512x1920', '512x1984', '512x2048', '576x1664', '576x1728',
    '576x1792', '640x1536', '640x1600', '704x1408', '704x1472', '768x1280', '768x1344', '832x1216', '896x1152', '960x1088', '1024x1024',
  ]);
  // the other 20 are the transposes, in sorted order, ending at (2048, 512)
  assert.deepEqual(list[21], [1088, 960]);
  assert.deepEqual(list[40], [2048, 512]);
  const transposes = new Set(list.map(([w, h]) => `${h}x${w}`));
  for (const [w, h] of list) assert.ok(transposes.has(`${w}x${h}`));
});

test('argparse defaults (max 1024) give 25 buckets, all with one side 1024', () => {
  const list = predefinedBuckets(engineDefaults);
  assert.equal(list.length, 25);
  assert.ok(list.every(([w, h]) => w === 1024 || h === 1024));
});

// The table of sd-scripts.md 4.6: bucket, resized, crop, crop conditioning, ar_error.
const worked: Array<[string, number, number, BucketOptions, [number, number], [number, number], [number, number], [number, number], number]> = [
  ['3024x4032 predefined', 3024, 4032, wide, [896, 1152], [896, 1195], [0, 21], [16, 0], 0.0278],
  ['1920x1080 predefined', 1920, 1080, wide, [1344, 768], [1365, 768], [10, 0], [0, 6], -0.0278],
  ['800x600 predefined (upscaled)', 800, 600, wide, [1152, 896], [1195, 896], [21, 0], [0, 16], -0.0476],
  ['3024x4032 no_upscale', 3024, 4032, noUp, [832, 1088], [832, 1109], [0, 10], [8, 0], 0.0147],
  ['1920x1080 no_upscale', 1920, 1080, noUp, [1344, 768], [1365, 768], [10, 0], [0, 6], -0.0278],
  ['800x600 no_upscale (no resize)', 800, 600, noUp, [768, 576], [800, 600], [16, 12], [0, 0], 0],
];

for (const [name, w, h, options, bucket, resized, offset, cond, arError] of worked) {
  test(`worked example ${name}`, () => {
    const a = assignBucket(w, h, options);
    assert.deepEqual(a.bucket, bucket);
    assert.deepEqual(a.resized, resized);
    assert.deepEqual(a.cropOffset, offset);
    assert.deepEqual(a.cropConditioning, cond);
    assert.ok(Math.abs(a.arError - arError) < 5e-4, `ar error ${a.arError}`);
  });
}

test('the worked crops: 43 rows, 21 cols, 43 cols, 21 rows, 21 cols, 32 cols / 24 rows', () => {
  assert.deepEqual(assignBucket(3024, 4032, wide).cropped, [0, 43]);
  assert.deepEqual(assignBucket(1920, 1080, wide).cropped, [21, 0]);
  assert.deepEqual(assignBucket(800, 600, wide).cropped, [43, 0]);
  assert.deepEqual(assignBucket(3024, 4032, noUp).cropped, [0, 21]);
  assert.deepEqual(assignBucket(800, 600, noUp).cropped, [32, 24]);
  assert.equal(assignBucket(800, 600, wide).upscaled, true);
  assert.equal(assignBucket(800, 600, noUp).upscaled, false);
});

test('other verified cases: argparse defaults, bucketing off, no_upscale edge sizes', () => {
  assert.deepEqual(assignBucket(3024, 4032, engineDefaults).bucket, [768, 1024]);
  assert.deepEqual(assignBucket(1920, 1080, engineDefaults).bucket, [1024, 576]);
  assert.deepEqual(assignBucket(800, 600, engineDefaults).bucket, [1024, 768]);
  const off = assignBucket(3024, 4032, { ...wide, enableBucket: false });
  assert.deepEqual(off.bucket, [1024, 1024]);
  assert.deepEqual(off.resized, [1024, 1365]);
  assert.deepEqual(off.cropConditioning, [0, 0]);
  assert.deepEqual(assignBucket(1000, 1000, noUp).bucket, [960, 960]);
  assert.deepEqual(assignBucket(512, 512, noUp).bucket, [512, 512]);
  assert.deepEqual(assignBucket(512, 512, wide).bucket, [1024, 1024]);
  assert.deepEqual(assignBucket(4000, 1000, noUp).bucket, [2048, 512]);
});

test('the shared fixture run: 256 res, min 128, max 512, steps 64 -> (192,320) and (320,192)', () => {
  const options: BucketOptions = { resolution: [256, 256], enableBucket: true, noUpscale: false, minReso: 128, maxReso: 512, resoSteps: 64 };
  assert.deepEqual(assignBucket(320, 448, options).bucket, [192, 320]);
  assert.deepEqual(assignBucket(448, 320, options).bucket, [320, 192]);
  // MANIFEST.md: mean ar error 0.1905 over the six images
  const sizes: Array<[number, number]> = [[320, 448], [448, 320], [320, 448], [448, 320], [320, 448], [448, 320]];
  const mean = sizes.reduce((sum, [w, h]) => sum + Math.abs(assignBucket(w, h, options).arError), 0) / sizes.length;
  assert.ok(Math.abs(mean - 0.19047619047619058) < 1e-12, `mean ar error ${mean}`);
});

test('settings are adjusted and refused with the engine\'s messages', () => {
  const adjusted = checkBucketSettings({ ...wide, minReso: 300, maxReso: 2000 });
  assert.equal(adjusted.options.minReso, 256);
  assert.equal(adjusted.options.maxReso, 2048);
  assert.equal(adjusted.notes.length, 2);
  assert.deepEqual(checkBucketSettings({ ...wide, resoSteps: 48 }).errors.slice(0, 1), ['bucket_reso_steps is 48. it must be divisible by 32.']);
  assert.ok(checkBucketSettings({ ...wide, resolution: [1280, 1280], maxReso: 1024 }).errors.includes('max_bucket_reso must be equal or greater than resolution'));
});

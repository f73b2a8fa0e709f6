import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { mkdtemp } from 'node:fs/promises';
import { closest, editDistance, formatDuration, mapConcurrent, readJson, TackError, writeFileAtomic, writeJsonAtomic } from './index.js';

test('atomic write leaves only the target, never a temp file', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-core-'));
  const target = path.join(dir, 'sub', 'a.json');
  await writeJsonAtomic(target, { a: 1 });
  await writeFileAtomic(target, 'replaced');
  assert.equal(await readFile(target, 'utf8'), 'replaced');
  assert.deepEqual(await readdir(path.dirname(target)), ['a.json']);
});

test('a write into a folder that cannot exist fails with CORE_WRITE_FAILED naming the file', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-core-'));
  await writeFileAtomic(path.join(dir, 'file'), 'x');
  await assert.rejects(writeFileAtomic(path.join(dir, 'file', 'inside.txt'), 'y'), (e: unknown) => {
    assert.ok(e instanceof TackError);
    assert.equal(e.code, 'CORE_WRITE_FAILED');
    assert.match(e.message, /inside\.txt/);
    return true;
  });
});

test('readJson gives the fallback for a missing file and a coded error for broken JSON', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-core-'));
  assert.deepEqual(await readJson(path.join(dir, 'none.json'), { empty: true }), { empty: true });
  await writeFileAtomic(path.join(dir, 'bad.json'), '{oops');
  await assert.rejects(readJson(path.join(dir, 'bad.json')), (e: unknown) => e instanceof TackError && e.code === 'CORE_BAD_JSON');
});

test('suggestions catch swapped letters and ignore far words', () => {
  assert.equal(editDistance('inti', 'init'), 1);
  assert.equal(closest('batchsize', ['batch_size', 'target_steps']), 'batch_size');
  assert.equal(closest('zzz', ['batch_size']), undefined);
});

test('mapConcurrent keeps input order', async () => {
  const out = await mapConcurrent([30, 10, 20], 2, async (ms) => {
    await new Promise((r) => setTimeout(r, ms));
    return ms * 2;
  });
  assert.deepEqual(out, [60, 20, 40]);
});

test('durations read as mm:ss or h:mm:ss', () => {
  assert.equal(formatDuration(65_000), '01:05');
  assert.equal(formatDuration(3_725_000), '1:02:05');
  assert.equal(formatDuration(NaN), '--:--');
});

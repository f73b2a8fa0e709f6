/** Hand edits the studio makes, through the CLI: one caption with undo, and removing photos with undo. */
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runTack, tempDir } from './helpers/cli.js';
import { writeJpeg } from './helpers/images.js';

async function project(dir: string): Promise<string> {
  const root = path.join(dir, 'proj');
  assert.equal((await runTack(['init', root, '--token', 'xanrms', '--class', 'woman'])).code, 0);
  const src = path.join(dir, 'src');
  for (const name of ['a.jpg', 'b.jpg']) await writeJpeg(path.join(dir, name), 640, 512, { seed: name.length + name.charCodeAt(0) });
  await writeFile(path.join(dir, 'a.txt'), 'xanrms, 1girl, smiling\n');
  assert.equal((await runTack(['add', root, path.join(dir, 'a.jpg'), path.join(dir, 'b.jpg')])).code, 0, src);
  return root;
}

test('tack tags set writes one caption, reports the caption checks, and undo puts the old text back', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const root = await project(dir);
  const set = await runTack(['tags', root, 'set', 'b.jpg', '1girl,  red hair\n<script>alert(1)</script>', '--json']);
  assert.equal(set.code, 0, set.stderr);
  const doc = JSON.parse(set.stdout) as { kind: string; before: string | null; after: string; changed: boolean; findings: Array<{ code: string }> };
  assert.equal(doc.kind, 'tags-set');
  assert.equal(doc.before, null);
  assert.equal(doc.after, '1girl, red hair <script>alert(1)</script>', 'one line, tags tidied, text kept as written');
  assert.ok(doc.findings.some((f) => f.code === 'CAPTION_TRIGGER_MISSING'), 'says the trigger is missing (prepare will add it)');
  assert.equal(await readFile(path.join(root, 'captions', 'b.txt'), 'utf8'), `${doc.after}\n`);
  const again = await runTack(['tags', root, 'set', 'b', doc.after, '--json']);
  assert.equal(JSON.parse(again.stdout).changed, false);
  const undo = await runTack(['tags', root, 'undo', '--json']);
  assert.equal(undo.code, 0, undo.stderr);
  assert.deepEqual(await readdir(path.join(root, 'captions')), ['a.txt']);
  const missing = await runTack(['tags', root, 'set', 'nope.jpg', 'x']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /No photo named "nope\.jpg"/);
});

test('tack remove --undo puts the newest removed photos and their captions back', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const root = await project(dir);
  const removed = await runTack(['remove', root, 'a.jpg', '--json']);
  assert.equal(removed.code, 0, removed.stderr);
  assert.deepEqual(await readdir(path.join(root, 'photos')), ['b.jpg']);
  const undo = await runTack(['remove', root, '--undo', '--json']);
  assert.equal(undo.code, 0, undo.stderr);
  const doc = JSON.parse(undo.stdout) as { kind: string; restored: Array<{ file: string }> };
  assert.equal(doc.kind, 'remove-undo');
  assert.deepEqual(doc.restored.map((r) => r.file), ['a.jpg']);
  assert.deepEqual((await readdir(path.join(root, 'photos'))).sort(), ['a.jpg', 'b.jpg']);
  assert.equal(await readFile(path.join(root, 'captions', 'a.txt'), 'utf8'), 'xanrms, 1girl, smiling\n');
  const doctor = JSON.parse((await runTack(['doctor', root, '--json'])).stdout) as { counts: { photos: number } };
  assert.equal(doctor.counts.photos, 2);
  const nothing = await runTack(['remove', root, '--undo']);
  assert.equal(nothing.code, 3);
  assert.match(nothing.stderr, /DATASET_NOTHING_TO_RESTORE/);
  const none = await runTack(['remove', root]);
  assert.equal(none.code, 2);
});

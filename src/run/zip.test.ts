import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { writeZip } from './zip.js';

test('the zip is read back byte for byte by Info-ZIP unzip, with UTF-8 names and the executable bit', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-zip-'));
  try {
    const photo = path.join(dir, 'img.bin');
    const bytes = Buffer.alloc(300_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    await writeFile(photo, bytes);
    const target = path.join(dir, 'out.zip');
    const size = await writeZip(target, [
      { name: 'b/dataset/img/40_xanrms woman/é.bin', file: photo },
      { name: 'b/config/args.toml', data: 'network_dim = 32\n'.repeat(200), compress: true },
      { name: 'b/train.sh', data: '#!/bin/sh\necho hi\n', mode: 0o755, compress: true },
    ]);
    assert.equal((await stat(target)).size, size);
    assert.equal((await readdir(dir)).filter((n) => n.includes('.tmp-')).length, 0, 'no temp file left');
    const test = spawnSync('unzip', ['-t', target], { encoding: 'utf8' });
    assert.equal(test.status, 0, test.stdout + test.stderr);
    const out = path.join(dir, 'x');
    assert.equal(spawnSync('unzip', ['-q', target, '-d', out]).status, 0);
    assert.deepEqual(await readFile(path.join(out, 'b/dataset/img/40_xanrms woman/é.bin')), bytes);
    assert.equal(await readFile(path.join(out, 'b/config/args.toml'), 'utf8'), 'network_dim = 32\n'.repeat(200));
    assert.equal((await stat(path.join(out, 'b/train.sh'))).mode & 0o111, 0o111);
    assert.ok(size < bytes.length + 2000, 'the text was deflated');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

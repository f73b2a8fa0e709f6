/**
 * tack's tar streams against Python's tarfile (what the remote helper uses on the other end):
 * a stream tack writes unpacks in Python with the same bytes and times, and a pax stream Python
 * writes (long names, empty files) unpacks in tack, each file written whole.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, utimes, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { extractTar, writeTar } from './tar.js';

test('a tar stream written by tack unpacks in Python with the same bytes and modification times', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-tar-'));
  try {
    const long = `dataset/img/8_xanrms woman/${'a'.repeat(120)}.jpg`;
    const files = [
      { name: 'dataset/img/8_xanrms woman/photo 1.jpg', data: Buffer.alloc(70_001, 7) },
      { name: long, data: Buffer.from('long name') },
      { name: 'runs/1/config/empty.txt', data: Buffer.alloc(0) },
    ];
    const sources = [];
    for (const [i, f] of files.entries()) {
      const file = path.join(dir, `src-${i}`);
      await writeFile(file, f.data);
      await utimes(file, 1_700_000_000 + i, 1_700_000_000 + i);
      sources.push({ name: f.name, file });
    }
    const out = path.join(dir, 'out');
    const script = 'import sys,tarfile\nt=tarfile.open(fileobj=sys.stdin.buffer,mode="r|")\nfor m in t:\n  t.extract(m,sys.argv[1])\n';
    const py = spawn('python3', ['-c', script, out], { stdio: ['pipe', 'inherit', 'inherit'] });
    let bytes = 0;
    await writeTar(py.stdin, sources, (n) => (bytes += n));
    assert.equal(await new Promise((r) => py.on('close', r)), 0);
    assert.equal(bytes, 70_001 + 9);
    for (const [i, f] of files.entries()) {
      const target = path.join(out, f.name);
      assert.deepEqual(await readFile(target), f.data, f.name);
      assert.equal(Math.floor((await stat(target)).mtimeMs / 1000), 1_700_000_000 + i);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a pax tar stream from Python unpacks in tack: long names, empty files, times; unsafe names are skipped', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-tar-'));
  try {
    const src = path.join(dir, 'src');
    const long = `output/${'b'.repeat(130)}-000001-state/optimizer.bin`;
    await mkdir(path.dirname(path.join(src, long)), { recursive: true });
    await writeFile(path.join(src, long), Buffer.alloc(1_000_003, 3));
    await writeFile(path.join(src, 'empty.txt'), '');
    await utimes(path.join(src, 'empty.txt'), 1_600_000_000, 1_600_000_000);
    const script = [
      'import sys,tarfile,io',
      't=tarfile.open(fileobj=sys.stdout.buffer,mode="w|",format=tarfile.PAX_FORMAT)',
      `t.add(sys.argv[1]+"/${long}",arcname="${long}")`,
      't.add(sys.argv[1]+"/empty.txt",arcname="empty.txt")',
      'i=tarfile.TarInfo("../escape.txt"); i.size=3; t.addfile(i, io.BytesIO(b"bad"))',
      't.close()',
    ].join('\n');
    const tarBytes = execFileSync('python3', ['-c', script, src]);
    const input = new PassThrough();
    const dest = path.join(dir, 'dest');
    const done = extractTar(input, dest);
    for (let i = 0; i < tarBytes.length; i += 777) input.write(tarBytes.subarray(i, i + 777));
    input.end();
    const written = await done;
    assert.deepEqual(written.map((w) => w.name).sort(), ['empty.txt', long].sort());
    assert.deepEqual(await readFile(path.join(dest, long)), Buffer.alloc(1_000_003, 3));
    assert.equal(Math.floor((await stat(path.join(dest, 'empty.txt'))).mtimeMs / 1000), 1_600_000_000);
    await assert.rejects(stat(path.join(dir, 'escape.txt')), 'a name leaving the folder is not written');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

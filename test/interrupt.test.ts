/** Ctrl-C in the middle of a command: exit code 130, nothing half-written, a rerun continues. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runTack, TACK_BIN, tempDir } from './helpers/cli.js';
import { writeJpeg } from './helpers/images.js';

function runUntilProgressThenInterrupt(args: string[], marker: RegExp): Promise<{ code: number | null; stderr: string; interrupted: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TACK_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let interrupted = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!interrupted && marker.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, interrupted }));
  });
}

test('Ctrl-C during tack doctor and tack prepare exits 130 and a rerun completes', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const src = path.join(dir, 'src');
  await mkdir(src);
  for (let i = 0; i < 16; i++) await writeJpeg(path.join(src, `p${String(i).padStart(2, '0')}.jpg`), 2400, 1800, { seed: 100 + i, orientation: i % 2 ? 6 : 1 });
  const project = path.join(dir, 'proj');
  assert.equal((await runTack(['init', project, '--token', 'xanrms', '--class', 'man'])).code, 0);
  assert.equal((await runTack(['add', project, src])).code, 0);

  const doctor = await runUntilProgressThenInterrupt(['doctor', project], /Checking 1\//);
  assert.ok(doctor.interrupted, 'the doctor was still running when interrupted');
  assert.equal(doctor.code, 130, doctor.stderr);
  assert.match(doctor.stderr, /CORE_CANCELLED/);
  const rerun = await runTack(['doctor', project, '--json']);
  assert.equal(JSON.parse(rerun.stdout).counts.photos, 16);

  const prepare = await runUntilProgressThenInterrupt(['prepare', project], /Preparing 1\//);
  assert.equal(prepare.code, 130, prepare.stderr);
  const again = await runTack(['prepare', project, '--json']);
  assert.equal(again.code, 0, again.stderr);
  const manifest = JSON.parse(again.stdout).manifest as { complete: boolean; imageDir: string; images: unknown[] };
  assert.equal(manifest.complete, true);
  assert.equal(manifest.images.length, 16);
  const files = await readdir(path.join(project, manifest.imageDir));
  assert.equal(files.filter((f) => f.endsWith('.jpg')).length, 16);
  assert.ok(!files.some((f) => f.includes('.tmp-')), 'no temporary files left behind');
});

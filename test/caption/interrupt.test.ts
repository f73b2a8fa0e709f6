/** Ctrl-C in the middle of `tack caption`: exit code 130, finished captions kept, a rerun does only the rest. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { runTack, TACK_BIN, tempDir } from '../helpers/cli.js';
import { startFakeChat, type FakeChat } from '../helpers/fake-chat.js';

let chat: FakeChat;
let tmp: { dir: string; cleanup: () => Promise<void> };
before(async () => {
  chat = await startFakeChat();
  tmp = await tempDir('tack-caption-int-');
});
after(async () => {
  await chat.close();
  await tmp.cleanup();
});

test('Ctrl-C during tack caption keeps the finished captions and the rerun continues', async () => {
  const dir = path.join(tmp.dir, 'proj');
  assert.equal((await runTack(['init', dir, '--token', 'xanrms', '--class', 'man'])).code, 0);
  await fsp.mkdir(path.join(dir, 'photos'), { recursive: true });
  for (let i = 0; i < 5; i++) await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 40 * i, g: 90, b: 120 } } }).png().toFile(path.join(dir, 'photos', `p${i}.png`));
  chat.script({ kind: 'answer', text: 'A man walking a dog in a park.', delayMs: 400 });
  const args = ['caption', dir, '--captioner', 'sentence', '--sentence-backend', 'endpoint', '--endpoint', chat.url, '--endpoint-model', 'llava:13b'];
  const first = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [TACK_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const poll = setInterval(() => {
      // Interrupt while the third photo is being captioned.
      if (chat.requests.length >= 3) {
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 20);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ code, stderr });
    });
  });
  assert.equal(first.code, 130, first.stderr);
  assert.match(first.stderr, /CORE_CANCELLED/);
  const written = (await fsp.readdir(path.join(dir, 'captions'))).filter((f) => f.endsWith('.txt'));
  assert.ok(written.length >= 2 && written.length <= 3, `captions kept: ${written.join(', ')}`);
  assert.ok(!(await fsp.readdir(path.join(dir, 'captions'))).some((f) => f.includes('.tmp-')), 'no half-written files');

  const before = chat.requests.length;
  const rerun = await runTack([...args, '--json']);
  assert.equal(rerun.code, 0, rerun.stderr);
  const doc = JSON.parse(rerun.stdout);
  assert.equal(doc.counts.written, 5 - written.length);
  assert.equal(doc.counts.unchanged, written.length);
  assert.equal(chat.requests.length - before, 5 - written.length, 'finished photos are not sent again');
  for (let i = 0; i < 5; i++) assert.equal(await fsp.readFile(path.join(dir, 'captions', `p${i}.txt`), 'utf8'), 'xanrms, a man walking a dog in a park.\n');
  // The interrupted run and the rerun are both in the history.
  const history = JSON.parse((await runTack(['tags', dir, 'history', '--json'])).stdout);
  assert.equal(history.entries.length, 2);
});

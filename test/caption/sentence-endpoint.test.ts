/** Sentence captions through an OpenAI-compatible vision chat endpoint (a local fake server). */
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { TackError } from '../../src/core/index.js';
import { checkCaptionText } from '../../src/caption/check.js';
import { describeImageWithChat, type VisionChatOptions } from '../../src/io/openai-chat.js';
import { runTack, tempDir } from '../helpers/cli.js';
import { startFakeChat, type FakeChat } from '../helpers/fake-chat.js';

let chat: FakeChat;
let tmp: { dir: string; cleanup: () => Promise<void> };
const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]);

before(async () => {
  chat = await startFakeChat();
  tmp = await tempDir('tack-sentence-');
});
after(async () => {
  await chat.close();
  await tmp.cleanup();
});

const opts = (o: Partial<VisionChatOptions> = {}): VisionChatOptions => ({ baseUrl: chat.url, model: 'qwen2.5vl:7b', timeoutMs: 2000, retries: 2, retryDelayMs: 10, ...o });

test('a caption comes back from the endpoint, with the image sent as a data URL', async () => {
  chat.script({ kind: 'answer', text: 'A woman reading on a bench.' });
  const before = chat.requests.length;
  const result = await describeImageWithChat({ system: 'sys', prompt: 'describe', imageJpeg: jpeg }, opts({ apiKey: 'k-123' }));
  assert.equal(result.text, 'A woman reading on a bench.');
  assert.equal(result.attempts, 1);
  const req = chat.requests[before];
  assert.equal(req?.model, 'qwen2.5vl:7b');
  assert.equal(req?.authorization, 'Bearer k-123');
  const user = req?.messages.find((m) => m.role === 'user')?.content as { type: string; image_url?: { url: string } }[];
  assert.equal(user[1]?.image_url?.url, `data:image/jpeg;base64,${Buffer.from(jpeg).toString('base64')}`);
});

test('server errors and slow answers are retried, then succeed', async () => {
  chat.script({ kind: 'status', status: 503, body: '{"error":"loading model"}' }, { kind: 'answer', text: 'late but fine', delayMs: 3000 }, { kind: 'answer', text: 'fine' });
  const result = await describeImageWithChat({ prompt: 'p', imageJpeg: jpeg }, opts());
  assert.equal(result.text, 'fine');
  assert.equal(result.attempts, 3);
});

test('a slow endpoint ends in CHAT_TIMEOUT after the retries', async () => {
  chat.script({ kind: 'hang' });
  await assert.rejects(describeImageWithChat({ prompt: 'p', imageJpeg: jpeg }, opts({ timeoutMs: 200, retries: 1 })), (e: unknown) => {
    assert.ok(e instanceof TackError);
    assert.equal(e.code, 'CHAT_TIMEOUT');
    assert.match(e.message, /no answer within 0 s|no answer within/);
    assert.match(e.hint, /endpoint_timeout_ms/);
    return true;
  });
});

test('an unknown model is reported at once with the server message (no retry)', async () => {
  chat.script({ kind: 'status', status: 404, body: '{"error":"model \\"llava:99b\\" not found, try pulling it first"}' });
  const before = chat.requests.length;
  await assert.rejects(describeImageWithChat({ prompt: 'p', imageJpeg: jpeg }, opts({ model: 'llava:99b' })), (e: unknown) => {
    assert.ok(e instanceof TackError);
    assert.equal(e.code, 'CHAT_HTTP_ERROR');
    assert.match(e.message, /HTTP 404: model "llava:99b" not found/);
    assert.match(e.hint, /ollama pull llava:99b/);
    return true;
  });
  assert.equal(chat.requests.length - before, 1);
});

test('garbage answers are CHAT_BAD_RESPONSE', async () => {
  chat.script({ kind: 'garbage', body: '<html><body>Welcome to nginx</body></html>' });
  await assert.rejects(describeImageWithChat({ prompt: 'p', imageJpeg: jpeg }, opts()), (e: unknown) => e instanceof TackError && e.code === 'CHAT_BAD_RESPONSE' && /did not answer with JSON/.test(e.message));
  chat.script({ kind: 'status', status: 200, body: '{"choices":[]}' });
  await assert.rejects(describeImageWithChat({ prompt: 'p', imageJpeg: jpeg }, opts()), (e: unknown) => e instanceof TackError && e.code === 'CHAT_BAD_RESPONSE' && /without a caption/.test(e.message));
});

test('a server that is down is CHAT_UNREACHABLE with how to start one', async () => {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await assert.rejects(describeImageWithChat({ prompt: 'p', imageJpeg: jpeg }, opts({ baseUrl: `http://127.0.0.1:${port}/v1`, retries: 1 })), (e: unknown) => {
    assert.ok(e instanceof TackError);
    assert.equal(e.code, 'CHAT_UNREACHABLE');
    assert.match(e.message, /ECONNREFUSED, 2 attempts/);
    assert.match(e.hint, /ollama serve/);
    return true;
  });
});

test('tack caption --captioner sentence writes "trigger, sentence" captions from the endpoint', async () => {
  const dir = path.join(tmp.dir, 'proj');
  assert.equal((await runTack(['init', dir, '--token', 'xanrms', '--class', 'woman', '--captioner', 'sentence'])).code, 0);
  await fsp.mkdir(path.join(dir, 'photos'), { recursive: true });
  await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#336699' } }).jpeg().toFile(path.join(dir, 'photos', 'a.jpg'));
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#996633' } }).png().toFile(path.join(dir, 'photos', 'b.png'));
  chat.script({ kind: 'answer', text: '"The image shows a woman in a yellow raincoat laughing on a pier, score_9."\n\nExtra notes.' }, { kind: 'answer', text: 'A woman sitting at a desk, soft window light.' });
  const before = chat.requests.length;
  const run = await runTack(['caption', dir, '--sentence-backend', 'endpoint', '--endpoint', chat.url, '--endpoint-model', 'llava:13b', '--json']);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout).counts, { written: 2, unchanged: 0, 'hand-written': 0, failed: 0 });
  assert.equal(await fsp.readFile(path.join(dir, 'captions', 'a.txt'), 'utf8'), 'xanrms, a woman in a yellow raincoat laughing on a pier.\n');
  assert.equal(await fsp.readFile(path.join(dir, 'captions', 'b.txt'), 'utf8'), 'xanrms, a woman sitting at a desk, soft window light.\n');
  for (const file of ['a.txt', 'b.txt']) {
    const findings = checkCaptionText(await fsp.readFile(path.join(dir, 'captions', file)), { token: 'xanrms', className: 'woman', captioner: 'sentence', tokenLimit: 0 });
    assert.deepEqual(findings, [], `${file} follows the rules`);
  }
  const sent = chat.requests[before];
  assert.equal(sent?.model, 'llava:13b');
  const prompt = (sent?.messages.find((m) => m.role === 'user')?.content as { text?: string }[])[0]?.text ?? '';
  assert.match(prompt, /only as "a woman"/);
  // The photo is sent upright and at most 1024 px on the long side.
  const url = (sent?.messages.find((m) => m.role === 'user')?.content as { image_url?: { url: string } }[])[1]?.image_url?.url ?? '';
  const meta = await sharp(Buffer.from(url.split(',')[1] ?? '', 'base64')).metadata();
  assert.deepEqual([meta.width, meta.height], [1024, 768]);

  // The endpoint going down stops the run with a clear error; captions written so far stay.
  await fsp.rm(path.join(dir, 'captions', 'b.txt'));
  const down = await runTack(['caption', dir, '--sentence-backend', 'endpoint', '--endpoint', 'http://127.0.0.1:9/v1', '--endpoint-model', 'other:7b']);
  assert.equal(down.code, 4);
  assert.match(down.stderr, /CHAT_UNREACHABLE/);
});

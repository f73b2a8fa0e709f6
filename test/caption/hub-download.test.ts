import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TackError } from '../../src/core/index.js';
import { findCachedHubFile, hubCacheDir, hubDownload, type HubOptions } from '../../src/io/hub-download.js';
import { tempDir } from '../helpers/cli.js';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub.js';

const REPO = 'SmilingWolf/wd-v1-4-moat-tagger-v2';
const model = randomBytes(300_000);
const csv = Buffer.from('tag_id,name,category,count\n1,general,9,1\n');
let hub: FakeHub;
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  hub = await startFakeHub([
    {
      id: REPO,
      files: [
        { path: 'model.onnx', content: model, lfs: true },
        { path: 'selected_tags.csv', content: csv },
      ],
    },
  ]);
});
after(async () => {
  await hub.close();
  for (const c of cleanups) await c();
});

async function freshCache(): Promise<string> {
  const t = await tempDir('tack-hub-');
  cleanups.push(t.cleanup);
  return path.join(t.dir, 'hub');
}

function opts(cacheDir: string, extra: Partial<HubOptions> = {}): HubOptions {
  return { endpoint: hub.url, cacheDir, env: {}, retryDelayMs: 10, ...extra };
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('a download lands in the standard Hugging Face cache layout (blobs, refs, snapshot symlinks)', async () => {
  const cache = await freshCache();
  const progress: number[] = [];
  const got = await hubDownload({ repo: REPO, file: 'model.onnx' }, opts(cache, { onProgress: (e) => progress.push(e.done) }));
  const folder = path.join(cache, 'models--SmilingWolf--wd-v1-4-moat-tagger-v2');
  const commit = hub.commitOf(REPO);
  assert.equal(got.commit, commit);
  assert.equal(got.path, path.join(folder, 'snapshots', commit, 'model.onnx'));
  assert.equal(got.downloaded, true);
  assert.equal(await fsp.readFile(path.join(folder, 'refs', 'main'), 'utf8'), commit);
  assert.equal(await fsp.readlink(got.path), path.join('..', '..', 'blobs', sha(model)));
  assert.deepEqual(await fsp.readFile(got.path), model);
  assert.equal(progress.at(-1), model.length);
  // A small (non-LFS) file is stored under its git blob sha1.
  const small = await hubDownload({ repo: REPO, file: 'selected_tags.csv' }, opts(cache));
  const gitSha = createHash('sha1').update(`blob ${csv.length}\0`).update(csv).digest('hex');
  assert.equal(await fsp.readlink(small.path), path.join('..', '..', 'blobs', gitSha));
  assert.deepEqual((await fsp.readdir(path.join(folder, 'blobs'))).sort(), [gitSha, sha(model)].sort());
});

test('a cached file is reused without downloading it again, also offline', async () => {
  const cache = await freshCache();
  await hubDownload({ repo: REPO, file: 'model.onnx' }, opts(cache));
  const before = hub.requests.filter((r) => r.path.startsWith('/cdn/')).length;
  const again = await hubDownload({ repo: REPO, file: 'model.onnx' }, opts(cache));
  assert.equal(again.downloaded, false);
  assert.equal(hub.requests.filter((r) => r.path.startsWith('/cdn/')).length, before);
  const requestsBefore = hub.requests.length;
  const offline = await hubDownload({ repo: REPO, file: 'model.onnx' }, opts(cache, { env: { HF_HUB_OFFLINE: '1' } }));
  assert.deepEqual(await fsp.readFile(offline.path), model);
  assert.equal(hub.requests.length, requestsBefore, 'offline mode makes no request');
});

test('an interrupted transfer resumes from where it stopped with a Range request', async () => {
  const cache = await freshCache();
  hub.dropTransfer('model.onnx', 120_000);
  const got = await hubDownload({ repo: REPO, file: 'model.onnx' }, opts(cache));
  assert.deepEqual(await fsp.readFile(got.path), model);
  const ranges = hub.requests.filter((r) => r.path.startsWith('/cdn/') && r.range).map((r) => r.range);
  // The server sent 120,000 bytes before dropping the connection; the client resumes from what
  // it had received (under load a reset can discard bytes still in the client's socket buffer).
  const starts = ranges.map((r) => Number(/^bytes=(\d+)-$/.exec(r ?? '')?.[1]));
  assert.equal(starts.length, 1, `one resumed request: ${JSON.stringify(ranges)}`);
  assert.ok((starts[0] as number) > 0 && (starts[0] as number) <= 120_000, `resumed with ${JSON.stringify(ranges)}`);
});

test('a partial file left by an earlier run (Ctrl-C, crash) is resumed, not restarted', async () => {
  const cache = await freshCache();
  const blobs = path.join(cache, 'models--SmilingWolf--wd-v1-4-moat-tagger-v2', 'blobs');
  await fsp.mkdir(blobs, { recursive: true });
  await fsp.writeFile(path.join(blobs, `${sha(model)}.incomplete`), model.subarray(0, 50_000));
  const got = await hubDownload({ repo: REPO, file: 'model.onnx' }, opts(cache));
  assert.deepEqual(await fsp.readFile(got.path), model);
  assert.equal(hub.requests.at(-1)?.range, 'bytes=50000-');
});

test('a corrupt download is rejected and nothing is left in the cache', async () => {
  const cache = await freshCache();
  const damaged = await startFakeHub([{ id: REPO, files: [{ path: 'model.onnx', content: model, lfs: true }] }]);
  damaged.corrupt('model.onnx');
  try {
    await assert.rejects(hubDownload({ repo: REPO, file: 'model.onnx' }, { ...opts(cache), endpoint: damaged.url }), (e: unknown) => {
      assert.ok(e instanceof TackError);
      assert.equal(e.code, 'HUB_CORRUPT');
      assert.match(e.message, /model\.onnx.*rejected: its hash is [0-9a-f]{64}, not [0-9a-f]{64}/);
      return true;
    });
    assert.equal(await findCachedHubFile(cache, { repo: REPO, file: 'model.onnx' }), undefined);
    const blobs = await fsp.readdir(path.join(cache, 'models--SmilingWolf--wd-v1-4-moat-tagger-v2', 'blobs'));
    assert.deepEqual(blobs, []);
  } finally {
    await damaged.close();
  }
});

test('unknown repositories and files are HUB_NOT_FOUND naming them', async () => {
  const cache = await freshCache();
  await assert.rejects(hubDownload({ repo: 'nobody/nothing', file: 'model.onnx' }, opts(cache)), (e: unknown) => e instanceof TackError && e.code === 'HUB_NOT_FOUND' && /nobody\/nothing/.test(e.message));
  await assert.rejects(hubDownload({ repo: REPO, file: 'weights.bin' }, opts(cache)), (e: unknown) => e instanceof TackError && e.code === 'HUB_NOT_FOUND' && /weights\.bin/.test(e.message));
});

async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

test('no network and no cached copy gives the manual steps', async () => {
  const cache = await freshCache();
  await assert.rejects(hubDownload({ repo: REPO, file: 'model.onnx' }, opts(cache, { endpoint: await closedPortUrl(), manualHint: 'and pass the folder with --model-dir' })), (e: unknown) => {
    assert.ok(e instanceof TackError);
    assert.equal(e.code, 'HUB_OFFLINE');
    assert.match(e.message, /model\.onnx of SmilingWolf\/wd-v1-4-moat-tagger-v2 is not in the Hugging Face cache .* cannot be reached \(ECONNREFUSED\)/);
    assert.match(e.hint, /tree\/main.*--model-dir/);
    return true;
  });
  await assert.rejects(hubDownload({ repo: REPO, file: 'model.onnx' }, opts(cache, { env: { HF_HUB_OFFLINE: '1' } })), (e: unknown) => e instanceof TackError && e.code === 'HUB_OFFLINE' && /HF_HUB_OFFLINE/.test(e.message));
});

test('a server that keeps failing gives HUB_DOWNLOAD_FAILED after the retries', async () => {
  const cache = await freshCache();
  hub.down(true);
  try {
    await assert.rejects(hubDownload({ repo: REPO, file: 'model.onnx' }, opts(cache, { retries: 2 })), (e: unknown) => e instanceof TackError && e.code === 'HUB_DOWNLOAD_FAILED' && /3 attempts \(HTTP 503\)/.test(e.message));
  } finally {
    hub.down(false);
  }
});

test('the cache folder follows the huggingface_hub environment variables', () => {
  assert.equal(hubCacheDir({ HF_HUB_CACHE: '/a/b' }), '/a/b');
  assert.equal(hubCacheDir({ HF_HOME: '/h' }), path.join('/h', 'hub'));
  assert.equal(hubCacheDir({ XDG_CACHE_HOME: '/x' }), path.join('/x', 'huggingface', 'hub'));
});

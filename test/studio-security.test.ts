/**
 * The studio serves files from the user's disk and starts trainings: each of its defences,
 * tried against a real `tack studio`. Loopback only by default; the token (link once, then an
 * HttpOnly SameSite cookie); Host (DNS rebinding) and Origin (CSRF) on every request; files
 * only from inside registered projects; uploads checked by content, size and name; project
 * text shown as text in a real browser; user input never reaching a shell.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { access, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { syntheticLoraMetadata, syntheticLoraTensors, writeSafetensors } from '../src/lora/index.js';
import { launchBrowserOrSkip } from './helpers/browser.js';
import { runTack, tempDir } from './helpers/cli.js';
import { waitFor } from './helpers/fake-engine.js';
import { writeJpeg } from './helpers/images.js';
import { spawnStudio, studioClient, type LiveStudio, type StudioClient } from './helpers/studio.js';

let root: { dir: string; cleanup: () => Promise<void> };
let env: NodeJS.ProcessEnv;
let studio: LiveStudio;
let api: StudioClient;
let project: string;
let pid: string;
// tack add replaces <>:"|?* in names (Windows-safe names), but a photo copied into photos/ by
// hand keeps whatever name it has.
const XSS_NAME = '<script>window.__xss=1;<img src=x onerror=window.__xss=1>.jpg';
const XSS_CAPTION = 'xanrms, <script>window.__xss=2</script>, <b onmouseover="window.__xss=3">bold</b>';

/** A raw request: the path goes out exactly as written (fetch would normalise "..").) */
function raw(pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: studio.port, path: pathname, method: 'GET', headers: { cookie: `tack_studio_${studio.port}=${studio.token}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  root = await tempDir('tack-studio-sec-');
  env = { TACK_DATA_DIR: path.join(root.dir, 'data'), TACK_CONFIG_DIR: path.join(root.dir, 'config') };
  project = path.join(root.dir, 'loras', 'ana');
  assert.equal((await runTack(['init', project, '--token', 'xanrms', '--class', 'woman'], { env })).code, 0);
  const src = path.join(root.dir, 'src');
  await mkdir(src);
  await writeJpeg(path.join(src, 'plain.jpg'), 512, 640, { seed: 4 });
  assert.equal((await runTack(['add', project, src], { env })).code, 0);
  await writeJpeg(path.join(project, 'photos', XSS_NAME), 640, 512, { seed: 3 });
  await writeFile(path.join(project, 'captions', 'plain.txt'), `${XSS_CAPTION}\n`);
  // Things outside the project that a request must never reach.
  await writeFile(path.join(root.dir, 'secret.txt'), 'TOP SECRET');
  await symlink(path.join(root.dir, 'secret.txt'), path.join(project, 'link-out.txt'));
  await writeFile(path.join(project, 'notes.key'), 'not a type the studio serves');
  studio = await spawnStudio([path.join(root.dir, 'loras')], env);
  api = studioClient(studio);
  pid = (await api.get<{ projects: Array<{ id: string }> }>('/api/projects')).body.projects[0]?.id as string;
});

after(async () => {
  await studio?.stop();
  await root.cleanup();
});

test('it listens on 127.0.0.1 only unless --host is given, and then warns', async () => {
  assert.match(studio.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
  const other = Object.values(os.networkInterfaces()).flatMap((l) => l ?? []).find((a) => a.family === 'IPv4' && !a.internal)?.address;
  if (other) {
    const reached = await fetch(`http://${other}:${studio.port}/`).then(() => true, () => false);
    assert.equal(reached, false, `the studio must not answer on ${other}`);
  }
  const open = await spawnStudio([path.join(root.dir, 'loras')], env, ['--host', '0.0.0.0']);
  try {
    await waitFor(() => /warning: the studio listens on 0\.0\.0\.0/.test(open.output()), 10_000, 'the warning');
  } finally {
    await open.stop();
  }
});

test('the token: nothing without it, the link sets an HttpOnly SameSite cookie and leaves the address bar', async () => {
  const anonymous = await fetch(`${studio.base}/api/projects`);
  assert.equal(anonymous.status, 401);
  assert.equal((await fetch(`${studio.base}/`)).status, 401);
  assert.equal((await fetch(`${studio.base}/?token=wrong-token`, { redirect: 'manual' })).status, 401);
  const login = await fetch(studio.url, { redirect: 'manual' });
  assert.equal(login.status, 302);
  assert.equal(login.headers.get('location'), '/');
  const cookie = login.headers.get('set-cookie') ?? '';
  assert.match(cookie, new RegExp(`^tack_studio_${studio.port}=${studio.token};`));
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const page = await fetch(`${studio.base}/`, { headers: { cookie: cookie.split(';')[0] as string } });
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  const bearer = await fetch(`${studio.base}/api/projects`, { headers: { authorization: `Bearer ${studio.token}` } });
  assert.equal(bearer.status, 200);
});

test('Host and Origin are checked on every request (DNS rebinding, CSRF)', async () => {
  assert.equal((await raw('/api/projects', { host: `evil.example:${studio.port}` })).status, 403, 'a rebound DNS name');
  assert.equal((await raw('/api/projects', { host: `127.0.0.1:${studio.port + 1}` })).status, 403);
  assert.equal((await raw('/api/projects', { host: `localhost:${studio.port}` })).status, 200);
  const evil = await api.get('/api/projects', { origin: 'http://evil.example' });
  assert.equal(evil.status, 403);
  const cookie = `tack_studio_${studio.port}=${studio.token}`;
  const noOrigin = await fetch(`${studio.base}/api/projects/${pid}/photos/remove`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ files: ['plain.jpg'] }) });
  assert.equal(noOrigin.status, 403, 'a change needs the studio\'s Origin (or the token as Bearer)');
  const crossSite = await fetch(`${studio.base}/api/projects/${pid}/photos/remove`, { method: 'POST', headers: { cookie, origin: 'http://evil.example', 'content-type': 'application/json' }, body: JSON.stringify({ files: ['plain.jpg'] }) });
  assert.equal(crossSite.status, 403);
  assert.deepEqual((await readdir(path.join(project, 'photos'))).sort(), [XSS_NAME, 'plain.jpg'].sort(), 'nothing was removed');
  const html = await raw('/api/projects', { host: 'x<script>:1' });
  assert.doesNotMatch(html.body, /<script>/, 'the refusal quotes the Host as text');
});

test('files are served only from inside the project: no "..", no encoded "..", no absolute path, no symlink out', async () => {
  const files = `/api/projects/${pid}/files`;
  const ok = await raw(`${files}/captions/plain.txt`);
  assert.equal(ok.status, 200);
  for (const attempt of [`${files}/../../../../../etc/passwd`, `${files}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd`, `${files}/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd`, `${files}/%2fetc%2fpasswd`, `${files}/%2e%2e%2fsecret.txt`, `${files}/link-out.txt`, `${files}/notes.key`, `${files}/..%5c..%5csecret.txt`]) {
    const response = await raw(attempt);
    assert.notEqual(response.status, 200, attempt);
    assert.doesNotMatch(response.body, /root:|TOP SECRET/, attempt);
  }
  const symlinked = await raw(`${files}/link-out.txt`);
  assert.equal(symlinked.status, 403);
  assert.match(symlinked.body, /STUDIO_PATH_REFUSED/);
  const thumbOfLink = await raw(`/api/projects/${pid}/photos/link-out.txt/thumb`);
  assert.equal(thumbOfLink.status, 404);
});

test('uploads are checked by content, size and name, and a refused one leaves nothing behind', async () => {
  const batch = (await api.post<{ batch: string }>(`/api/projects/${pid}/uploads`)).body.batch;
  const up = (name: string, body: string | Uint8Array) => api.post<{ error: { code: string } }>(`/api/projects/${pid}/uploads/${batch}?path=${encodeURIComponent(name)}`, body);
  const fake = await up('holiday.jpg', '#!/bin/sh\necho this is a script, not a photo\n');
  assert.equal(fake.status, 422);
  assert.equal(fake.body.error.code, 'STUDIO_BAD_UPLOAD');
  const big = await up('long.txt', 'a, '.repeat(40_000));
  assert.equal(big.status, 422);
  for (const name of ['.hidden.jpg', '../../escape.jpg', 'a\u0001b.jpg', 'x/../../y.jpg']) assert.equal((await up(name, 'x')).status, 422, name);
  assert.equal((await up('empty.jpg', '')).status, 422);
  const staged = path.join(root.dir, 'data', 'studio-uploads', pid, batch);
  assert.deepEqual(await readdir(staged).catch(() => []), [], 'no refused file stays in the staging folder');
  await assert.rejects(access(path.join(root.dir, 'escape.jpg')));
  const lora = await api.post<{ error: { code: string } }>('/api/lora/uploads?name=model.safetensors', 'PK\u0003\u0004 a zip, not a LoRA');
  assert.equal(lora.body.error.code, 'STUDIO_BAD_UPLOAD');
  assert.equal((await api.post('/api/lora/uploads?name=model.ckpt', 'x')).status, 422);
});

test('user input never reaches a shell: names with $(...), ; and leading dashes are plain names', async () => {
  // A shell would create this file in its working folder (the studio's, or a worker's: the project).
  const marker = 'tack-shell-marker';
  const batch = (await api.post<{ batch: string }>(`/api/projects/${pid}/uploads`)).body.batch;
  const jpeg = path.join(root.dir, 'p.jpg');
  await writeJpeg(jpeg, 512, 512, { seed: 9 });
  const bytes = new Uint8Array(await (await import('node:fs/promises')).readFile(jpeg));
  const names = [`$(touch ${marker}).jpg`, `; touch ${marker} ;.jpg`, '--json.jpg', '-rf.jpg'];
  for (const [i, name] of names.entries()) {
    await writeJpeg(jpeg, 512 + 8 * i, 512, { seed: 10 + i });
    const r = await api.post(`/api/projects/${pid}/uploads/${batch}?path=${encodeURIComponent(name)}`, new Uint8Array(await (await import('node:fs/promises')).readFile(jpeg)));
    assert.equal(r.status, 201, name);
  }
  assert.ok(bytes.length > 0);
  const imported = await api.post<{ job: { id: number } }>(`/api/projects/${pid}/uploads/${batch}/import`);
  await waitFor(async () => (await api.get<{ job: { status: string } }>(`/api/jobs/${imported.body.job.id}`)).body.job.status === 'succeeded', 60_000, 'the import');
  const photos = await readdir(path.join(project, 'photos'));
  for (const name of names) assert.ok(photos.includes(name), name);
  const removed = await api.post<{ removed: Array<{ file: string }> }>(`/api/projects/${pid}/photos/remove`, { files: names });
  assert.deepEqual(removed.body.removed.map((r) => r.file).sort(), [...names].sort());
  for (const dir of [project, root.dir, path.join(project, 'photos'), process.cwd()]) await assert.rejects(access(path.join(dir, marker)), dir);
});

test('file names, captions and LoRA metadata are shown as text in the browser, never run', async (t) => {
  const browser = await launchBrowserOrSkip(t);
  if (!browser) return;
  const lora = path.join(root.dir, 'evil.safetensors');
  const o = { arch: 'sdxl' as const, rank: 2, alpha: 2, dtype: 'F16' as const, filter: (m: { part: string }) => m.part === 'te1' };
  await writeSafetensors(lora, syntheticLoraTensors(o), { metadata: syntheticLoraMetadata(o, { ss_output_name: '<script>window.__xss=4</script>', ss_training_comment: '<img src=x onerror="window.__xss=5">' }) });
  try {
    const page = await browser.newPage();
    await page.goto(studio.url);
    await page.goto(`${studio.base}/#/p/${pid}/photos`);
    await page.waitForSelector('[data-test=photo-card]');
    assert.ok(await page.getByText(XSS_NAME).first().isVisible(), 'the file name is shown as written');
    await page.goto(`${studio.base}/#/p/${pid}/captions`);
    await page.waitForSelector('[data-test=chip]');
    assert.ok((await page.locator('[data-test=caption-row]').allTextContents()).some((t) => t.includes('<script>window.__xss=2</script>')), 'the caption is shown as written');
    await page.goto(`${studio.base}/#/lora`);
    await page.setInputFiles('[data-test=lora-file]', lora);
    await page.waitForSelector('[data-test=training-metadata]');
    assert.match(await page.locator('[data-test=training-metadata]').textContent() ?? '', /<script>window\.__xss=4<\/script>/);
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss), undefined, 'no payload ran');
    assert.equal(await page.locator('script:not([src])').count(), 0, 'no inline script element was created');
  } finally {
    await browser.close();
  }
});

/**
 * The studio's speed and memory, measured the way a user meets them, against its targets:
 *   - first byte after start: `tack studio` launched, until its first HTTP response (< 300 ms);
 *   - the photo grid of N photos (default 200 phone photos, 4000x3000) visible in Chromium, every
 *     thumbnail on screen loaded: cold (thumbnails made on demand) and warm (made before) (< 1.5 s);
 *   - a trainer's progress line shown in the page after the supervisor wrote it (< 500 ms): the
 *     fake trainer at 1 step per second, the page's progress text watched in the browser and
 *     compared with the time each step was written to metrics.jsonl;
 *   - the idle server's resident memory (< 200 MB).
 *
 *   node --import tsx bench/studio.ts [--n 200] [--steps 10]
 *
 * Needs the built CLI (npm run build) and Chromium. Photos are cached in bench/out/.
 */
import { spawn } from 'node:child_process';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { findBrowser, HEADLESS_BROWSER_ARGS } from '../src/io/index.js';
import { runTack } from '../test/helpers/cli.js';
import { fakeEngineEnv, makeTrainingProject } from '../test/helpers/fake-engine.js';
import { makeBenchPhotos } from './photos.js';
import { benchArg } from './args.js';

// Functions given to page.waitForFunction / evaluate run in the page.
declare const document: { querySelectorAll(selector: string): ArrayLike<{ getBoundingClientRect(): { top: number; bottom: number }; complete: boolean; naturalWidth: number }>; querySelector(selector: string): { textContent: string | null } | null };
declare const innerHeight: number;
declare const window: Record<string, unknown>;
declare const MutationObserver: new (cb: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = benchArg;
const N = Number(arg('n', '200'));
const STEPS = Number(arg('steps', '10'));
const TACK_BIN = path.join(here, '..', 'bin', 'tack.js');

function ratio(value: number, target: number): string {
  return `${(value / target).toFixed(2)}x of the target`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

interface Studio {
  readonly pid: number;
  readonly base: string;
  readonly token: string;
  readonly firstByteMs: number;
  readonly firstApiMs: number;
  stop(): Promise<void>;
}

/** Starts `tack studio` and times its first byte (and its first API answer) from the launch. */
async function startStudio(root: string, env: NodeJS.ProcessEnv): Promise<Studio> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [TACK_BIN, 'studio', root, '--port', String(port), '--no-open'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  let firstByteMs = 0;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`);
      await response.arrayBuffer();
      firstByteMs = performance.now() - t0;
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  while (!/token=(\S+)/.test(out)) await new Promise((r) => setTimeout(r, 2));
  const token = /token=(\S+)/.exec(out)?.[1] as string;
  const api = await fetch(`http://127.0.0.1:${port}/api/session`, { headers: { authorization: `Bearer ${token}` } });
  await api.text();
  const firstApiMs = performance.now() - t0;
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    pid: child.pid as number,
    base: `http://127.0.0.1:${port}`,
    token,
    firstByteMs,
    firstApiMs,
    async stop() {
      child.kill('SIGINT');
      await exited;
    },
  };
}

/** The floor: a bare Node HTTP server, launched and asked the same way (what any Node server costs here). */
async function nodeFloorMs(): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', `require('node:http').createServer((q, s) => s.end('x')).listen(${port}, '127.0.0.1')`], { stdio: 'ignore' });
  let ms = 0;
  for (;;) {
    try {
      await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer();
      ms = performance.now() - t0;
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  child.kill();
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function api<T>(studio: Studio, url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${studio.base}${url}`, { ...init, headers: { authorization: `Bearer ${studio.token}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });
  return (await response.json()) as T;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Milliseconds from navigation until every thumbnail on screen has loaded (in a fresh browser context). */
async function timeGrid(browser: Browser, studio: Studio, pid: string): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.addCookies([{ name: `tack_studio_${new URL(studio.base).port}`, value: studio.token, url: studio.base }]);
  const page = await context.newPage();
  const t0 = Date.now();
  await page.goto(`${studio.base}/#/p/${pid}/photos`);
  await page.waitForFunction(
    (n) => {
      const images = Array.from(document.querySelectorAll('[data-test=photo-card] img'));
      if (images.length < n) return false;
      const shown = images.filter((i) => {
        const r = i.getBoundingClientRect();
        return r.top < innerHeight && r.bottom > 0;
      });
      return shown.length > 0 && shown.every((i) => i.complete && i.naturalWidth > 0);
    },
    N,
    { polling: 'raf', timeout: 300_000 },
  );
  const elapsed = Date.now() - t0;
  await context.close();
  return elapsed;
}

/** Each step's delay from metrics.jsonl (the supervisor wrote it) to the page's progress text. */
async function timeProgress(browser: Browser, studio: Studio, pid: string, project: string): Promise<number[]> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.addCookies([{ name: `tack_studio_${new URL(studio.base).port}`, value: studio.token, url: studio.base }]);
  const page = await context.newPage();
  await page.goto(`${studio.base}/#/p/${pid}/train`);
  await page.waitForSelector('[data-test=start-training]');
  await page.evaluate(() => {
    const seen: Array<[string, number]> = [];
    window.__seen = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[data-test=progress] .label')?.textContent;
      if (text && seen.at(-1)?.[0] !== text) seen.push([text, Date.now()]);
    }).observe((globalThis as unknown as { document: { body: unknown } }).document.body, { subtree: true, childList: true, characterData: true });
  });
  const started = await api<{ job: { id: number } }>(studio, `/api/projects/${pid}/jobs`, { method: 'POST', body: JSON.stringify({ kind: 'train', inputs: {} }), headers: { origin: studio.base } });
  await until(async () => (await api<{ job: { status: string } }>(studio, `/api/jobs/${started.job.id}`)).job.status !== 'running', 600_000, 'the training');
  const job = await api<{ job: { runId: string } }>(studio, `/api/jobs/${started.job.id}`);
  const seen = (await page.evaluate(() => window.__seen)) as Array<[string, number]>;
  await context.close();
  const shownAt = new Map<number, number>();
  for (const [text, at] of seen) {
    const step = Number(/^training (\d+)\//.exec(text)?.[1]);
    if (Number.isFinite(step) && !shownAt.has(step)) shownAt.set(step, at);
  }
  const delays: number[] = [];
  for (const line of (await readFile(path.join(project, 'runs', job.job.runId, 'metrics.jsonl'), 'utf8')).split('\n')) {
    if (!line.trim()) continue;
    const m = JSON.parse(line) as { kind?: string; step?: number; time: string };
    if (m.kind === undefined && typeof m.step === 'number' && m.step > 0 && shownAt.has(m.step)) delays.push((shownAt.get(m.step) as number) - Date.parse(m.time));
  }
  return delays;
}

function rssMb(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((s) => Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) / 1024);
}

const lookup = findBrowser();
if (lookup.kind === 'missing') {
  console.error(`bench/studio.ts needs Chromium: ${lookup.reason}`);
  process.exit(1);
}
const home = await mkdtemp(path.join(os.tmpdir(), 'tack-bench-studio-'));
const env = fakeEngineEnv(home, { FAKE_SD_SCRIPTS_STEP_SECONDS: '1' });
const root = path.join(home, 'loras');
const browser = await chromium.launch({ executablePath: lookup.browser.executablePath, headless: true, args: [...HEADLESS_BROWSER_ARGS] });
try {
  console.log(`tack studio benchmark: ${N} photos of 4000x3000, the fake trainer at 1 step per second`);
  const photos = path.join(here, 'out', `photos-v2-${N}`);
  await makeBenchPhotos(photos, N, { onProgress: (d, t) => process.stderr.write(`  making photos ${d}/${t}\n`) });
  const grid = path.join(root, 'grid');
  await runTack(['init', grid, '--token', 'xanrms', '--class', 'woman'], { env });
  const added = await runTack(['add', grid, photos], { env, timeoutMs: 1_800_000 });
  if (added.code !== 0) throw new Error(added.stderr);
  const project = await makeTrainingProject(root, 'train', { env, plan: { target_steps: STEPS + 2 } });

  // Starts are noisy on a shared machine: the median of three, next to the bare-Node floor.
  const floors: number[] = [];
  const starts: Array<{ firstByteMs: number; firstApiMs: number }> = [];
  for (let i = 0; i < 3; i++) {
    floors.push(await nodeFloorMs());
    const s = await startStudio(root, env);
    starts.push({ firstByteMs: s.firstByteMs, firstApiMs: s.firstApiMs });
    await s.stop();
  }
  const studio = await startStudio(root, env);
  const projects = await api<{ projects: Array<{ id: string; dir: string }> }>(studio, '/api/projects');
  const gridId = projects.projects.find((p) => p.dir === grid)?.id as string;
  const trainId = projects.projects.find((p) => p.dir === project)?.id as string;
  // The doctor's report first (badges), so only the grid is measured.
  await until(async () => (await api<{ doctorFresh: boolean }>(studio, `/api/projects/${gridId}/photos`)).doctorFresh, 1_800_000, 'the doctor');
  const cold = await timeGrid(browser, studio, gridId);
  const warm = Math.min(await timeGrid(browser, studio, gridId), await timeGrid(browser, studio, gridId));
  const delays = (await timeProgress(browser, studio, trainId, project)).sort((a, b) => a - b);
  await new Promise((r) => setTimeout(r, 5000));
  const rss = await rssMb(studio.pid);
  await studio.stop();

  const at = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] ?? NaN;
  const firstByte = median(starts.map((x) => x.firstByteMs));
  const floor = median(floors);
  console.log(`  first byte after start        ${firstByte.toFixed(0)} ms   (target < 300 ms: ${ratio(firstByte, 300)}; a bare Node HTTP server here: ${floor.toFixed(0)} ms, so the studio adds ${(firstByte - floor).toFixed(0)} ms; median of 3)`);
  console.log(`  first API answer after start  ${median(starts.map((x) => x.firstApiMs)).toFixed(0)} ms   (the library loads while the page does)`);
  console.log(`  load average while measuring  ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (2 cores)`);
  console.log(`  photo grid visible, warm      ${warm} ms   (${N} photos, thumbnails made before; target < 1500 ms: ${ratio(warm, 1500)})`);
  console.log(`  photo grid visible, cold      ${cold} ms   (thumbnails made on demand from the 12 MP photos)`);
  console.log(`  progress line to page         median ${at(0.5).toFixed(0)} ms, p90 ${at(0.9).toFixed(0)} ms, max ${(delays.at(-1) ?? NaN).toFixed(0)} ms over ${delays.length} steps (target < 500 ms: ${ratio(delays.at(-1) ?? NaN, 500)} for the max)`);
  console.log(`  idle server RSS               ${rss.toFixed(0)} MB   (target < 200 MB: ${ratio(rss, 200)})`);
} finally {
  await browser.close();
  await rm(home, { recursive: true, force: true });
}

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cancelJob, dispatchJobs, JobStore, localLauncher, reconcileJobs, viewJob, liveProbes } from './index.js';

const run = promisify(execFile);
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'jobs');

async function tempData(): Promise<{ env: NodeJS.ProcessEnv; dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-jobs-proc-'));
  return { dir, env: { ...process.env, TACK_DATA_DIR: dir }, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

async function waitFor<T>(fn: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function sleepLauncher(env: NodeJS.ProcessEnv) {
  return localLauncher({ argv: (id) => [process.execPath, '--import', 'tsx', path.join(FIXTURES, 'sleep-worker.ts'), String(id)], env });
}

test('four processes writing one store at once: no "database is locked", every job ends', async () => {
  const { env, cleanup } = await tempData();
  try {
    const outputs = await Promise.all([0, 1, 2, 3].map(() => run(process.execPath, ['--import', 'tsx', path.join(FIXTURES, 'hammer.ts'), '25'], { env })));
    for (const o of outputs) assert.deepEqual(JSON.parse(o.stdout), { added: 25 });
    const store = JobStore.open({ env });
    const jobs = store.list();
    store.close();
    assert.equal(jobs.length, 100);
    assert.deepEqual([...new Set(jobs.map((j) => j.state))], ['succeeded']);
  } finally {
    await cleanup();
  }
});

test('a worker outlives the process that started it, reports progress and records its result', async () => {
  const { env, cleanup } = await tempData();
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(FIXTURES, 'dispatch-and-exit.ts'), '12', '150'], { env });
    const { id, dispatcher } = JSON.parse(stdout) as { id: number; dispatcher: number };
    const store = JobStore.open({ env });
    // The dispatcher has exited; the job still runs in its own worker.
    const running = await waitFor(() => {
      const job = viewJob(store.require(id), liveProbes());
      return job.status === 'running' && job.worker?.kind === 'local' && job.worker.pid !== dispatcher && job.progress ? job : undefined;
    }, 'the worker to report');
    assert.equal(running.status, 'running');
    const done = await waitFor(() => {
      const job = store.require(id);
      return job.state === 'succeeded' ? job : undefined;
    }, 'the job to end');
    assert.deepEqual((done.result as { done: number }).done, 12);
    assert.ok(done.worker?.kind === 'local' && (done.result as { pid: number }).pid === done.worker.pid);
    assert.equal(done.progress?.done, 12);
    assert.match(await readFile((done.worker as { logFile: string }).logFile, 'utf8').catch(() => 'no log'), /^$|./);
    store.close();
  } finally {
    await cleanup();
  }
});

test('cancel stops a running worker gracefully (its partial result is kept); a killed one is interrupted', async () => {
  const { env, cleanup } = await tempData();
  const store = JobStore.open({ env });
  try {
    const job = store.insert({ kind: 'caption', project: '/p', inputs: { steps: 200, stepMs: 50 } });
    const second = store.insert({ kind: 'caption', project: '/p', inputs: { steps: 200, stepMs: 50 } });
    dispatchJobs(store, { launch: sleepLauncher(env) });
    await waitFor(() => (store.require(job.id).progress && store.require(second.id).progress ? true : undefined), 'both workers to start');
    const result = cancelJob(store, job.id);
    assert.equal(result.outcome, 'stopping');
    const cancelled = await waitFor(() => (store.require(job.id).state === 'cancelled' ? store.require(job.id) : undefined), 'the cancel');
    assert.ok((cancelled.result as { done: number }).done < 200);

    const victim = store.require(second.id).worker as { pid: number };
    process.kill(victim.pid, 'SIGKILL');
    await waitFor(() => (viewJob(store.require(second.id), liveProbes()).status === 'interrupted' ? true : undefined), 'the dead worker to show');
    reconcileJobs(store);
    const settled = store.require(second.id);
    assert.equal(settled.state, 'interrupted');
    assert.match(settled.error?.message ?? '', /pid \d+\) is gone/);
  } finally {
    store.close();
    await cleanup();
  }
});

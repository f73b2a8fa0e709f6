import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openSqlite } from '../io/index.js';
import { cancelJob, currentProcessWorker, deriveJobStatus, dispatchJobs, JOB_HEARTBEAT_STALE_MS, JobStore, reconcileJobs, startForegroundJob, type JobRecord, type StatusProbes, type WorkerRecord } from './index.js';

async function withStore(fn: (store: JobStore, dir: string) => Promise<void> | void): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-jobs-'));
  const store = JobStore.open({ file: path.join(dir, 'jobs.sqlite') });
  try {
    await fn(store, dir);
  } finally {
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Probes where the pids in `alive` exist and run folders say what `runs` says. */
function probes(alive: ReadonlySet<number>, runs: Record<string, 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted'> = {}, now = Date.now()): StatusProbes {
  return {
    localProcessAlive: (w) => alive.has(w.pid),
    runStatus: (_project, runId) => runs[runId],
    now: () => now,
    hostname: 'here',
  };
}

function worker(pid: number, heartbeatAt = new Date().toISOString(), hostname = 'here'): WorkerRecord {
  return { kind: 'local', pid, hostname, startedAt: heartbeatAt, heartbeatAt };
}

/** A launcher that pretends to start pid 1000 + id and records what it started. */
function fakeLauncher(started: number[]) {
  return (job: JobRecord) => {
    started.push(job.id);
    return worker(1000 + job.id);
  };
}

test('a job is stored with its kind, project, machine, resource, inputs and a state event', () =>
  withStore((store) => {
    const job = store.insert({ kind: 'train', project: '/p/lora', inputs: { resume: true }, title: 'train lora' });
    assert.equal(job.state, 'queued');
    assert.equal(job.resource, 'gpu');
    assert.equal(job.machine, 'local');
    assert.deepEqual(job.inputs, { resume: true });
    assert.equal(store.insert({ kind: 'doctor', project: '/p/lora' }).resource, 'cpu');
    assert.deepEqual(
      store.eventsSince(0, { jobId: job.id }).map((e) => [e.type, e.data.state]),
      [['state', 'queued']],
    );
    assert.throws(() => store.insert({ kind: 'bake' as 'train' }), /not a kind of job/);
    assert.throws(() => store.require(999), (e: Error & { code?: string }) => e.code === 'JOBS_NOT_FOUND');
  }));

test('a store written by a newer tack is refused instead of rewritten', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-jobs-'));
  const file = path.join(dir, 'jobs.sqlite');
  JobStore.open({ file }).close();
  const db = openSqlite(file);
  db.pragma('user_version = 99');
  db.close();
  assert.throws(() => JobStore.open({ file }), (e: Error & { code?: string }) => e.code === 'JOBS_STORE_UNAVAILABLE' && /version 99/.test(e.message));
  await rm(dir, { recursive: true, force: true });
});

test('a running job is running only while its worker process lives and reports', () =>
  withStore((store) => {
    const job = store.insert({ kind: 'doctor' }, { state: 'running', worker: worker(4242) });
    assert.equal(deriveJobStatus(job, probes(new Set([4242]))).status, 'running');
    const dead = deriveJobStatus(job, probes(new Set()));
    assert.equal(dead.status, 'interrupted');
    assert.match(dead.reason ?? '', /pid 4242.*gone/);
    const later = Date.now() + JOB_HEARTBEAT_STALE_MS + 1000;
    assert.match(deriveJobStatus(job, probes(new Set([4242]), {}, later)).reason ?? '', /has not reported/);
    // The same pid reused by another process: a different start time.
    const reused = { ...job, worker: { ...(job.worker as Extract<WorkerRecord, { kind: 'local' }>), processStart: 5 } };
    const real = { ...probes(new Set([4242])), localProcessAlive: (w: { processStart?: number }) => w.processStart === 6 };
    assert.equal(deriveJobStatus(reused, real).status, 'interrupted');
  }));

test('a training whose worker died is what its run folder says', () =>
  withStore((store) => {
    const job = store.insert({ kind: 'train', project: '/p' }, { state: 'running', worker: worker(7) });
    store.setRunId(job.id, '20260301-120000');
    const withRun = store.require(job.id);
    assert.equal(deriveJobStatus(withRun, probes(new Set(), { '20260301-120000': 'succeeded' })).status, 'succeeded');
    assert.equal(deriveJobStatus(withRun, probes(new Set(), { '20260301-120000': 'running' })).status, 'running');
    assert.equal(deriveJobStatus(withRun, probes(new Set(), { '20260301-120000': 'interrupted' })).status, 'interrupted');
    assert.equal(deriveJobStatus(withRun, probes(new Set())).status, 'interrupted');
  }));

test('a remote worker is judged by the probe its module registers', () =>
  withStore((store) => {
    const at = new Date().toISOString();
    const job = store.insert({ kind: 'train', machine: 'a100' }, { state: 'running', worker: { kind: 'remote-ssh', startedAt: at, heartbeatAt: at, data: { host: 'gpu.example' } } });
    const p = { ...probes(new Set()), workerProbes: { 'remote-ssh': () => ({ alive: false, reason: 'the remote trainer is gone' }) } };
    assert.deepEqual(deriveJobStatus(job, p), { status: 'interrupted', reason: 'the remote trainer is gone' });
    assert.equal(deriveJobStatus(job, probes(new Set())).status, 'running');
  }));

test('one GPU job per machine at a time, in queue order; machines run in parallel; CPU jobs share slots', () =>
  withStore((store) => {
    const started: number[] = [];
    const a = store.insert({ kind: 'train', project: '/a' });
    const b = store.insert({ kind: 'train', project: '/b' });
    const remote = store.insert({ kind: 'train', project: '/c', machine: 'rented-4090' });
    const cpu = [1, 2, 3].map(() => store.insert({ kind: 'caption', project: '/a' }));
    const alive = new Set<number>();
    const p = () => probes(alive);
    const launch = (job: JobRecord) => {
      alive.add(1000 + job.id);
      return fakeLauncher(started)(job);
    };
    dispatchJobs(store, { launch, probes: p(), cpuSlots: 2 });
    assert.deepEqual(started, [a.id, remote.id, cpu[0]?.id, cpu[1]?.id]);
    assert.equal(store.require(b.id).state, 'queued');
    // Nothing changes while they run.
    dispatchJobs(store, { launch, probes: p(), cpuSlots: 2 });
    assert.equal(started.length, 4);
    // The first training ends: the second one starts, and the third CPU job after a CPU job ends.
    store.finish(a.id, { status: 'succeeded', result: {} });
    store.finish(cpu[0]?.id as number, { status: 'succeeded', result: {} });
    dispatchJobs(store, { launch, probes: p(), cpuSlots: 2 });
    assert.deepEqual(started.slice(4), [b.id, cpu[2]?.id]);
  }));

test('a GPU job whose worker died frees its machine for the next one', () =>
  withStore((store) => {
    const started: number[] = [];
    const dead = store.insert({ kind: 'train', project: '/a' }, { state: 'running', worker: worker(555) });
    const next = store.insert({ kind: 'train', project: '/b' });
    dispatchJobs(store, { launch: fakeLauncher(started), probes: probes(new Set()) });
    assert.deepEqual(started, [next.id]);
    const settled = store.require(dead.id);
    assert.equal(settled.state, 'interrupted');
    assert.equal(settled.error?.code, 'JOBS_INTERRUPTED');
    assert.match(settled.error?.hint ?? '', /tack train \/a --resume/);
  }));

test('cancel takes a queued job off the queue, and asks a running one to stop', () =>
  withStore((store) => {
    const queued = store.insert({ kind: 'train' });
    assert.equal(cancelJob(store, queued.id, probes(new Set())).outcome, 'removed');
    assert.equal(store.require(queued.id).state, 'cancelled');
    const started: number[] = [];
    dispatchJobs(store, { launch: fakeLauncher(started), probes: probes(new Set()) });
    assert.deepEqual(started, [], 'a cancelled job never starts');

    const running = store.insert({ kind: 'doctor' }, { state: 'running', worker: worker(process.pid) });
    const result = cancelJob(store, running.id, probes(new Set([process.pid])));
    assert.equal(result.outcome, 'stopping');
    assert.ok(store.require(running.id).cancelRequestedAt);
    assert.equal(store.heartbeat(running.id).cancelRequested, true);
    store.finish(running.id, { status: 'cancelled' });
    assert.throws(() => cancelJob(store, running.id, probes(new Set())), (e: Error & { code?: string }) => e.code === 'JOBS_ALREADY_ENDED');
  }));

test('reconcile writes the real status of dead workers once, with a state event', () =>
  withStore((store) => {
    const job = store.insert({ kind: 'caption', project: '/p' }, { state: 'running', worker: worker(9) });
    const fixed = reconcileJobs(store, probes(new Set()));
    assert.deepEqual(fixed.map((j) => [j.id, j.state]), [[job.id, 'interrupted']]);
    assert.equal(reconcileJobs(store, probes(new Set())).length, 0);
    const states = store.eventsSince(0, { jobId: job.id }).filter((e) => e.type === 'state').map((e) => e.data.state);
    assert.deepEqual(states, ['running', 'interrupted']);
  }));

test('a foreground training is refused while another GPU job runs on the machine', () =>
  withStore((store) => {
    const first = startForegroundJob(store, { kind: 'train', project: '/a', title: 'train a' }, { probes: probes(new Set([process.pid])) });
    assert.equal(store.require(first.id).state, 'running');
    assert.throws(
      () => startForegroundJob(store, { kind: 'train', project: '/b' }, { probes: probes(new Set([process.pid])) }),
      (e: Error & { code?: string }) => e.code === 'JOBS_GPU_BUSY' && /Job \d+ \(train a\)/.test(e.message),
    );
    // A CPU job is not held back by the GPU.
    const cpu = startForegroundJob(store, { kind: 'evaluate', project: '/a' }, { probes: probes(new Set([process.pid])) });
    cpu.finish({ status: 'succeeded', result: { kind: 'evaluate' } });
    first.progress({ label: 'training', done: 3, total: 10 });
    first.setRunId('20260301-120000');
    first.finish({ status: 'succeeded', result: { kind: 'train' } });
    first.finish({ status: 'failed', error: { code: 'X', message: 'x', hint: 'x' } });
    const done = store.require(first.id);
    assert.equal(done.state, 'succeeded', 'the first end wins');
    assert.equal(done.runId, '20260301-120000');
    assert.deepEqual(done.progress, { label: 'training', done: 3, total: 10 });
    assert.equal(currentProcessWorker().kind, 'local');
  }));

test('finished jobs keep only their last progress event', () =>
  withStore((store) => {
    const job = store.insert({ kind: 'import' }, { state: 'running', worker: worker(1) });
    for (let i = 1; i <= 5; i++) store.setProgress(job.id, { label: 'Importing', done: i, total: 5 });
    store.finish(job.id, { status: 'succeeded', result: { kind: 'add' } });
    const progress = store.eventsSince(0, { jobId: job.id }).filter((e) => e.type === 'progress');
    assert.deepEqual(progress.map((e) => e.data.done), [5]);
  }));

/**
 * A studio restart in the middle of a training: the training runs in its own worker, so a
 * studio killed without warning stops nothing, and the next studio shows the job as it really
 * is: still running (then finished); and after the worker and its trainer die too (the
 * machine went down), interrupted and resumable, and resumed into the same run.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { tempDir } from './helpers/cli.js';
import { fakeEngineEnv, makeTrainingProject, waitFor } from './helpers/fake-engine.js';
import { spawnStudio, studioClient, type LiveStudio } from './helpers/studio.js';

interface JobDoc {
  id: number;
  kind: string;
  status: string;
  runId: string | null;
  progress: { done: number } | null;
  worker: { kind: string; pid: number } | null;
  error: { code: string; hint: string } | null;
}

let root: { dir: string; cleanup: () => Promise<void> };
let env: NodeJS.ProcessEnv;
let project: string;
const studios: LiveStudio[] = [];

async function start(): Promise<{ studio: LiveStudio; api: ReturnType<typeof studioClient>; pid: string }> {
  const studio = await spawnStudio([path.join(root.dir, 'loras')], env);
  studios.push(studio);
  const api = studioClient(studio);
  const pid = (await api.get<{ projects: Array<{ id: string }> }>('/api/projects')).body.projects[0]?.id as string;
  return { studio, api, pid };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

before(async () => {
  root = await tempDir('tack-studio-restart-');
  env = fakeEngineEnv(root.dir, { FAKE_SD_SCRIPTS_STEP_SECONDS: '0.6' });
  project = await makeTrainingProject(path.join(root.dir, 'loras'), 'ana', { env, train: { save_state: true } });
});

after(async () => {
  for (const s of studios) await s.stop();
  await root.cleanup();
});

test('a studio killed mid-training stops nothing; the next one shows the job still running, then finished', async () => {
  const first = await start();
  const started = await first.api.post<{ job: JobDoc }>(`/api/projects/${first.pid}/jobs`, { kind: 'train', inputs: {} });
  const id = started.body.job.id;
  const job = async (api: ReturnType<typeof studioClient>) => (await api.get<{ job: JobDoc }>(`/api/jobs/${id}`)).body.job;
  await waitFor(async () => ((await job(first.api)).progress?.done ?? 0) >= 2, 60_000, 'the training to make progress');
  const worker = (await job(first.api)).worker as { pid: number };
  first.studio.child.kill('SIGKILL');
  await first.studio.stop();
  assert.ok(alive(worker.pid), 'the worker lives on without the studio');

  const second = await start();
  assert.notEqual(second.studio.token, first.studio.token, 'a new start, a new token');
  const seen = await job(second.api);
  assert.equal(seen.status, 'running');
  const before = seen.progress?.done ?? 0;
  await waitFor(async () => ((await job(second.api)).progress?.done ?? 0) > before, 30_000, 'progress seen by the new studio');
  await waitFor(async () => (await job(second.api)).status === 'succeeded', 120_000, 'the training to finish');
  await second.studio.stop();
});

test('when the worker and its trainer die with the studio, the job is interrupted and resumes into the same run', async () => {
  const first = await start();
  const started = await first.api.post<{ job: JobDoc }>(`/api/projects/${first.pid}/jobs`, { kind: 'train', inputs: {} });
  const id = started.body.job.id;
  const job = async (api: ReturnType<typeof studioClient>, jobId = id) => (await api.get<{ job: JobDoc }>(`/api/jobs/${jobId}`)).body.job;
  // Past the first epoch, so there is a saved state to resume from.
  await waitFor(async () => {
    const j = await job(first.api);
    if (!j.runId) return false;
    const metrics = await readFile(path.join(project, 'runs', j.runId, 'metrics.jsonl'), 'utf8').catch(() => '');
    return metrics.includes('"kind":"checkpoint"');
  }, 90_000, 'the first checkpoint');
  const running = await job(first.api);
  const runId = running.runId as string;
  const trainer = (JSON.parse(await readFile(path.join(project, 'runs', runId, 'run.json'), 'utf8')) as { trainer: { pid: number } }).trainer.pid;
  // The machine goes down: studio, worker and trainer all at once.
  first.studio.child.kill('SIGKILL');
  process.kill((running.worker as { pid: number }).pid, 'SIGKILL');
  process.kill(-trainer, 'SIGKILL');
  await first.studio.stop();
  await waitFor(() => !alive(trainer), 10_000, 'the trainer to be gone');

  const second = await start();
  await waitFor(async () => (await job(second.api)).status === 'interrupted', 30_000, 'the job to show interrupted');
  const interrupted = await job(second.api);
  assert.equal(interrupted.error?.code, 'JOBS_INTERRUPTED');
  assert.match(interrupted.error?.hint ?? '', /--resume|Resume/);
  const runs = (await second.api.get<{ runs: Array<{ id: string; status: string }> }>(`/api/projects/${second.pid}/runs`)).body.runs;
  assert.equal(runs.find((r) => r.id === runId)?.status, 'interrupted');

  const resumed = await second.api.post<{ job: JobDoc }>(`/api/projects/${second.pid}/jobs`, { kind: 'train', inputs: { resume: true } });
  await waitFor(async () => !['queued', 'running'].includes((await job(second.api, resumed.body.job.id)).status), 120_000, 'the resumed training');
  const done = await job(second.api, resumed.body.job.id);
  assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
  assert.equal(done.runId, runId, 'the same run folder continues');
  const log = await readFile(path.join(project, 'runs', runId, 'log.txt'), 'utf8');
  assert.match(log, /resume training from local state/);
});

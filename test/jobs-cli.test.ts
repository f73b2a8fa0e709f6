/**
 * Jobs through the built CLI: a `tack train` in a terminal registers itself and is seen live by
 * `tack jobs`, stopped by `tack jobs cancel` like Ctrl-C, shown as interrupted when killed; a
 * second training waits for the GPU; a queued job runs in a detached `tack jobs work` process
 * and its result is exactly the command's --json document.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dispatchJobs, JobStore, type JobView } from '../src/jobs/index.js';
import { workerLauncher } from '../src/cli/jobs-runtime.js';
import { runTack, tempDir } from './helpers/cli.js';
import { fakeEngineEnv, makeTrainingProject, startTack, waitFor } from './helpers/fake-engine.js';

let root: { dir: string; cleanup: () => Promise<void> };
let env: NodeJS.ProcessEnv;
let first: string;
let second: string;

before(async () => {
  root = await tempDir('tack-jobs-cli-');
  env = fakeEngineEnv(root.dir, { FAKE_SD_SCRIPTS_STEP_SECONDS: '0.5' });
  first = await makeTrainingProject(root.dir, 'ana', { env, train: { save_state: true } });
  second = await makeTrainingProject(root.dir, 'ben', { env });
});

after(async () => {
  await root.cleanup();
});

async function jobsJson(args: string[] = []): Promise<JobView[]> {
  const out = await runTack(['jobs', ...args, '--json'], { env });
  assert.equal(out.code, 0, out.stderr);
  return (JSON.parse(out.stdout) as { jobs: JobView[] }).jobs;
}

test('a training started in a terminal is a job: listed live, refused a second GPU, stopped by tack jobs cancel, resumable', async () => {
  const live = startTack(['train', first], { env });
  let id = 0;
  try {
    await waitFor(async () => {
      const jobs = await jobsJson();
      const job = jobs.find((j) => j.kind === 'train' && j.project === first);
      if (job?.status === 'running' && job.runId && job.progress) id = job.id;
      return id > 0;
    }, 60_000, 'the training to show in tack jobs');
    const [job] = (await jobsJson()).filter((j) => j.id === id);
    assert.equal(job?.origin, 'terminal');
    assert.equal(job?.resource, 'gpu');
    assert.equal(job?.worker?.kind === 'local' && job.worker.pid, live.child.pid);

    const other = await runTack(['train', second], { env });
    assert.equal(other.code, 3);
    assert.match(other.stderr, new RegExp(`JOBS_GPU_BUSY.*Job ${id} \\(train ana\\)`));
    assert.match(other.stderr, new RegExp(`tack jobs cancel ${id}`));

    const cancel = await runTack(['jobs', 'cancel', String(id), '--json'], { env });
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal(JSON.parse(cancel.stdout).outcome, 'stopping');
  } catch (error) {
    live.child.kill('SIGINT');
    await live.done;
    throw error;
  }
  const done = await live.done;
  assert.equal(done.code, 130, done.stderr);
  const show = await runTack(['jobs', 'show', String(id), '--json'], { env });
  const shown = JSON.parse(show.stdout) as { job: JobView; events: Array<{ type: string }> };
  assert.equal(shown.job.status, 'cancelled');
  assert.equal(shown.job.error?.code, 'JOBS_TRAINING_FAILED');
  assert.match(shown.job.error?.hint ?? '', /--resume/);
  assert.ok(shown.events.some((e) => e.type === 'epoch' || e.type === 'checkpoint' || e.type === 'started'), 'the supervisor events reached the job');

  const resumed = await runTack(['train', first, '--resume', '--json'], { env: { ...env, FAKE_SD_SCRIPTS_STEP_SECONDS: '0.002' } });
  assert.equal(resumed.code, 0, resumed.stderr);
  const latest = (await jobsJson()).find((j) => j.kind === 'train' && j.project === first);
  assert.equal(latest?.status, 'succeeded');
  assert.deepEqual(latest?.inputs, { resume: true });
});

test('a training killed with SIGKILL shows as interrupted with the resume hint, never running', async () => {
  const live = startTack(['train', second], { env });
  await waitFor(async () => (await jobsJson()).some((j) => j.project === second && j.status === 'running' && j.runId), 60_000, 'the training to run');
  live.child.kill('SIGKILL');
  await live.done;
  // Its trainer (in its own process group) may live on briefly; the job is judged by its worker.
  await waitFor(async () => (await jobsJson()).find((j) => j.project === second)?.status === 'interrupted', 30_000, 'the job to show interrupted');
  const job = (await jobsJson()).find((j) => j.project === second) as JobView;
  assert.equal(job.error?.code, 'JOBS_INTERRUPTED');
  assert.match(job.error?.hint ?? '', /--resume/);
  const text = await runTack(['jobs'], { env });
  assert.match(text.stdout, /interrupted/);
});

test('a queued job runs in a detached worker and its result is the command\'s own --json document', async () => {
  const store = JobStore.open({ env });
  try {
    const job = store.insert({ kind: 'doctor', project: first, origin: 'test' });
    dispatchJobs(store, { launch: workerLauncher(env) });
    const done = await (async () => {
      await waitFor(() => store.require(job.id).state !== 'running' && store.require(job.id).state !== 'queued', 60_000, 'the doctor job');
      return store.require(job.id);
    })();
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
    const viaCli = JSON.parse((await runTack(['doctor', first, '--json'], { env })).stdout) as Record<string, unknown>;
    const { durationMs: _a, ...fromJob } = done.result as Record<string, unknown>;
    const { durationMs: _b, ...fromCli } = viaCli;
    assert.deepEqual(fromJob, fromCli);
    assert.ok(done.worker?.kind === 'local' && done.worker.pid !== process.pid);
    const follow = await runTack(['jobs', 'follow', String(job.id)], { env });
    assert.equal(follow.code, 0);
    assert.match(follow.stdout, /succeeded/);
  } finally {
    store.close();
  }
  const missing = await runTack(['jobs', 'show', '9999'], { env });
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /JOBS_NOT_FOUND/);
});

/**
 * The training queue across machines (loopback sshds as remotes, the fake trainer on them):
 * two runs queued on one remote train one after the other; two remotes train in parallel; a
 * queued job can be taken off and a running one stopped; and when the worker that follows a
 * remote run is killed (a crash of tack), the queue follows the run again and brings it home.
 */
import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import type { JobView } from '../src/jobs/index.js';
import { runTack, tempDir } from './helpers/cli.js';
import { makeTrainingProject, processesMentioning, waitFor } from './helpers/fake-engine.js';
import { addRemote, filesUnder, readRunJson, remoteTestEnv, useLocalModelThere, waitForRemoteFile } from './helpers/remote.js';
import { skipWithoutSshd, startSshd, type TestSshd } from './helpers/sshd.js';

let root: { dir: string; cleanup: () => Promise<void> };
const servers: TestSshd[] = [];
let env: NodeJS.ProcessEnv;

before(async () => {
  root = await tempDir('tack-queue-');
});

after(async () => {
  // Workers and connections of this file (a failed test may leave some), then the servers.
  for (const pid of await processesMentioning(root.dir)) {
    if (servers.some((s) => s.pid === pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const s of servers) await s.stop();
  await root.cleanup();
});

let ready: Promise<void> | undefined;

async function setup(t: TestContext): Promise<boolean> {
  if (skipWithoutSshd(t)) return false;
  ready ??= start();
  await ready;
  return true;
}

async function start(): Promise<void> {
  servers.push(await startSshd(root.dir, 'qa'), await startSshd(root.dir, 'qb'));
  env = remoteTestEnv(root.dir, servers[0] as TestSshd, { TACK_SSH_CONTROL_DIR: path.join(root.dir, 'ctl') });
  // One ssh config that knows both servers (their keys differ per port).
  const configs = await Promise.all(servers.map((s) => readFile(s.knownHosts, 'utf8')));
  const known = path.join(root.dir, 'known_hosts');
  await writeFile(known, configs.join(''));
  const config = path.join(root.dir, 'ssh_config');
  await writeFile(config, (await readFile((servers[0] as TestSshd).sshConfig, 'utf8')).replace((servers[0] as TestSshd).knownHosts, known));
  await appendFile(path.join((servers[1] as TestSshd).dir, 'authorized_keys'), await readFile(`${(servers[0] as TestSshd).identity}.pub`));
  env = { ...env, TACK_SSH_CONFIG: config };
  await addRemote(root.dir, servers[0] as TestSshd, 'pod-a', { env: { FAKE_SD_SCRIPTS_STEP_SECONDS: '0.1' } });
  await addRemote(root.dir, servers[1] as TestSshd, 'pod-b', { env: { FAKE_SD_SCRIPTS_STEP_SECONDS: '0.1' } });
}

async function queue(): Promise<JobView[]> {
  const out = await runTack(['queue', '--json'], { env });
  assert.equal(out.code, 0, out.stderr);
  return (JSON.parse(out.stdout) as { jobs: JobView[] }).jobs;
}

async function add(project: string, remote: string): Promise<number> {
  const out = await runTack(['queue', 'add', project, '--on', remote, '--json'], { env });
  assert.equal(out.code, 0, out.stderr);
  return (JSON.parse(out.stdout) as { job: { id: number } }).job.id;
}

async function jobLog(id: number): Promise<string> {
  return readFile(path.join(root.dir, 'data', 'job-logs', `${id}.log`), 'utf8').catch(() => '(no log)');
}

async function waitEnded(ids: readonly number[], timeoutMs = 180_000): Promise<Map<number, JobView>> {
  let jobs: JobView[] = [];
  await waitFor(async () => {
    jobs = await queue();
    return ids.every((id) => ['succeeded', 'failed', 'cancelled', 'interrupted'].includes(jobs.find((j) => j.id === id)?.status ?? ''));
  }, timeoutMs, `jobs ${ids.join(', ')} to end`);
  return new Map(jobs.filter((j) => ids.includes(j.id)).map((j) => [j.id, j]));
}

test('two runs queued on one remote train one after the other; a queued one can be taken off', async (t) => {
  if (!(await setup(t))) return;
  const first = await makeTrainingProject(root.dir, 'first', { env });
  const second = await makeTrainingProject(root.dir, 'second', { env });
  await useLocalModelThere(first);
  await useLocalModelThere(second);
  const a = await add(first, 'pod-a');
  const b = await add(second, 'pod-a');
  const c = await add(first, 'pod-a');
  const waiting = await queue();
  assert.equal(waiting.find((j) => j.id === a)?.status, 'running');
  assert.equal(waiting.find((j) => j.id === b)?.status, 'queued', 'pod-a trains one run at a time');
  const text = await runTack(['queue'], { env });
  assert.match(text.stdout, new RegExp(`${b} +pod-a +second +queued \\(#1\\)`));
  const cancel = await runTack(['queue', 'cancel', String(c), '--json'], { env });
  assert.equal(JSON.parse(cancel.stdout).outcome, 'removed');
  const ended = await waitEnded([a, b]);
  assert.equal(ended.get(a)?.status, 'succeeded', await jobLog(a));
  assert.equal(ended.get(b)?.status, 'succeeded', await jobLog(b));
  assert.ok(Date.parse(ended.get(b)?.startedAt as string) >= Date.parse(ended.get(a)?.endedAt as string), 'the second started after the first ended');
  for (const [project, id] of [[first, a], [second, b]] as const) {
    const job = ended.get(id) as JobView;
    const run = await readRunJson(path.join(project, 'runs', job.runId as string));
    assert.equal(run.status, 'succeeded');
    assert.equal(run.remote?.name, 'pod-a');
    assert.deepEqual(await filesUnder(path.join(project, 'runs', job.runId as string, 'output')), await filesUnder(path.join(run.remote?.runDir as string, 'output')));
  }
  assert.equal((await queue()).find((j) => j.id === c)?.status, 'cancelled');
});

test('two remotes train in parallel', async (t) => {
  if (!(await setup(t))) return;
  const left = await makeTrainingProject(root.dir, 'left', { env, plan: { epochs: 4 } });
  const right = await makeTrainingProject(root.dir, 'right', { env, plan: { epochs: 4 } });
  await useLocalModelThere(left);
  await useLocalModelThere(right);
  const a = await add(left, 'pod-a');
  const b = await add(right, 'pod-b');
  let together = false;
  await waitFor(async () => {
    const jobs = await queue();
    together ||= jobs.filter((j) => (j.id === a || j.id === b) && j.status === 'running').length === 2;
    return together || jobs.filter((j) => j.id === a || j.id === b).every((j) => j.status !== 'running' && j.status !== 'queued');
  }, 120_000, 'both trainings to run');
  assert.ok(together, 'both machines trained at the same time');
  const ended = await waitEnded([a, b]);
  assert.equal(ended.get(a)?.status, 'succeeded', await jobLog(a));
  assert.equal(ended.get(b)?.status, 'succeeded', await jobLog(b));
  const [ja, jb] = [ended.get(a) as JobView, ended.get(b) as JobView];
  assert.ok(Date.parse(ja.startedAt as string) < Date.parse(jb.endedAt as string) && Date.parse(jb.startedAt as string) < Date.parse(ja.endedAt as string), 'their times overlap');
});

test('the worker following a remote run is killed: the queue follows the run again and brings it home; a running job can be stopped', async (t) => {
  if (!(await setup(t))) return;
  const project = await makeTrainingProject(root.dir, 'survivor', { env, plan: { epochs: 4 } });
  await useLocalModelThere(project);
  const id = await add(project, 'pod-b');
  let worker = 0;
  await waitFor(async () => {
    const job = (await queue()).find((j) => j.id === id);
    if (job?.runId && job.worker?.kind === 'local') worker = job.worker.pid;
    return worker > 0 && job?.runId !== null;
  }, 60_000, 'the worker to start the run');
  await waitForRemoteFile(project, 'survivor-000001.safetensors');
  process.kill(worker, 'SIGKILL');
  await waitFor(async () => {
    const out = JSON.parse((await runTack(['queue', '--json'], { env })).stdout) as { started: number[]; jobs: JobView[] };
    return out.started.includes(id) || out.jobs.find((j) => j.id === id)?.status === 'succeeded';
  }, 30_000, 'the queue to follow the run again');
  const ended = await waitEnded([id]);
  const job = ended.get(id) as JobView;
  assert.equal(job.status, 'succeeded', await jobLog(id));
  const run = await readRunJson(path.join(project, 'runs', job.runId as string));
  assert.equal(run.status, 'succeeded');
  assert.deepEqual(await readFile(path.join(project, 'runs', job.runId as string, 'log.txt')), await readFile(path.join(run.remote?.runDir as string, 'log.txt')), 'nothing lost, nothing twice');
  const events = JSON.parse((await runTack(['jobs', 'show', String(id), '--json'], { env })).stdout).events as Array<{ type: string }>;
  assert.ok(events.some((e) => e.type === 'reattach'));

  const stopped = await add(project, 'pod-a');
  await waitForRemoteFile(project, 'survivor-000001.safetensors').catch(() => undefined);
  await waitFor(async () => Boolean((await queue()).find((j) => j.id === stopped && j.status === 'running' && j.runId)), 60_000, 'the second run to start');
  const cancel = await runTack(['queue', 'cancel', String(stopped), '--json'], { env });
  assert.equal(JSON.parse(cancel.stdout).outcome, 'stopping');
  const after = (await waitEnded([stopped])).get(stopped) as JobView;
  assert.equal(after.status, 'cancelled', await jobLog(stopped));
  assert.equal((await readRunJson(path.join(project, 'runs', after.runId as string))).status, 'cancelled');
});

/**
 * When things go wrong between here and a remote (a loopback sshd running the fake trainer):
 * the shared connection killed mid-run (tack reconnects and continues: the log has every byte
 * once, each file came home once), Ctrl-C that stops the run there or detaches from it,
 * --resume of a remote run from its saved state, tack itself killed while the run goes on, and
 * the run folder deleted on the remote under a running run.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { runTack, tempDir } from './helpers/cli.js';
import { assertSecondResumeTrainsLastEpoch, interruptAfterSavedState, makeTrainingProject, processesMentioning, startTack, waitFor } from './helpers/fake-engine.js';
import { addRemote, filesUnder, newestRun, readRunJson, remoteTestEnv, useLocalModelThere, waitForRemoteFile } from './helpers/remote.js';
import { skipWithoutSshd, startSshd, type TestSshd } from './helpers/sshd.js';

let root: { dir: string; cleanup: () => Promise<void> };
let sshd: TestSshd | undefined;

before(async () => {
  root = await tempDir('tack-remote-int-');
});

after(async () => {
  await sshd?.stop();
  await root.cleanup();
});

async function slowRemote(t: TestContext, name: string, stepSeconds = '0.3'): Promise<TestSshd | undefined> {
  if (skipWithoutSshd(t)) return undefined;
  sshd ??= await startSshd(root.dir, 'int');
  await addRemote(root.dir, sshd, name, { env: { FAKE_SD_SCRIPTS_STEP_SECONDS: stepSeconds } });
  return sshd;
}

async function hasLocal(runDir: string, name: string): Promise<boolean> {
  return (await readdir(path.join(runDir, 'output')).catch(() => [] as string[])).includes(name);
}

test('the connection dies mid-run: tack reconnects and continues; nothing is lost or brought home twice', async (t) => {
  const s = await slowRemote(t, 'flaky');
  if (!s) return;
  const env = remoteTestEnv(root.dir, s);
  const project = await makeTrainingProject(root.dir, 'flaky', { env, plan: { epochs: 3 } });
  await useLocalModelThere(project);
  const live = startTack(['train', project, '--on', 'flaky', '--json'], { env });
  await waitForRemoteFile(project, 'flaky-000001.safetensors');
  assert.ok((await s.killMasters()) >= 1, 'the shared connection was there and is gone');
  const done = await live.done;
  assert.equal(done.code, 0, done.stderr);
  const doc = JSON.parse(done.stdout);
  assert.equal(doc.outcome.kind, 'succeeded');
  assert.ok(doc.remote.link.reconnects >= 1);
  const runDir = doc.run.dir as string;
  const remoteDir = doc.remote.runDir as string;
  assert.deepEqual(await readFile(path.join(runDir, 'log.txt')), await readFile(path.join(remoteDir, 'log.txt')), 'every log byte exactly once');
  const here = await filesUnder(path.join(runDir, 'output'));
  assert.deepEqual(here, await filesUnder(path.join(remoteDir, 'output')));
  assert.equal(doc.remote.link.pulledFiles - doc.remote.link.removedFiles, here.length, 'each file came home once');
  const metrics = (await readFile(path.join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  const steps = metrics.filter((m) => m.kind === undefined).map((m) => m.step as number);
  assert.deepEqual(steps, [...steps].sort((a, b) => a - b), 'steps only go forward: no output was replayed into the metrics');
  assert.deepEqual(metrics.filter((m) => m.kind === 'checkpoint').map((m) => m.epoch), [1, 2, 3]);
  const link = metrics.filter((m) => m.kind === 'link').map((m) => m.message as string);
  assert.match(link.join('\n'), /link to flaky lost .*reconnecting in [\d.]+ s\nreconnected to flaky/, 'the drop and the reconnect are recorded with the run');
  assert.ok((await s.masters()).length >= 1, 'a new shared connection replaced the killed one');
});

test('Ctrl-C with --on-interrupt stop stops the trainer there and keeps what came home; --resume continues there', async (t) => {
  const s = await slowRemote(t, 'stoppod');
  if (!s) return;
  const env = remoteTestEnv(root.dir, s);
  const project = await makeTrainingProject(root.dir, 'stopped', { env, plan: { epochs: 4 } });
  await useLocalModelThere(project);
  const live = startTack(['train', project, '--on', 'stoppod', '--on-interrupt', 'stop'], { env });
  await waitFor(async () => hasLocal(await newestRun(project).catch(() => ''), 'stopped-000001.safetensors'), 60_000, 'the first checkpoint at home');
  live.child.kill('SIGINT');
  const done = await live.done;
  assert.equal(done.code, 130, done.stderr);
  assert.match(done.stdout, /Cancelled: Stopped by the user at step \d+\/\d+; \d+ checkpoint\(s\) kept/);
  const runDir = await newestRun(project);
  const run = await readRunJson(runDir);
  assert.equal(run.status, 'cancelled');
  const remoteDir = run.remote?.runDir as string;
  assert.deepEqual(await processesMentioning(remoteDir), [], 'no trainer is left running there');
  assert.ok(await hasLocal(runDir, 'stopped-000001.safetensors'));
  assert.deepEqual(await filesUnder(path.join(runDir, 'output')), await filesUnder(path.join(remoteDir, 'output')), 'everything saved there is here');

  const resumed = await runTack(['train', project, '--resume', '--json'], { env });
  assert.equal(resumed.code, 0, resumed.stderr);
  const doc = JSON.parse(resumed.stdout);
  assert.equal(doc.run.id, path.basename(runDir), 'the same run folder');
  assert.match(doc.resumedFrom ?? '', /stopped-\d{6}-state$/);
  assert.equal(doc.remote.name, 'stoppod');
  assert.equal(doc.outcome.kind, 'succeeded');
  const after = await readRunJson(runDir);
  assert.equal(after.status, 'succeeded');
  assert.ok(await hasLocal(runDir, 'stopped.safetensors'));
  const log = await readFile(path.join(runDir, 'log.txt'), 'utf8');
  assert.match(log, /==== tack: resumed .* from output\/stopped-\d{6}-state ====/);
  assert.match(log, /resume training from local state: .*stopped-\d{6}-state/, 'the engine read the state folder there');
  assert.deepEqual(await readFile(path.join(runDir, 'log.txt')), await readFile(path.join(remoteDir, 'log.txt')));
});

test('a remote run resumed twice continues each time from the epoch it reached there (the saved step count is corrected there too)', async (t) => {
  const s = await slowRemote(t, 'twicepod', '0.15');
  if (!s) return;
  const env = remoteTestEnv(root.dir, s);
  const project = await makeTrainingProject(root.dir, 'twice', { env, plan: { epochs: 3 } });
  await useLocalModelThere(project);
  const outputThere = async () => {
    const runDir = await newestRun(project).catch(() => '');
    // run.json appears a moment after the run folder.
    const remoteDir = runDir ? (await readRunJson(runDir).catch(() => undefined))?.remote?.runDir : undefined;
    return remoteDir && path.join(remoteDir, 'output');
  };
  const stopAfterState = (args: string[], epoch: number) => interruptAfterSavedState([...args, '--on-interrupt', 'stop'], env, epoch, outputThere);
  assert.equal((await stopAfterState(['train', project, '--on', 'twicepod'], 1)).code, 130);
  const first = await stopAfterState(['train', project, '--resume'], 2);
  assert.equal(first.code, 130, first.stderr);
  const runDir = await newestRun(project);
  const remoteDir = (await readRunJson(runDir)).remote?.runDir as string;
  const stateThere = path.join(remoteDir, 'output', 'twice-000002-state', 'train_state.json');
  assert.deepEqual(JSON.parse(await readFile(stateThere, 'utf8')), { current_epoch: 2, current_step: 4 }, 'the engine recorded the steps since the resume');

  await assertSecondResumeTrainsLastEpoch(project, runDir, env);
  assert.equal(JSON.parse(await readFile(stateThere, 'utf8')).current_step, 8, 'the state the engine read there says the steps from the start of the run');
});

test('Ctrl-C with --on-interrupt detach leaves the run going there; tack attach brings it home', async (t) => {
  const s = await slowRemote(t, 'leavepod');
  if (!s) return;
  const env = remoteTestEnv(root.dir, s);
  const project = await makeTrainingProject(root.dir, 'left', { env, plan: { epochs: 3 } });
  await useLocalModelThere(project);
  const live = startTack(['train', project, '--on', 'leavepod', '--on-interrupt', 'detach'], { env });
  const remoteDir = await waitForRemoteFile(project, 'left-000001.safetensors');
  live.child.kill('SIGINT');
  const done = await live.done;
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /Detached: Detached at step \d+\/\d+: the run goes on on leavepod/);
  assert.ok((await processesMentioning(remoteDir)).length > 0, 'the trainer still runs there');
  const attached = await runTack(['attach', project, '--json'], { env });
  assert.equal(attached.code, 0, attached.stderr);
  assert.equal(JSON.parse(attached.stdout).outcome.kind, 'succeeded');
  const runDir = await newestRun(project);
  assert.equal((await readRunJson(runDir)).status, 'succeeded');
  assert.deepEqual(await filesUnder(path.join(runDir, 'output')), await filesUnder(path.join(remoteDir, 'output')));
});

test('tack killed while the run goes on: tack runs shows it running there, tack attach follows it home', async (t) => {
  const s = await slowRemote(t, 'crashhome');
  if (!s) return;
  const env = remoteTestEnv(root.dir, s);
  const project = await makeTrainingProject(root.dir, 'orphan', { env, plan: { epochs: 3 } });
  await useLocalModelThere(project);
  const live = startTack(['train', project, '--on', 'crashhome'], { env });
  await waitForRemoteFile(project, 'orphan-000001.safetensors');
  live.child.kill('SIGKILL');
  await live.done;
  const runDir = await newestRun(project);
  const listed = JSON.parse((await runTack(['runs', project, '--json'], { env })).stdout).runs.at(-1);
  assert.equal(listed.status, 'running', 'a remote run is not "interrupted" because tack here died');
  assert.ok(['running', 'ended'].includes(listed.remote.state));
  const attached = await runTack(['attach', project], { env });
  assert.equal(attached.code, 0, attached.stderr);
  assert.match(attached.stdout, /Succeeded/);
  const run = await readRunJson(runDir);
  assert.equal(run.status, 'succeeded');
  assert.deepEqual(await readFile(path.join(runDir, 'log.txt')), await readFile(path.join(run.remote?.runDir as string, 'log.txt')));
});

test('the run folder deleted on the remote under a running run: the run fails with that reason, what came home stays', async (t) => {
  const s = await slowRemote(t, 'vanish');
  if (!s) return;
  const env = remoteTestEnv(root.dir, s);
  const project = await makeTrainingProject(root.dir, 'vanish', { env, plan: { epochs: 4 } });
  await useLocalModelThere(project);
  const live = startTack(['train', project, '--on', 'vanish', '--json'], { env });
  await waitFor(async () => hasLocal(await newestRun(project).catch(() => ''), 'vanish-000001.safetensors'), 60_000, 'the first checkpoint at home');
  const run = await readRunJson(await newestRun(project));
  await rm(run.remote?.runDir as string, { recursive: true, force: true });
  const done = await live.done;
  assert.equal(done.code, 5, done.stderr);
  const doc = JSON.parse(done.stdout);
  assert.equal(doc.outcome.kind, 'failed');
  assert.equal(doc.outcome.reason, 'remote-gone');
  assert.match(doc.outcome.message, /run folder on the remote was deleted/);
  assert.ok(await hasLocal(doc.run.dir, 'vanish-000001.safetensors'), 'the checkpoint already home is kept');
  await waitFor(async () => (await processesMentioning(run.remote?.runDir as string)).length === 0, 30_000, 'the trainer there to be stopped');
});

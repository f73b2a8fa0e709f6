/**
 * Stopping and continuing: Ctrl-C stops the trainer gracefully (SIGINT to its process group,
 * SIGKILL after the grace period) and keeps the checkpoints; a supervisor killed with kill -9
 * leaves a run that shows as interrupted, never as running; --resume continues it from the
 * engine's saved state in the same folder.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runTack, tempDir } from './helpers/cli.js';
import { assertSecondResumeTrainsLastEpoch, fakeEngineEnv, interruptAfterSavedState, makeTrainingProject, processesMentioning, startTack, waitFor } from './helpers/fake-engine.js';

let root: { dir: string; cleanup: () => Promise<void> };

before(async () => {
  root = await tempDir('tack-sup-');
});

after(async () => {
  await root.cleanup();
});

async function runDirs(project: string): Promise<string[]> {
  try {
    return (await readdir(path.join(project, 'runs'))).map((id) => path.join(project, 'runs', id));
  } catch {
    return [];
  }
}

async function hasCheckpoint(project: string, name: string): Promise<boolean> {
  for (const dir of await runDirs(project)) {
    const files = await readdir(path.join(dir, 'output')).catch(() => [] as string[]);
    if (files.includes(name)) return true;
  }
  return false;
}

test('Ctrl-C stops the trainer gracefully, keeps the checkpoints and says how to continue', async () => {
  const env = fakeEngineEnv(root.dir, { FAKE_SD_SCRIPTS_STEP_SECONDS: '0.15' });
  const project = await makeTrainingProject(root.dir, 'ctrlc', { env });
  const live = startTack(['train', project], { env });
  await waitFor(() => hasCheckpoint(project, 'ctrlc-000001.safetensors'), 60_000, 'the first checkpoint');
  live.child.kill('SIGINT');
  const done = await live.done;
  assert.equal(done.code, 130, done.stderr);
  assert.match(done.stdout, /Cancelled: Stopped by the user at step \d+\/\d+; \d+ checkpoint\(s\) kept/);
  assert.match(done.stdout, /tack train .*ctrlc --resume/);
  const [dir] = await runDirs(project);
  const run = JSON.parse(await readFile(path.join(dir as string, 'run.json'), 'utf8'));
  assert.equal(run.status, 'cancelled');
  assert.deepEqual(await processesMentioning(dir as string), [], 'no trainer process is left behind');
  assert.ok((await readdir(path.join(dir as string, 'output'))).includes('ctrlc-000001.safetensors'));
});

test('a trainer that ignores SIGINT is killed after the grace period', async () => {
  const env = fakeEngineEnv(root.dir, { FAKE_SD_SCRIPTS_STEP_SECONDS: '0.2', FAKE_SD_SCRIPTS_MODE: 'ignore-sigint' });
  const project = await makeTrainingProject(root.dir, 'stubborn', { env, train: { stop_grace_seconds: 1 } });
  const live = startTack(['train', project, '--json'], { env });
  await waitFor(async () => {
    const [dir] = await runDirs(project);
    return dir ? (await readFile(path.join(dir, 'log.txt'), 'utf8').catch(() => '')).includes('epoch 1/') : false;
  }, 30_000, 'training to begin');
  const stopAt = Date.now();
  live.child.kill('SIGINT');
  const done = await live.done;
  const elapsed = Date.now() - stopAt;
  assert.equal(done.code, 130);
  const doc = JSON.parse(done.stdout);
  assert.equal(doc.outcome.kind, 'cancelled');
  assert.match(doc.outcome.message, /the trainer ignored SIGINT for 1 s and was killed/);
  assert.match(await readFile(path.join(doc.run.dir, 'metrics.jsonl'), 'utf8'), /"kind":"killed","afterGraceMs":1000/);
  assert.ok(elapsed >= 900 && elapsed < 15_000, `stopped after the 1 s grace period (${elapsed} ms)`);
  assert.deepEqual(await processesMentioning(doc.run.dir), [], 'the whole process group is gone');
});

test('kill -9 of the supervisor: the run shows as interrupted, and --resume continues it from the saved state', async () => {
  const env = fakeEngineEnv(root.dir, { FAKE_SD_SCRIPTS_STEP_SECONDS: '0.12' });
  const project = await makeTrainingProject(root.dir, 'resume', { env, plan: { target_steps: 24 } });
  const live = startTack(['train', project], { env });
  await waitFor(async () => {
    const [dir] = await runDirs(project);
    return dir ? (await readdir(path.join(dir, 'output', 'resume-000002-state')).catch(() => [] as string[])).includes('random_states_0.pkl') : false;
  }, 60_000, 'the state saved after epoch 2');
  live.child.kill('SIGKILL');
  await live.done;
  const [dir] = (await runDirs(project)) as [string];
  await waitFor(async () => (await processesMentioning(dir)).length === 0, 15_000, 'the orphaned trainer to stop (its output pipe is gone)');
  const stale = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8'));
  assert.equal(stale.status, 'running', 'run.json still says running: nobody was left to update it');

  const list = await runTack(['runs', project, '--json'], { env });
  const listed = JSON.parse(list.stdout).runs[0];
  assert.equal(listed.status, 'interrupted');
  assert.equal(listed.outcome.kind, 'interrupted');
  assert.match(listed.outcome.hint, /--resume/);

  const resumed = await runTack(['train', project, '--resume', '--json'], { env });
  assert.equal(resumed.code, 0, resumed.stderr);
  const doc = JSON.parse(resumed.stdout);
  assert.equal(doc.run.id, path.basename(dir), 'the same run folder continues');
  assert.match(doc.resumedFrom, /resume-00000[2-9]-state$/);
  assert.ok(doc.stepOffset > 0);
  assert.equal(doc.outcome.kind, 'succeeded');
  const run = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8'));
  const epochs: number = run.plan.epochs;
  assert.equal(run.status, 'succeeded');
  assert.equal(run.attempts.length, 2);
  assert.equal(run.attempts[1].resumedFrom.startsWith('output/resume-'), true);
  const outputs = await readdir(path.join(dir, 'output'));
  for (let e = 1; e < epochs; e++) assert.ok(outputs.includes(`resume-${String(e).padStart(6, '0')}.safetensors`), `epoch ${e} checkpoint`);
  assert.ok(outputs.includes('resume.safetensors'));
  const log = await readFile(path.join(dir, 'log.txt'), 'utf8');
  assert.match(log, /==== tack: resumed .* from output\/resume-\d{6}-state ====/);
  assert.match(log, /resume training from local state/);
  const metrics = (await readFile(path.join(dir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  const steps = metrics.filter((m) => m.kind === undefined).map((m) => m.step);
  assert.equal(Math.max(...steps), run.plan.totalSteps, 'resumed steps continue from the saved step, not from 0');
  assert.equal((await runTack(['train', project, '--resume'], { env })).code, 3, 'nothing left to resume');
});

test('SIGTERM to tack (a service stop, a closed terminal) stops the run like Ctrl-C', async () => {
  const env = fakeEngineEnv(root.dir, { FAKE_SD_SCRIPTS_STEP_SECONDS: '0.15' });
  const project = await makeTrainingProject(root.dir, 'term', { env });
  const live = startTack(['train', project, '--json'], { env });
  await waitFor(async () => {
    const [dir] = await runDirs(project);
    return dir ? (await readFile(path.join(dir, 'log.txt'), 'utf8').catch(() => '')).includes('epoch 1/') : false;
  }, 60_000, 'training to begin');
  live.child.kill('SIGTERM');
  const done = await live.done;
  assert.equal(done.code, 130);
  const doc = JSON.parse(done.stdout);
  assert.equal(doc.outcome.kind, 'cancelled');
  assert.deepEqual(await processesMentioning(doc.run.dir), []);
});

test('a run resumed twice continues each time from the epoch it reached (the engine counts steps from 0 after a resume)', async () => {
  const env = fakeEngineEnv(root.dir, { FAKE_SD_SCRIPTS_STEP_SECONDS: '0.15' });
  const project = await makeTrainingProject(root.dir, 'twice', { env, plan: { epochs: 3 } });
  const output = async () => {
    const [dir] = await runDirs(project);
    return dir && path.join(dir, 'output');
  };
  const stopAfterState = (args: string[], epoch: number) => interruptAfterSavedState(args, env, epoch, output);
  assert.equal((await stopAfterState(['train', project], 1)).code, 130);
  const first = await stopAfterState(['train', project, '--resume'], 2);
  assert.equal(first.code, 130, first.stderr);
  assert.match(first.stderr, /step [5-8]\/12/, 'the first resume shows steps after the 4 done before');
  assert.doesNotMatch(first.stderr, /step [0-3]\/12/);
  const [dir] = (await runDirs(project)) as [string];
  const saved = JSON.parse(await readFile(path.join(dir, 'output', 'twice-000002-state', 'train_state.json'), 'utf8')) as { current_step: number; current_epoch: number };
  assert.deepEqual(saved, { current_epoch: 2, current_step: 4 }, 'the engine recorded the steps since the resume, as sd-scripts does');

  await assertSecondResumeTrainsLastEpoch(project, dir, env);
  const fixed = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as { attempts: unknown[]; status: string };
  assert.equal(fixed.status, 'succeeded');
  assert.equal(fixed.attempts.length, 3);
});

test('a state folder cut short (Ctrl-C while the engine saved it) is not resumed from: the engine could not load it', async () => {
  const env = fakeEngineEnv(root.dir, { FAKE_SD_SCRIPTS_STEP_SECONDS: '0.15' });
  const project = await makeTrainingProject(root.dir, 'cut', { env });
  const live = startTack(['train', project], { env });
  await waitFor(async () => {
    const [dir] = await runDirs(project);
    return dir ? (await readdir(path.join(dir, 'output', 'cut-000001-state')).catch(() => [] as string[])).includes('random_states_0.pkl') : false;
  }, 60_000, 'the state saved after epoch 1');
  live.child.kill('SIGINT');
  assert.equal((await live.done).code, 130);
  const [dir] = (await runDirs(project)) as [string];
  const state = path.join(dir, 'output', 'cut-000001-state');
  // What sd-scripts leaves when stopped in accelerate's save_state: train_state.json, no weights yet.
  for (const name of ['model.safetensors', 'optimizer.bin', 'scheduler.bin', 'random_states_0.pkl']) await rm(path.join(state, name));
  const resumed = await runTack(['train', project, '--resume'], { env });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /from the beginning: no optimizer state was saved before it stopped/);
  assert.doesNotMatch(await readFile(path.join(dir, 'command.json'), 'utf8'), /--resume/);
});

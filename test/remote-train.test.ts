/**
 * Training on a remote (a loopback sshd running the fake trainer): a whole run with the live
 * display and every result brought home so the run folder is the same as after a local run;
 * a second run that sends only what changed; --detach, tack runs and tack attach; a trainer
 * crash there; transfers without rsync (tar over ssh); and the base model downloaded there with
 * a SHA-256 check.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, stat, truncate } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { runTack, tempDir } from './helpers/cli.js';
import { editConfig, makeTrainingProject, writeFakeSdxlModel } from './helpers/fake-engine.js';
import { addRemote, filesUnder, newestRun, readRunJson, remoteTestEnv, useLocalModelThere } from './helpers/remote.js';
import { skipWithoutSshd, startSshd, type TestSshd } from './helpers/sshd.js';

let root: { dir: string; cleanup: () => Promise<void> };
let sshd: TestSshd | undefined;

before(async () => {
  root = await tempDir('tack-remote-train-');
});

after(async () => {
  await sshd?.stop();
  await root.cleanup();
});

async function server(t: TestContext): Promise<TestSshd | undefined> {
  if (skipWithoutSshd(t)) return undefined;
  sshd ??= await startSshd(root.dir, 'train');
  return sshd;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Asserts that every output file here is byte-identical to its copy there, and that none is missing. */
async function assertSameOutput(localRun: string, remoteRun: string): Promise<string[]> {
  const here = await filesUnder(path.join(localRun, 'output'));
  const there = await filesUnder(path.join(remoteRun, 'output'));
  assert.deepEqual(here, there, 'the same files here as there');
  for (const rel of here) assert.equal(await sha256(path.join(localRun, 'output', rel)), await sha256(path.join(remoteRun, 'output', rel)), rel);
  assert.deepEqual(await readFile(path.join(localRun, 'log.txt')), await readFile(path.join(remoteRun, 'log.txt')), 'log.txt is a byte-exact copy');
  return here;
}

test('a whole run on a remote with two GPUs: live progress, every checkpoint and sample home, the run folder as after a local run', async (t) => {
  const s = await server(t);
  if (!s) return;
  const env = remoteTestEnv(root.dir, s);
  // A folder name a shell would split and misquote: every path reaches the remote as data.
  const there = path.join(s.dir, "tack's folder");
  await addRemote(root.dir, s, 'pod', { dir: there, env: { FAKE_GPUS: 'NVIDIA GeForce RTX 4090:24564,NVIDIA GeForce RTX 4090:24564', FAKE_SD_SCRIPTS_STEP_SECONDS: '0.05' } });
  const project = await makeTrainingProject(root.dir, 'whole', { env, plan: { epochs: 3 } });
  await useLocalModelThere(project);
  const result = await runTack(['train', project, '--on', 'pod'], { env });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /Checking pod \(root@127\.0\.0\.1:\d+\)/);
  assert.match(result.stderr, /Trainer started on pod \(pid \d+\)/);
  assert.match(result.stderr, /checkpoint epoch 1: output\/whole-000001\.safetensors/);
  assert.match(result.stdout, /--num_processes 2 .*--multi_gpu/, 'accelerate runs one process per GPU there');
  assert.match(result.stdout, /Succeeded: Trained \d+ steps in 3 epoch\(s\): 3 checkpoint\(s\)/);
  const runDir = await newestRun(project);
  const run = await readRunJson(runDir);
  assert.equal(run.status, 'succeeded');
  assert.equal(run.remote?.name, 'pod');
  assert.ok(run.remote?.runDir.startsWith(path.join(there, 'projects', 'whole-')), run.remote?.runDir);
  const files = await assertSameOutput(runDir, run.remote?.runDir as string);
  assert.ok(files.includes('whole.safetensors') && files.some((f) => f.startsWith('sample/')), files.join(', '));
  const metrics = (await readFile(path.join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(metrics.filter((m) => m.kind === 'checkpoint').map((m) => m.file), ['output/whole-000001.safetensors', 'output/whole-000002.safetensors', 'output/whole.safetensors']);
  assert.ok(metrics.some((m) => m.kind === undefined && m.step > 0), 'the log was parsed here into metrics');
  assert.equal(JSON.parse(await readFile(path.join(runDir, 'outcome.json'), 'utf8')).kind, 'succeeded');

  // The run reads like any other: tack runs, and its checkpoints by epoch.
  const listed = JSON.parse((await runTack(['runs', project, '--json'], { env })).stdout);
  const entry = listed.runs.at(-1);
  assert.equal(entry.status, 'succeeded');
  assert.deepEqual(entry.checkpoints.map((c: { epoch: number }) => c.epoch), [1, 2, 3]);
  assert.equal(entry.remote.name, 'pod');
  assert.equal(entry.samples.length, files.filter((f) => f.startsWith('sample/')).length);

  // A second run sends only its own configs: the dataset there is unchanged.
  const second = await runTack(['train', project, '--on', 'pod', '--json'], { env });
  assert.equal(second.code, 0, second.stderr);
  const doc = JSON.parse(second.stdout);
  assert.equal(doc.remote.sync.sent, 4, 'dataset.toml, args.toml, sample_prompts.txt and command.json of the new run');
  assert.equal(doc.remote.sync.unchanged, 8, 'the 4 photos and their captions');
  assert.equal(doc.remote.model.source, 'configured');
  assert.equal(doc.outcome.kind, 'succeeded');
  assert.equal(doc.remote.link.pulledFiles - doc.remote.link.removedFiles, (await filesUnder(path.join(doc.run.dir, 'output'))).length, 'each file brought home once');
});

test('--detach leaves the run going there; tack runs shows it; tack attach brings it home', async (t) => {
  const s = await server(t);
  if (!s) return;
  const env = remoteTestEnv(root.dir, s);
  await addRemote(root.dir, s, 'slowpod', { env: { FAKE_SD_SCRIPTS_STEP_SECONDS: '0.25' } });
  const project = await makeTrainingProject(root.dir, 'detached', { env });
  await useLocalModelThere(project);
  const nothing = await runTack(['attach', project], { env });
  assert.equal(nothing.code, 3);
  assert.match(nothing.stderr, /REMOTE_NOTHING_TO_ATTACH/);
  const started = Date.now();
  const detach = await runTack(['train', project, '--on', 'slowpod', '--detach'], { env });
  assert.equal(detach.code, 0, detach.stderr);
  assert.match(detach.stdout, /Detached: .*goes on on slowpod/);
  assert.match(detach.stdout, /tack attach .*detached/);
  const runDir = await newestRun(project);
  assert.equal((await readRunJson(runDir)).status, 'running');
  const runs = JSON.parse((await runTack(['runs', project, '--json'], { env })).stdout);
  const live = runs.runs.at(-1);
  assert.equal(live.status, 'running');
  assert.equal(live.remote.name, 'slowpod');
  assert.ok(['running', 'ended'].includes(live.remote.state), live.remote.state);
  const text = await runTack(['runs', project], { env });
  assert.match(text.stdout, /running on slowpod|ended on slowpod/);
  const attach = await runTack(['attach', project, '--json'], { env });
  assert.equal(attach.code, 0, attach.stderr);
  const doc = JSON.parse(attach.stdout);
  assert.equal(doc.kind, 'attach');
  assert.equal(doc.outcome.kind, 'succeeded');
  assert.ok(Date.now() - started > 3000, 'the run really took its time there');
  const run = await readRunJson(runDir);
  assert.equal(run.status, 'succeeded');
  await assertSameOutput(runDir, run.remote?.runDir as string);
  const again = await runTack(['attach', project, path.basename(runDir)], { env });
  assert.match(again.stderr, /REMOTE_NOTHING_TO_ATTACH.*already ended \(succeeded\)/s);
});

test('a trainer that crashes on the remote ends as it would here: failed (crashed), with its last lines', async (t) => {
  const s = await server(t);
  if (!s) return;
  const env = remoteTestEnv(root.dir, s);
  await addRemote(root.dir, s, 'crashpod', { env: { FAKE_SD_SCRIPTS_MODE: 'crash', FAKE_SD_SCRIPTS_FAIL_AT_STEP: '3' } });
  const project = await makeTrainingProject(root.dir, 'crash', { env });
  await useLocalModelThere(project);
  const result = await runTack(['train', project, '--on', 'crashpod', '--json'], { env });
  assert.equal(result.code, 5, result.stderr);
  const doc = JSON.parse(result.stdout);
  assert.equal(doc.outcome.kind, 'failed');
  assert.equal(doc.outcome.reason, 'crashed');
  assert.ok(doc.outcome.exitCode !== 0);
  assert.ok(doc.outcome.lastLines.length > 0);
  assert.equal((await readRunJson(doc.run.dir)).status, 'failed');
});

test('without rsync, files go as tar over ssh, whole and resumable by file', async (t) => {
  const s = await server(t);
  if (!s) return;
  const env = remoteTestEnv(root.dir, s);
  await addRemote(root.dir, s, 'tarpod', { transfer: 'tar', dir: path.join(s.dir, 'tar $root; with spaces') });
  const project = await makeTrainingProject(root.dir, 'tarred', { env });
  await useLocalModelThere(project);
  const result = await runTack(['train', project, '--on', 'tarpod', '--json'], { env });
  assert.equal(result.code, 0, result.stderr);
  const doc = JSON.parse(result.stdout);
  assert.equal(doc.remote.sync.method, 'tar');
  assert.equal(doc.remote.sync.sent, 12);
  assert.equal(doc.outcome.kind, 'succeeded');
  await assertSameOutput(doc.run.dir, doc.remote.runDir);
});

test('the base model is downloaded on the remote (progress, SHA-256 checked), never uploaded unless asked', async (t) => {
  const s = await server(t);
  if (!s) return;
  const env = remoteTestEnv(root.dir, s);
  // An SDXL header without the weights: all tack and the fake trainer read.
  const model = path.join(root.dir, 'served', 'ponyFake.safetensors');
  await mkdir(path.dirname(model), { recursive: true });
  await writeFakeSdxlModel(model);
  const handle = await open(model, 'r');
  const length = Buffer.alloc(8);
  await handle.read(length, 0, 8, 0);
  await handle.close();
  await truncate(model, 8 + Number(length.readBigUInt64LE(0)) + 4096);
  const good = await sha256(model);
  const requests: string[] = [];
  const httpServer = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers.range ?? ''}`);
    void stat(model).then((st) => {
      res.writeHead(200, { 'Content-Length': st.size });
      createReadStream(model).pipe(res);
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(httpServer.address() as { port: number }).port}/models/ponyFake.safetensors`;
  try {
    await addRemote(root.dir, s, 'dlpod', { extraArgs: ['--dir', path.join(s.dir, 'dl-root')] });
    const project = await makeTrainingProject(root.dir, 'download', { env, baseModel: null });
    await editConfig(project, (c) => {
      c.base_model = model;
      c.remote = { base_model_url: url, base_model_sha256: '0'.repeat(64) };
    });
    const wrong = await runTack(['train', project, '--on', 'dlpod'], { env });
    assert.equal(wrong.code, 3, wrong.stderr);
    assert.match(wrong.stderr, /REMOTE_MODEL_CHECKSUM.*has SHA-256 [0-9a-f]{64}, not the 0{64}.*it was deleted/s);
    await assert.rejects(stat(path.join(s.dir, 'dl-root', 'models', 'ponyFake.safetensors')), 'a file that does not match is not kept');
    await editConfig(project, (c) => {
      c.remote = { base_model_url: url, base_model_sha256: good };
    });
    const ok = await runTack(['train', project, '--on', 'dlpod', '--json'], { env });
    assert.equal(ok.code, 0, ok.stderr);
    const doc = JSON.parse(ok.stdout);
    assert.equal(doc.remote.model.source, 'downloaded');
    assert.equal(doc.remote.model.path, path.join(s.dir, 'dl-root', 'models', 'ponyFake.safetensors'));
    assert.equal(await sha256(doc.remote.model.path), good);
    assert.match(await readFile(`${doc.remote.model.path}.sha256`, 'utf8'), new RegExp(`^${good}  ponyFake\\.safetensors`));
    const next = JSON.parse((await runTack(['train', project, '--on', 'dlpod', '--json'], { env })).stdout);
    assert.equal(next.remote.model.source, 'models-folder', 'found there the next time, not downloaded again');
    assert.equal(requests.length, 2, 'one download per attempt, none for the third run');
    // Without a URL and without --upload-model the model is not sent from here.
    await editConfig(project, (c) => {
      c.base_model = path.join(root.dir, 'sdxl-base.safetensors');
      c.remote = {};
    });
    const missing = await runTack(['train', project, '--on', 'dlpod'], { env });
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /REMOTE_MODEL_MISSING.*has no base model at .*models\/sdxl-base\.safetensors/s);
    assert.match(missing.stderr, /--upload-model/);
  } finally {
    httpServer.close();
  }
});

/**
 * tack runs import: a bundle trained elsewhere (here: its own train.sh with the fake trainer,
 * as on Colab) comes home as a run like a local one (outcome from its log, checkpoints and
 * samples by epoch, metrics), from the folder or from a zip of it (as Python's zipfile writes
 * it); its tack-plan.json ties it to its project; it is imported once.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runTack, tempDir } from './helpers/cli.js';
import { FAKE_SD_SCRIPTS, fakeEngineEnv, makeTrainingProject } from './helpers/fake-engine.js';

let root: { dir: string; cleanup: () => Promise<void> };

before(async () => {
  root = await tempDir('tack-import-');
});

after(async () => {
  await root.cleanup();
});

/** Exports the project's bundle and unpacks it in `where` (the other machine). */
async function exportBundle(project: string, where: string, env: NodeJS.ProcessEnv): Promise<string> {
  const zip = path.join(root.dir, `${path.basename(project)}-${path.basename(where)}.zip`);
  const result = await runTack(['export', project, '--bundle', zip, '--json'], { env });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(spawnSync('unzip', ['-q', zip, '-d', where]).status, 0);
  return path.join(where, JSON.parse(result.stdout).root);
}

function trainBundle(bundle: string, extra: Record<string, string> = {}) {
  return spawnSync(path.join(bundle, 'train.sh'), [path.join(root.dir, 'sdxl-base.safetensors')], {
    cwd: root.dir,
    env: { ...process.env, SD_SCRIPTS: FAKE_SD_SCRIPTS, PYTHON: path.join(FAKE_SD_SCRIPTS, 'venv', 'bin', 'python'), FAKE_GPUS: 'Tesla T4:15360', FAKE_SD_SCRIPTS_STEP_SECONDS: '0.002', ...extra },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

function zipFolder(folder: string, zip: string): void {
  const script = 'import shutil,sys,os\nshutil.make_archive(sys.argv[1][:-4], "zip", os.path.dirname(sys.argv[2]), os.path.basename(sys.argv[2]))';
  assert.equal(spawnSync('python3', ['-c', script, zip, folder]).status, 0);
}

test('a bundle trained elsewhere becomes a run like a local one, from its folder or a zip of it, once', async () => {
  const env = fakeEngineEnv(root.dir, { TACK_SD_SCRIPTS: '' });
  const project = await makeTrainingProject(root.dir, 'colab', { env });
  const bundle = await exportBundle(project, path.join(root.dir, 'colab-machine'), env);
  const trained = trainBundle(bundle);
  assert.equal(trained.status, 0, trained.stdout + trained.stderr);

  const result = await runTack(['runs', 'import', project, bundle, '--json'], { env });
  assert.equal(result.code, 0, result.stderr);
  const doc = JSON.parse(result.stdout);
  assert.equal(doc.kind, 'runs-import');
  assert.equal(doc.outcome.kind, 'succeeded');
  assert.match(doc.outcome.message, /Trained \d+ steps in \d+ epoch\(s\)/);
  const runDir = doc.run.dir as string;
  assert.deepEqual(await readFile(path.join(runDir, 'log.txt')), await readFile(path.join(bundle, 'log.txt')), 'the log, byte for byte');
  assert.deepEqual((await readdir(path.join(runDir, 'output'))).sort(), (await readdir(path.join(bundle, 'output'))).sort());
  const run = JSON.parse(await readFile(path.join(runDir, 'run.json'), 'utf8'));
  assert.equal(run.status, 'succeeded');
  assert.equal(run.importedFrom.source, bundle);
  assert.match(run.importedFrom.bundleId, /^[0-9a-f-]{36}$/);
  assert.equal(run.preset.gpuProfile, '24gb');
  const metrics = (await readFile(path.join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(metrics.some((m) => m.kind === undefined && typeof m.loss === 'number'), 'losses read from the log');
  assert.ok(metrics.filter((m) => m.kind === 'checkpoint').length >= 2);

  const shown = JSON.parse((await runTack(['runs', project, 'show', doc.run.id, '--json'], { env })).stdout);
  assert.equal(shown.status, 'succeeded');
  assert.ok(shown.checkpoints.length >= 2 && shown.checkpoints.at(-1).final);
  assert.ok(shown.samples.length > 0);
  assert.ok(Object.keys(shown.lossByEpoch).length > 0, 'loss per epoch, as for a local run');

  const again = await runTack(['runs', 'import', project, bundle], { env });
  assert.equal(again.code, 3);
  assert.match(again.stderr, new RegExp(`RUN_IMPORT_EXISTS.*already imported as run ${doc.run.id}`, 's'));

  const zip = path.join(root.dir, 'colab-trained.zip');
  zipFolder(bundle, zip);
  const fromZip = await runTack(['runs', 'import', project, zip, '--force', '--json'], { env });
  assert.equal(fromZip.code, 0, fromZip.stderr);
  const zipDoc = JSON.parse(fromZip.stdout);
  assert.notEqual(zipDoc.run.id, doc.run.id);
  assert.equal(zipDoc.outcome.kind, 'succeeded');
  assert.deepEqual(await readFile(path.join(zipDoc.run.dir, 'output', 'colab.safetensors')), await readFile(path.join(bundle, 'output', 'colab.safetensors')));
});

test('import checks the bundle: another project, not trained yet, a training that failed or stopped', async () => {
  const env = fakeEngineEnv(root.dir, { TACK_SD_SCRIPTS: '' });
  const project = await makeTrainingProject(root.dir, 'mine', { env });
  const other = await makeTrainingProject(root.dir, 'theirs', { env });
  const otherBundle = await exportBundle(other, path.join(root.dir, 'other-machine'), env);
  const mismatch = await runTack(['runs', 'import', project, otherBundle], { env });
  assert.equal(mismatch.code, 3);
  assert.match(mismatch.stderr, /RUN_IMPORT_MISMATCH.*bundle of project "theirs", not of "mine"/s);

  const bundle = await exportBundle(project, path.join(root.dir, 'oom-machine'), env);
  const untrained = await runTack(['runs', 'import', project, bundle], { env });
  assert.match(untrained.stderr, /RUN_IMPORT_BAD_BUNDLE.*no log\.txt and no output\/ \(run \.\/train\.sh in it first\)/s);
  const broken = path.join(root.dir, 'not-a-zip.zip');
  await writeFile(broken, 'PK nothing');
  assert.match((await runTack(['runs', 'import', project, broken], { env })).stderr, /RUN_IMPORT_BAD_BUNDLE/);

  const oom = trainBundle(bundle, { FAKE_SD_SCRIPTS_MODE: 'oom', FAKE_SD_SCRIPTS_FAIL_AT_STEP: '3' });
  assert.notEqual(oom.status, 0);
  const failed = JSON.parse((await runTack(['runs', 'import', project, bundle, '--json'], { env })).stdout);
  assert.equal(failed.outcome.kind, 'failed');
  assert.equal(failed.outcome.reason, 'out-of-memory');
  assert.match(failed.outcome.hint, /smaller GPU profile/);

  // A run cut off with no error (the machine went away): the log just stops.
  const cut = await exportBundle(project, path.join(root.dir, 'cut-machine'), env);
  assert.equal(trainBundle(cut).status, 0);
  await rm(path.join(cut, 'output', 'mine.safetensors'));
  const log = await readFile(path.join(cut, 'log.txt'), 'utf8');
  await writeFile(path.join(cut, 'log.txt'), log.slice(0, log.indexOf('epoch 2/')));
  const interrupted = JSON.parse((await runTack(['runs', 'import', project, cut, '--json'], { env })).stdout);
  assert.equal(interrupted.outcome.kind, 'interrupted');
  assert.match(interrupted.outcome.message, /The bundle's log ends before the run did/);
  assert.match(interrupted.outcome.hint, /\.\/train\.sh --resume in the bundle folder/);
  const resume = await runTack(['train', project, '--resume'], { env });
  assert.equal(resume.code, 3);
  assert.match(resume.stderr, /RUN_NOTHING_TO_RESUME.*trained elsewhere and imported/s);
});

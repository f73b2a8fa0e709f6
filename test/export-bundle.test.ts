/** tack export --bundle: the zip trains on "another machine" (here: the fake sd-scripts) with its own train.sh. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { checkEngineConfig } from '../src/engine/index.js';
import { runTack, tempDir } from './helpers/cli.js';
import { FAKE_SD_SCRIPTS, fakeEngineEnv, makeTrainingProject } from './helpers/fake-engine.js';

let root: { dir: string; cleanup: () => Promise<void> };

before(async () => {
  root = await tempDir('tack-export-');
});

after(async () => {
  await root.cleanup();
});

test('the bundle holds the dataset and relative configs, and its train.sh trains with sd-scripts', async () => {
  const env = fakeEngineEnv(root.dir, { TACK_SD_SCRIPTS: '' });
  const project = await makeTrainingProject(root.dir, 'ana', { env });
  const zip = path.join(root.dir, 'ana.zip');
  const result = await runTack(['export', project, '--bundle', zip, '--json'], { env });
  assert.equal(result.code, 0, result.stderr);
  const doc = JSON.parse(result.stdout);
  assert.equal(doc.gpuProfile, '24gb');
  const unzip = spawnSync('unzip', ['-q', zip, '-d', path.join(root.dir, 'remote')]);
  assert.equal(unzip.status, 0, String(unzip.stderr));
  const bundle = path.join(root.dir, 'remote', doc.root);
  assert.deepEqual((await readdir(bundle)).sort(), ['README.txt', 'config', 'dataset', 'models', 'tack-plan.json', 'train.sh']);
  const [folder] = await readdir(path.join(bundle, 'dataset', 'img'));
  const images = await readdir(path.join(bundle, 'dataset', 'img', folder as string));
  assert.equal(images.filter((f) => f.endsWith('.txt')).length, doc.plan.images);
  const args = await readFile(path.join(bundle, 'config', 'args.toml'), 'utf8');
  const dataset = await readFile(path.join(bundle, 'config', 'dataset.toml'), 'utf8');
  assert.doesNotMatch(args + dataset, new RegExp(root.dir), 'no path of this machine in the bundle');
  assert.match(dataset, new RegExp(`image_dir = "dataset/img/${folder}"`));
  const check = checkEngineConfig({ argsToml: args, datasetToml: dataset, argsFile: 'args.toml', datasetFile: 'dataset.toml' });
  assert.deepEqual(check.findings.filter((f) => f.severity === 'error'), []);
  assert.equal(spawnSync('bash', ['-n', path.join(bundle, 'train.sh')]).status, 0, 'train.sh is valid bash');

  const model = path.join(root.dir, 'sdxl-base.safetensors');
  const run = (args: string[], extra: Record<string, string>) =>
    spawnSync(path.join(bundle, 'train.sh'), args, {
      cwd: root.dir,
      env: { ...process.env, SD_SCRIPTS: FAKE_SD_SCRIPTS, PYTHON: path.join(FAKE_SD_SCRIPTS, 'venv', 'bin', 'python'), FAKE_GPUS: 'NVIDIA A100:81920', FAKE_SD_SCRIPTS_STEP_SECONDS: '0.002', ...extra },
      encoding: 'utf8',
      timeout: 120_000,
    });
  const noModel = run([], {});
  assert.equal(noModel.status, 1);
  assert.match(noModel.stderr, /Base model not found: models\/sdxl-base\.safetensors/);
  const trained = run([model], {});
  assert.equal(trained.status, 0, trained.stdout + trained.stderr);
  const outputs = await readdir(path.join(bundle, 'output'));
  assert.ok(outputs.includes('ana.safetensors'));
  assert.ok(outputs.includes('ana-000001.safetensors'));
  assert.ok((await readdir(path.join(bundle, 'output', 'sample'))).length > 0);
  const log = await readFile(path.join(bundle, 'log.txt'), 'utf8');
  assert.match(log, new RegExp(`total optimization steps / 学習ステップ数: ${doc.plan.totalSteps}`), 'the same step count as tack planned');
  const again = await runTack(['export', project, '--bundle', zip], { env });
  assert.equal(again.code, 3);
  assert.match(again.stderr, /RUN_EXPORT_FAILED.*--force/s);
});

/** `tack train --dry-run` on the demo project: a run folder whose configs pass the engine checks. */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { checkEngineConfig } from '../src/engine/index.js';
import { runTack, tempDir } from './helpers/cli.js';
import { fakeEngineEnv } from './helpers/fake-engine.js';

let root: { dir: string; cleanup: () => Promise<void> };

before(async () => {
  root = await tempDir('tack-dry-');
});

after(async () => {
  await root.cleanup();
});

test('tack train --dry-run on the demo project writes the run folder, checked configs and the exact command', async () => {
  const env = fakeEngineEnv(root.dir, { TACK_SD_SCRIPTS: '' });
  const demo = await runTack(['demo', 'demo'], { cwd: root.dir, env, timeoutMs: 180_000 });
  assert.equal(demo.code, 0, demo.stderr);
  const project = path.join(root.dir, 'demo');
  const result = await runTack(['train', 'demo', '--dry-run', '--json'], { cwd: root.dir, env });
  assert.equal(result.code, 0, result.stderr);
  const doc = JSON.parse(result.stdout);
  assert.equal(doc.kind, 'train');
  assert.equal(doc.dryRun, true);
  assert.deepEqual((await readdir(path.join(project, 'runs'))), [doc.run.id]);
  assert.match(doc.run.id, /^\d{8}-\d{6}$/);
  const files = (await readdir(doc.run.dir)).sort();
  assert.deepEqual(files, ['command.json', 'config', 'run.json']);
  assert.deepEqual((await readdir(path.join(doc.run.dir, 'config'))).sort(), ['args.toml', 'dataset.toml', 'sample_prompts.txt']);
  const check = checkEngineConfig({
    argsToml: await readFile(doc.configs.args, 'utf8'),
    datasetToml: await readFile(doc.configs.dataset, 'utf8'),
    argsFile: 'args.toml',
    datasetFile: 'dataset.toml',
  });
  assert.deepEqual(check.findings.filter((f) => f.severity === 'error'), [], 'the configs pass the argument and dataset checks');
  const run = JSON.parse(await readFile(path.join(doc.run.dir, 'run.json'), 'utf8'));
  assert.equal(run.status, 'prepared');
  assert.equal(run.plan.totalSteps, doc.plan.totalSteps);
  assert.ok(doc.plan.totalSteps > 0);
  assert.ok(doc.findings.some((f: { code: string }) => f.code === 'RUN_NO_BASE_MODEL'), 'the demo has no base model yet and says so');
  const argv: string[] = doc.command.argv;
  assert.deepEqual(argv.slice(1, 3), ['-m', 'accelerate.commands.launch']);
  assert.ok(argv.includes('--config_file') && argv.includes('--dataset_config'));
  const human = await runTack(['train', 'demo', '--dry-run'], { cwd: root.dir, env });
  assert.match(human.stdout, /Dry run: nothing was launched/);
  assert.match(human.stdout, /accelerate\.commands\.launch .*--config_file/);
  const runs = await runTack(['runs', 'demo'], { cwd: root.dir, env });
  assert.match(runs.stdout, /prepared/);
});

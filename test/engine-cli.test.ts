/**
 * `tack engine doctor` against the fake sd-scripts (its fake torch reports the GPUs in
 * FAKE_GPUS), and `tack engine install` offline and from a local repository.
 */
import assert from 'node:assert/strict';
import { copyFile, cp, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runTack, FIXTURES, tempDir } from './helpers/cli.js';
import { FAKE_SD_SCRIPTS, fakeEngineEnv, makeFakeSdScriptsRepo, startPipIndex, writeFakeSdxlModel } from './helpers/fake-engine.js';

let root: { dir: string; cleanup: () => Promise<void> };

before(async () => {
  root = await tempDir('tack-engine-');
});

after(async () => {
  await root.cleanup();
});

interface Check {
  id: string;
  status: string;
  detail: string;
  fix?: string;
}

function checks(stdout: string): Record<string, Check> {
  const doc = JSON.parse(stdout) as { checks: Check[] };
  return Object.fromEntries(doc.checks.map((c) => [c.id, c]));
}

test('engine doctor: a complete engine with a 24 GB GPU and an SDXL model is ready, profile 24gb', async () => {
  const model = path.join(root.dir, 'pony.safetensors');
  await writeFakeSdxlModel(model);
  const result = await runTack(['engine', 'doctor', '--model', model, '--json'], { env: fakeEngineEnv(root.dir) });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const doc = JSON.parse(result.stdout);
  assert.equal(doc.ready, true);
  assert.equal(doc.gpuProfile, '24gb');
  assert.deepEqual(doc.gpus, [{ index: 0, name: 'NVIDIA GeForce RTX 4090', memoryGiB: 24 }]);
  const c = checks(result.stdout);
  assert.equal(c['sd-scripts']?.status, 'ok');
  assert.equal(c.commit?.status, 'warning', 'the fake is not a git checkout, so its commit is unknown');
  assert.equal(c.torch?.detail, '2.6.0+cu124');
  assert.equal(c.accelerate?.detail, '1.6.0');
  assert.equal(c['base-model']?.status, 'ok');
  assert.match(c['base-model']?.detail ?? '', /SDXL/);
});

test('engine doctor: each problem is a FAIL line with its fix, exit code 4', async () => {
  const lora = path.join(root.dir, 'not-a-base.safetensors');
  await copyFile(path.join(FIXTURES, 'sd-scripts', 'test_lora-000001.safetensors'), lora);
  const result = await runTack(['engine', 'doctor', '--model', lora], { env: fakeEngineEnv(root.dir, { FAKE_GPUS: '' }) });
  assert.equal(result.code, 4);
  assert.match(result.stdout, /\[FAIL\] CUDA\s+torch 2\.6\.0\+cpu sees no CUDA GPU/);
  assert.match(result.stdout, /fix: SDXL training needs an NVIDIA GPU/);
  assert.match(result.stdout, /\[FAIL\] base model/);
  assert.match(result.stdout, /Not ready to train/);

  const none = await runTack(['engine', 'doctor', '--json'], { env: fakeEngineEnv(root.dir, { TACK_SD_SCRIPTS: '' }) });
  assert.equal(none.code, 4);
  const c = checks(none.stdout);
  assert.equal(c['sd-scripts']?.status, 'error');
  assert.match(c['sd-scripts']?.fix ?? '', /tack engine install/);

  const small = await runTack(['engine', 'doctor', '--json'], { env: fakeEngineEnv(root.dir, { FAKE_GPUS: 'NVIDIA GeForce RTX 3060:12288' }) });
  assert.equal(JSON.parse(small.stdout).gpuProfile, '12gb');
});

test('engine doctor reads the commit of a git checkout without running git', async () => {
  const checkout = path.join(root.dir, 'sd-scripts-git');
  await cp(FAKE_SD_SCRIPTS, checkout, { recursive: true });
  await mkdir(path.join(checkout, '.git', 'refs', 'heads'), { recursive: true });
  await writeFile(path.join(checkout, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  await writeFile(path.join(checkout, '.git', 'packed-refs'), '# pack-refs with: peeled\n48d368fa557731ad0488c07304dfeba8c07910eb refs/heads/main\n');
  const result = await runTack(['engine', 'doctor', '--json'], { env: fakeEngineEnv(root.dir, { TACK_SD_SCRIPTS: checkout }) });
  const doc = JSON.parse(result.stdout);
  assert.equal(doc.engine.commit, '48d368fa557731ad0488c07304dfeba8c07910eb');
  assert.equal(checks(result.stdout).commit?.status, 'ok');
});

test('engine install offline: a clear message with the manual steps, nothing created', async () => {
  const dir = path.join(root.dir, 'offline', 'sd-scripts');
  const result = await runTack(['engine', 'install', '--dir', dir, '--repo', 'https://127.0.0.1:9/kohya-ss/sd-scripts.git'], { env: fakeEngineEnv(root.dir) });
  assert.equal(result.code, 4);
  assert.match(result.stderr, /ENGINE_OFFLINE/);
  assert.match(result.stderr, /cannot reach https:\/\/127\.0\.0\.1:9\/kohya-ss\/sd-scripts\.git \(the sd-scripts repository\)/);
  assert.match(result.stderr, /Nothing was changed/);
  assert.match(result.stderr, /git -C .* checkout 48d368fa557731ad0488c07304dfeba8c07910eb/);
  await assert.rejects(stat(path.join(root.dir, 'offline')), 'nothing was created');
});

test('engine install from a local repository: clone, checkout, venv, requirements; a rerun skips what is done', async () => {
  const { repo, commit } = await makeFakeSdScriptsRepo(path.join(root.dir, 'repo'));
  const index = await startPipIndex();
  try {
    const dir = path.join(root.dir, 'installed', 'sd-scripts');
    const env = fakeEngineEnv(root.dir, { PIP_INDEX_URL: index.url, TACK_SD_SCRIPTS: '' });
    const result = await runTack(['engine', 'install', '--dir', dir, '--repo', repo, '--commit', commit, '--skip-torch', '--json'], { env, timeoutMs: 180_000 });
    assert.equal(result.code, 0, result.stderr);
    const doc = JSON.parse(result.stdout);
    assert.deepEqual(doc.steps, [`clone ${repo}`, `check out ${commit.slice(0, 8)}`, 'create venv', 'install requirements.txt']);
    assert.ok((await readdir(dir)).includes('sdxl_train_network.py'));
    assert.ok((await stat(path.join(dir, 'venv', 'bin', 'python'))).isFile());
    const again = await runTack(['engine', 'install', '--dir', dir, '--repo', repo, '--commit', commit, '--skip-torch', '--json'], { env, timeoutMs: 180_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).steps, ['fetch updates', `check out ${commit.slice(0, 8)}`, 'install requirements.txt'], 'clone and venv are not redone');
    const doctor = await runTack(['engine', 'doctor', '--json'], { env: { ...env, TACK_DATA_DIR: path.dirname(dir) } });
    const d = JSON.parse(doctor.stdout);
    assert.equal(d.engine.sdScriptsDir, dir, 'the install folder is found without TACK_SD_SCRIPTS');
    assert.equal(d.engine.commit, commit);
    assert.equal(d.engine.pythonSource, 'venv');
  } finally {
    index.close();
  }
});

test('engine install refuses a non-empty folder that is not a checkout', async () => {
  const dir = path.join(root.dir, 'busy');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'notes.txt'), 'mine');
  const result = await runTack(['engine', 'install', '--dir', dir], { env: fakeEngineEnv(root.dir) });
  assert.equal(result.code, 3);
  assert.match(result.stderr, /ENGINE_INSTALL_EXISTS/);
});

/**
 * Adding and checking remotes against a real OpenSSH server on loopback (the tests' "remote"):
 * the registry, the refusals a user must understand (unknown or changed host key, a refused key,
 * nothing listening, no ssh, no python there), `tack remote doctor` with the fake engine there
 * (GPUs with memory, the profile, one accelerate process per GPU, what to do about each
 * problem), a full disk refused before uploading, and `tack engine install --on` from a local
 * repository.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runTack, tempDir } from './helpers/cli.js';
import { makeFakeSdScriptsRepo, makeTrainingProject, startPipIndex } from './helpers/fake-engine.js';
import { addRemote, remoteRoot, remoteTestEnv, useLocalModelThere } from './helpers/remote.js';
import { freePort, skipWithoutSshd, startSshd, type TestSshd } from './helpers/sshd.js';

let root: { dir: string; cleanup: () => Promise<void> };
let sshd: TestSshd | undefined;
const servers: TestSshd[] = [];

before(async () => {
  root = await tempDir('tack-remote-setup-');
});

after(async () => {
  for (const s of servers) await s.stop();
  await root.cleanup();
});

async function server(t: import('node:test').TestContext, name = 'main', options: Parameters<typeof startSshd>[2] = {}): Promise<TestSshd | undefined> {
  if (skipWithoutSshd(t)) return undefined;
  if (name === 'main' && sshd) return sshd;
  const s = await startSshd(root.dir, name, options);
  servers.push(s);
  if (name === 'main') sshd = s;
  return s;
}

test('remote add, list and remove: the target is parsed, the key must exist, "local" is reserved', async (t) => {
  const s = await server(t);
  if (!s) return;
  const env = remoteTestEnv(root.dir, s);
  const added = await runTack(['remote', 'add', 'pod', s.target, '--key', s.identity, '--dir', remoteRoot(s), '--json'], { env });
  assert.equal(added.code, 0, added.stderr);
  const doc = JSON.parse(added.stdout);
  assert.equal(doc.remote.port, s.port);
  assert.equal(doc.remote.key, s.identity);
  assert.equal(doc.connected.root, remoteRoot(s), 'tack connected and resolved its folder there');
  const listed = JSON.parse((await runTack(['remote', 'list', '--json'], { env })).stdout);
  assert.deepEqual(listed.remotes.map((r: { name: string }) => r.name), ['pod']);
  const again = await runTack(['remote', 'add', 'pod', s.target, '--no-check'], { env });
  assert.equal(again.code, 3);
  assert.match(again.stderr, /REMOTE_EXISTS/);
  const bad = await runTack(['remote', 'add', 'x', 'root@-oProxyCommand=evil:22', '--no-check'], { env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /REMOTE_BAD_TARGET.*is not a host name/);
  const reserved = await runTack(['remote', 'add', 'local', s.target, '--no-check'], { env });
  assert.match(reserved.stderr, /REMOTE_BAD_NAME/);
  const noKey = await runTack(['remote', 'add', 'k', s.target, '--key', path.join(root.dir, 'missing-key')], { env });
  assert.match(noKey.stderr, /REMOTE_KEY_MISSING.*missing-key does not exist/);
  const removed = await runTack(['remote', 'remove', 'pod'], { env });
  assert.equal(removed.code, 0);
  assert.match(removed.stdout, /Removed remote pod/);
  const unknown = await runTack(['remote', 'doctor', 'pdo'], { env });
  assert.match(unknown.stderr, /REMOTE_NOT_FOUND/);
});

test('an unknown host key is refused with ssh\'s words and what to do; tack does not add it to known_hosts', async (t) => {
  const s = await server(t, 'unknown-key', { unknownHostKey: true });
  if (!s) return;
  const result = await runTack(['remote', 'add', 'stranger', s.target, '--dir', remoteRoot(s)], { env: remoteTestEnv(root.dir, s) });
  assert.equal(result.code, 4, result.stderr);
  assert.match(result.stderr, /REMOTE_HOST_KEY_UNKNOWN/);
  assert.match(result.stderr, /No ED25519 host key is known for \[127\.0\.0\.1\]:\d+|Host key verification failed/);
  assert.match(result.stderr, /tack never accepts a host key by itself.*ssh -p \d+ \S+@127\.0\.0\.1/s);
  assert.equal(await readFile(s.knownHosts, 'utf8'), '', 'known_hosts is left as it was');
});

test('a changed host key, a refused key, a closed port, no ssh and no python each stop with their own error', async (t) => {
  const s = await server(t);
  if (!s) return;
  const env = remoteTestEnv(root.dir, s);
  // Another machine answering at the same address: known_hosts holds a different key.
  const other = path.join(s.dir, 'other-host-key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
  const changedDir = path.join(root.dir, 'changed');
  await mkdir(changedDir, { recursive: true });
  const knownChanged = path.join(changedDir, 'known_hosts');
  await writeFile(knownChanged, `[127.0.0.1]:${s.port} ${(await readFile(`${other}.pub`, 'utf8')).trim()}\n`);
  const configChanged = path.join(changedDir, 'ssh_config');
  await writeFile(configChanged, (await readFile(s.sshConfig, 'utf8')).replace(s.knownHosts, knownChanged));
  const changed = await runTack(['remote', 'add', 'moved', s.target], { env: { ...env, TACK_SSH_CONFIG: configChanged, TACK_SSH_CONTROL_DIR: path.join(changedDir, 'c') } });
  assert.match(changed.stderr, /REMOTE_HOST_KEY_CHANGED/);
  assert.match(changed.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
  assert.match(changed.stderr, /ssh-keygen -R '\[127\.0\.0\.1\]:\d+'/);

  // A key the server does not know, and no other key to fall back on.
  const stranger = path.join(s.dir, 'not-authorized');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
  const configStranger = path.join(changedDir, 'ssh_config_stranger');
  await writeFile(configStranger, (await readFile(s.sshConfig, 'utf8')).replace(/^ {2}IdentityFile .*$/m, `  IdentityFile ${stranger}`));
  const refused = await runTack(['remote', 'add', 'wrongkey', s.target, '--key', stranger], { env: { ...env, TACK_SSH_CONFIG: configStranger } });
  assert.equal(refused.code, 4);
  assert.match(refused.stderr, /REMOTE_AUTH_REFUSED.*Permission denied/s);
  assert.match(refused.stderr, /never asks for a password/);

  const closed = await freePort();
  const unreachable = await runTack(['remote', 'add', 'off', `root@127.0.0.1:${closed}`], { env });
  assert.match(unreachable.stderr, /REMOTE_UNREACHABLE.*Connection refused/s);

  const noSsh = await runTack(['remote', 'add', 'nossh', s.target], { env: { ...env, TACK_SSH: path.join(root.dir, 'no-such-ssh') } });
  assert.match(noSsh.stderr, /REMOTE_SSH_MISSING/);
  assert.match(noSsh.stderr, /openssh-client/);

  const noPython = await runTack(['remote', 'add', 'nopy', s.target, '--dir', remoteRoot(s), '--python', '/nonexistent/python3'], { env });
  assert.equal(noPython.code, 4);
  assert.match(noPython.stderr, /REMOTE_NO_PYTHON.*has no \/nonexistent\/python3/s);
});

test('remote doctor: every GPU with its memory, the profile, one accelerate process per GPU; fixes name the remote', async (t) => {
  const s = await server(t);
  if (!s) return;
  const env = remoteTestEnv(root.dir, s);
  await addRemote(root.dir, s, 'two-gpus', { env: { FAKE_GPUS: 'NVIDIA A40:46068,NVIDIA A40:46068' } });
  const result = await runTack(['remote', 'doctor', 'two-gpus', '--json'], { env });
  assert.equal(result.code, 0, result.stderr);
  const doc = JSON.parse(result.stdout);
  assert.equal(doc.ready, true);
  assert.deepEqual(doc.gpus.map((g: { name: string; memoryGiB: number }) => [g.name, g.memoryGiB]), [['NVIDIA A40', 45], ['NVIDIA A40', 45]]);
  assert.equal(doc.gpuProfile, '24gb');
  assert.equal(doc.processes, 2);
  const byId = Object.fromEntries(doc.checks.map((c: { id: string }) => [c.id, c]));
  assert.equal(byId['sd-scripts'].status, 'ok');
  assert.match(byId.processes.detail, /2 accelerate processes, one per GPU/);
  assert.equal(byId.disk.status, 'ok');
  assert.match(byId.commit.fix, /git -C .* checkout 48d368fa|tack engine install --on two-gpus/);
  const text = await runTack(['remote', 'doctor', 'two-gpus'], { env });
  assert.match(text.stdout, /\[ ok \] GPU +NVIDIA A40 45\.0 GiB, NVIDIA A40 45\.0 GiB -> profile 24gb/);
  assert.match(text.stdout, /two-gpus is ready to train/);

  await addRemote(root.dir, s, 'cpu-only', { env: { FAKE_GPUS: '' } });
  const cpu = await runTack(['remote', 'doctor', 'cpu-only', '--json'], { env });
  assert.equal(cpu.code, 4);
  const cuda = JSON.parse(cpu.stdout).checks.find((c: { id: string }) => c.id === 'cuda');
  assert.equal(cuda.status, 'error');
  assert.match(cuda.fix, /no usable CUDA GPU: rent a machine with an NVIDIA GPU/);

  const none = await runTack(['remote', 'add', 'bare', s.target, '--dir', path.join(s.dir, 'bare-root')], { env });
  assert.equal(none.code, 0, none.stderr);
  const bare = await runTack(['remote', 'doctor', 'bare'], { env });
  assert.equal(bare.code, 4);
  assert.match(bare.stdout, /\[FAIL\] sd-scripts +no checkout found/);
  assert.match(bare.stdout, /fix: Run `tack engine install --on bare`/);
});

test('a remote whose disk is too full for the upload is refused before anything is sent', async (t) => {
  const s = await server(t, 'full-disk', { env: { TACK_REMOTE_TEST_FREE_BYTES: '1000000' } });
  if (!s) return;
  const env = remoteTestEnv(root.dir, s);
  await addRemote(root.dir, s, 'full', {});
  const project = await makeTrainingProject(root.dir, 'fullproj', { env });
  await useLocalModelThere(project);
  const result = await runTack(['train', project, '--on', 'full'], { env });
  assert.equal(result.code, 4, result.stderr);
  assert.match(result.stderr, /REMOTE_DISK_FULL.*977 KB free .* at .*sshd-full-disk/s);
  assert.match(result.stderr, /--dir \/workspace\/tack/);
  await assert.rejects(stat(path.join(remoteRoot(s), 'projects', 'fullproj')), 'nothing was uploaded');
});

test('engine install --on: the pinned checkout, a venv and the requirements on the remote; doctor then finds it there', async (t) => {
  const s = await server(t);
  if (!s) return;
  const { repo, commit } = await makeFakeSdScriptsRepo(path.join(root.dir, 'sd-scripts-repo'));
  const index = await startPipIndex();
  try {
    const env = remoteTestEnv(root.dir, s, { PIP_INDEX_URL: index.url });
    const dir = path.join(s.dir, 'install-root');
    const add = await runTack(['remote', 'add', 'fresh', s.target, '--dir', dir], { env });
    assert.equal(add.code, 0, add.stderr);
    const result = await runTack(['engine', 'install', '--on', 'fresh', '--repo', repo, '--commit', commit, '--skip-torch', '--json'], { env, timeoutMs: 180_000 });
    assert.equal(result.code, 0, result.stderr);
    const doc = JSON.parse(result.stdout);
    assert.equal(doc.remote, 'fresh');
    assert.equal(doc.dir, path.join(dir, 'sd-scripts'));
    assert.deepEqual(doc.steps, [`clone ${repo}`, `check out ${commit.slice(0, 8)}`, 'create venv', 'install requirements.txt']);
    assert.ok((await stat(path.join(dir, 'sd-scripts', 'venv', 'bin', 'python'))).isFile());
    const again = await runTack(['engine', 'install', '--on', 'fresh', '--repo', repo, '--commit', commit, '--skip-torch', '--json'], { env, timeoutMs: 180_000 });
    assert.deepEqual(JSON.parse(again.stdout).steps, ['fetch updates', `check out ${commit.slice(0, 8)}`, 'install requirements.txt'], 'a rerun skips what is done');
    const doctor = JSON.parse((await runTack(['remote', 'doctor', 'fresh', '--json'], { env })).stdout);
    assert.equal(doctor.engine.sdScriptsDir, path.join(dir, 'sd-scripts'), 'found in the remote folder without --sd-scripts');
    assert.equal(doctor.engine.commit, commit);
    const offline = await runTack(['engine', 'install', '--on', 'fresh', '--repo', 'https://127.0.0.1:9/kohya-ss/sd-scripts.git'], { env });
    assert.equal(offline.code, 4);
    assert.match(offline.stderr, /ENGINE_OFFLINE.*fresh cannot reach https:\/\/127\.0\.0\.1:9/s);
  } finally {
    index.close();
  }
});

/**
 * `tack export --bundle --device cpu`: the zip's train.sh trains with the real engine on
 * "another machine" (here: unzipped in another folder, the engine named by SD_SCRIPTS and
 * PYTHON), with the step count tack planned, and writes a LoRA tack reads.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runTack, tempDir } from '../helpers/cli.js';
import { killEverythingUnder, makeEngineProject, realEngine, realEngineEnv, waitForMemory } from './engine-helpers.js';

const engine = realEngine();
let root: { dir: string; cleanup: () => Promise<void> };

before(async () => {
  root = await tempDir('tack-engine-bundle-');
});

after(async () => {
  await killEverythingUnder(root.dir);
  await root?.cleanup();
});

/** Runs train.sh in its own process group; after the time limit the whole group is killed. */
function runScript(script: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(script, args, { cwd: root.dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let timedOut = false;
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}

test('the bundle for device cpu trains with its own train.sh on the real engine, as planned', { timeout: 25 * 60_000 }, async () => {
  const project = await makeEngineProject(root.dir, 'di', { epochs: 1, batchSize: 2 });
  const zip = path.join(root.dir, 'di.zip');
  const exported = await runTack(['export', project, '--bundle', zip, '--device', 'cpu', '--json'], { env: realEngineEnv(root.dir) });
  assert.equal(exported.code, 0, exported.stderr);
  const doc = JSON.parse(exported.stdout) as { root: string; device: string; plan: { totalSteps: number } };
  assert.equal(doc.device, 'cpu');
  assert.equal(spawnSync('unzip', ['-q', zip, '-d', path.join(root.dir, 'elsewhere')]).status, 0);
  const bundle = path.join(root.dir, 'elsewhere', doc.root);
  const args = await readFile(path.join(bundle, 'config', 'args.toml'), 'utf8');
  assert.match(args, /optimizer_type = "AdamW"/);
  assert.doesNotMatch(args, /^(sdpa|xformers|fp8_base) = true/m, 'nothing CUDA-only or torch-2-only: the torch there is not known');
  const script = await readFile(path.join(bundle, 'train.sh'), 'utf8');
  assert.match(script, /accelerate\.commands\.launch --cpu /);

  await waitForMemory();
  const run = await runScript(path.join(bundle, 'train.sh'), [engine.baseModel], { SD_SCRIPTS: engine.sdScripts, PYTHON: engine.python }, 20 * 60_000);
  assert.equal(run.timedOut, false, run.output.slice(-2000));
  assert.equal(run.code, 0, run.output.slice(-3000));
  const log = await readFile(path.join(bundle, 'log.txt'), 'utf8');
  assert.equal(Number(/total optimization steps \/ 学習ステップ数: (\d+)/.exec(log)?.[1]), doc.plan.totalSteps, 'the step count tack planned');
  assert.ok((await readdir(path.join(bundle, 'output'))).includes('di.safetensors'));
  const inspected = await runTack(['lora', 'inspect', path.join(bundle, 'output', 'di.safetensors'), '--json']);
  assert.equal(inspected.code, 0, inspected.stderr);
  assert.equal((JSON.parse(inspected.stdout) as { training: { steps?: number } }).training.steps, doc.plan.totalSteps);
});

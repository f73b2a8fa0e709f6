/**
 * A setting the real engine refuses only at run time: an optimizer whose package it cannot
 * import (Prodigy without prodigyopt). tack cannot know before the engine loads the model; the
 * run must end in a typed failure that names the engine's own error, with what to do.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { tempDir } from '../helpers/cli.js';
import { processesMentioning } from '../helpers/fake-engine.js';
import { killEverythingUnder, logTail, makeEngineProject, realEngine, realEngineEnv, runRealTack, waitForMemory } from './engine-helpers.js';

const engine = realEngine();
let root: { dir: string; cleanup: () => Promise<void> };

before(async () => {
  root = await tempDir('tack-engine-fail-');
});

after(async () => {
  await killEverythingUnder(root.dir);
  await root?.cleanup();
});

const hasProdigy = spawnSync(engine.python, ['-c', 'import prodigyopt'], { encoding: 'utf8' }).status === 0;

test('an optimizer the engine cannot import: failed (missing-module), naming the engine\'s ImportError and the package', { timeout: 20 * 60_000, skip: hasProdigy ? "this engine's Python has prodigyopt, so Prodigy would train" : false }, async () => {
  const project = await makeEngineProject(root.dir, 'cy', { train: { optimizer: 'Prodigy', learning_rate: 1, unet_lr: 1, text_encoder_lr: 1 } });
  await waitForMemory();
  const result = await runRealTack(['train', project, '--device', 'cpu', '--json'], { env: realEngineEnv(root.dir), root: root.dir, timeoutMs: 15 * 60_000 });
  const doc = JSON.parse(result.stdout || '{}') as { run: { dir: string }; outcome: { kind: string; reason: string; message: string; hint: string; engineError?: string; exitCode: number } };
  assert.equal(result.timedOut, false);
  assert.equal(result.code, 5, `${result.stderr.slice(-1500)}\n${await logTail(doc.run?.dir ?? '')}`);
  assert.equal(doc.outcome.kind, 'failed');
  assert.equal(doc.outcome.reason, 'missing-module');
  assert.equal(doc.outcome.engineError, 'ImportError: No Prodigy / Prodigy がインストールされていないようです', 'the engine\'s own exception, not accelerate\'s CalledProcessError');
  assert.match(doc.outcome.message, /The engine said: ImportError: No Prodigy/);
  assert.match(doc.outcome.hint, /pip install prodigyopt.*optimizer = "AdamW"/);
  assert.notEqual(doc.outcome.exitCode, 0);
  const outcome = JSON.parse(await readFile(path.join(doc.run.dir, 'outcome.json'), 'utf8')) as { engineError?: string };
  assert.equal(outcome.engineError, doc.outcome.engineError, 'outcome.json keeps it for tack runs and the studio');
  assert.deepEqual(await processesMentioning(doc.run.dir), []);
});

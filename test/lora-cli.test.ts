import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { syntheticBaseTensors, syntheticLoraMetadata, syntheticLoraTensors, syntheticModules, writeSafetensors, type LayoutModule } from '../src/lora/index.js';
import { runTack, FIXTURES, tempDir } from './helpers/cli.js';

const FIXTURE = path.join(FIXTURES, 'sd-scripts', 'test_lora.safetensors');
const few = (m: LayoutModule) => /layers_0_self_attn_q_proj$|input_blocks_4_1_proj_in$/.test(m.kohya);

test('tack lora inspect --json describes the engine\'s LoRA', async () => {
  const r = await runTack(['lora', 'inspect', FIXTURE, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.kind, 'lora inspect');
  assert.equal(doc.architecture.id, 'sdxl');
  assert.equal(doc.network.modules, 722);
  assert.equal(doc.hashes.sshsModelHash.matches, true);
  assert.equal(doc.training.steps, 12);
});

test('resize, merge, convert, hash and verify from the command line; inputs are never overwritten', async () => {
  const { dir, cleanup } = await tempDir('tack-lora-cli-');
  try {
    const o = { arch: 'sdxl' as const, rank: 8, alpha: 8, dtype: 'F16' as const, filter: few };
    const lora = path.join(dir, 'my.safetensors');
    await writeSafetensors(lora, syntheticLoraTensors(o), { metadata: syntheticLoraMetadata(o), sshsHashes: true });
    const resized = await runTack(['lora', 'resize', lora, '--rank', '4', '-o', path.join(dir, 'small.safetensors'), '--json']);
    assert.equal(resized.code, 0, resized.stderr);
    assert.equal(JSON.parse(resized.stdout).networkDim, '4');
    const again = await runTack(['lora', 'resize', lora, '--rank', '4', '-o', path.join(dir, 'small.safetensors')]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /LORA_OUTPUT_EXISTS/);
    const self = await runTack(['lora', 'resize', lora, '--rank', '4', '-o', lora, '--force']);
    assert.match(self.stderr, /LORA_OUTPUT_IS_INPUT/);
    const dynamic = await runTack(['lora', 'resize', lora, '--dynamic', 'fro:0.9', '-o', path.join(dir, 'dyn.safetensors')]);
    assert.equal(dynamic.code, 0, dynamic.stderr);
    assert.match(dynamic.stdout, /ss_network_dim Dynamic/);
    const merged = await runTack(['lora', 'merge', `${lora}:0.7`, `${path.join(dir, 'small.safetensors')}:0.3`, '-o', path.join(dir, 'merged.safetensors'), '--json']);
    assert.equal(merged.code, 0, merged.stderr);
    assert.equal(JSON.parse(merged.stdout).summary.maxRank, 12);
    const peft = await runTack(['lora', 'convert', lora, '--to', 'peft', '-o', path.join(dir, 'peft.safetensors')]);
    assert.equal(peft.code, 0, peft.stderr);
    const hash = await runTack(['lora', 'hash', lora, '--json']);
    assert.equal(JSON.parse(hash.stdout).files[0].sshsModelHash.matches, true);
    const base = path.join(dir, 'base.safetensors');
    await writeSafetensors(base, syntheticBaseTensors(syntheticModules({ arch: 'sdxl', filter: few })));
    const ok = await runTack(['lora', 'verify', lora, '--base', base]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const wrong = await runTack(['lora', 'verify', lora, '--base', path.join(dir, 'small.safetensors')]);
    assert.equal(wrong.code, 3);
    assert.match(wrong.stderr, /LORA_NOT_A_BASE_MODEL/);
  } finally {
    await cleanup();
  }
});

test('a damaged file gets a coded error naming it, exit code 3', async () => {
  const { dir, cleanup } = await tempDir('tack-lora-cli-');
  try {
    const bad = path.join(dir, 'broken.safetensors');
    await writeFile(bad, Buffer.concat([Buffer.from([10, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"a":oops}')]));
    const r = await runTack(['lora', 'inspect', bad]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /LORA_BAD_HEADER.*broken\.safetensors/);
    const usage = await runTack(['lora', 'resize', bad, '-o', path.join(dir, 'x.safetensors')]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--rank/);
  } finally {
    await cleanup();
  }
});

test('lora resize --threads 2 (worker threads of the built CLI) writes the same file as --threads 1', async () => {
  const { dir, cleanup } = await tempDir('tack-lora-cli-');
  try {
    const o = { arch: 'sdxl' as const, rank: 8, alpha: 8, dtype: 'F16' as const, filter: few, seed: 9 };
    const lora = path.join(dir, 'my.safetensors');
    await writeSafetensors(lora, syntheticLoraTensors(o), { metadata: syntheticLoraMetadata(o), sshsHashes: true });
    const outputs: Buffer[] = [];
    for (const threads of ['1', '2']) {
      const out = path.join(dir, `t${threads}.safetensors`);
      const r = await runTack(['lora', 'resize', lora, '--rank', '3', '--threads', threads, '-o', out]);
      assert.equal(r.code, 0, r.stderr);
      outputs.push(await readFile(out));
    }
    assert.ok((outputs[0] as Buffer).equals(outputs[1] as Buffer), 'threaded output differs');
    const bad = await runTack(['lora', 'resize', lora, '--rank', '3', '--threads', '0', '-o', path.join(dir, 'x.safetensors')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--threads/);
  } finally {
    await cleanup();
  }
});

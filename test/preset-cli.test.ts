/** tack preset list | show | import | export, and a train dry run with an imported preset. */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FIXTURES, runTack, tempDir } from './helpers/cli.js';
import { fakeEngineEnv, makeTrainingProject } from './helpers/fake-engine.js';

let root: { dir: string; cleanup: () => Promise<void> };
let env: NodeJS.ProcessEnv;

before(async () => {
  root = await tempDir('tack-preset-');
  env = fakeEngineEnv(root.dir, { TACK_SD_SCRIPTS: '' });
});

after(async () => {
  await root.cleanup();
});

test('preset list shows the built-in presets and the GPU profiles', async () => {
  const result = await runTack(['preset', 'list'], { env });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /pony-realism\s+built-in/);
  assert.match(result.stdout, /sdxl\s+built-in/);
  assert.match(result.stdout, /12gb\s+>= 11 GiB\s+batch <= 1 .*train_text_encoder=false/);
});

test('preset show gives every value with its reason and source', async () => {
  const result = await runTack(['preset', 'show', 'pony-realism'], { env });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /network_dim\s+32\s+preset pony-realism: rank 32 \(recipe 4/);
  assert.match(result.stdout, /learning_rate\s+0\.0001\s+preset sdxl: .*\[sd-scripts' SDXL documentation\]/);
  const missing = await runTack(['preset', 'show', 'pony-realsm'], { env });
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /PRESET_NOT_FOUND.*Did you mean "pony-realism"/);
});

test('preset import reports what changed and each pitfall; the preset then drives a dry run', async () => {
  const file = path.join(root.dir, 'My Pony preset.json');
  await writeFile(file, JSON.stringify({ LoRA_type: 'Standard', sdxl: true, network_dim: 16, network_alpha: 0, clip_skip: 2, seed: 0, max_train_steps: 1600, epoch: 6, text_encoder_lr: 0, unet_lr: 0.0002, learning_rate: 0.0002, optimizer: 'AdamW', lr_scheduler: 'constant', mixed_precision: 'bf16', pretrained_model_name_or_path: 'D:/pony.safetensors' }));
  const result = await runTack(['preset', 'import', file], { env });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Imported My Pony preset\.json as preset "My-Pony-preset"/);
  assert.match(result.stdout, /network_alpha\s+0\s+network_alpha = 1/);
  assert.match(result.stdout, /clip_skip\s+2\s+dropped/);
  assert.match(result.stdout, /Pitfalls found in the file:/);
  for (const words of [/alpha 1, a scale of 1\/16/, /clip_skip = 2 does nothing for SDXL/, /caps the run at 1600 steps/, /text_encoder_lr is 0/, /seed 0/]) assert.match(result.stdout, words);
  const again = await runTack(['preset', 'import', file], { env });
  assert.equal(again.code, 3);
  assert.match(again.stderr, /PRESET_EXISTS.*--force/s);

  const project = await makeTrainingProject(root.dir, 'withpreset', { env });
  const dry = await runTack(['train', project, '--dry-run', '--preset', 'My-Pony-preset', '--json'], { env });
  assert.equal(dry.code, 0, dry.stderr);
  const doc = JSON.parse(dry.stdout);
  assert.equal(doc.preset, 'My-Pony-preset');
  assert.equal(doc.settings.optimizer, 'AdamW');
  assert.equal(doc.settings.train_text_encoder, false);
  assert.equal(doc.settings.network_dim, 1, '[train] network_dim in tack.toml still wins');
  const args = await readFile(doc.configs.args, 'utf8');
  assert.match(args, /network_train_unet_only = true/);
  assert.doesNotMatch(args, /^clip_skip\s*=/m);
});

test('preset export writes a GUI preset that imports back to the same settings', async () => {
  const out = path.join(root.dir, 'pony-realism.json');
  const result = await runTack(['preset', 'export', 'pony-realism', out], { env });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /clip_skip = 0 so the GUI leaves it out/);
  const json = JSON.parse(await readFile(out, 'utf8'));
  assert.equal(json.network_dim, 32);
  assert.equal(json.network_alpha, 16);
  assert.equal(json.max_train_steps, 0);
  assert.equal(json.LoRA_type, 'Standard');
  const imported = await runTack(['preset', 'import', out, '--name', 'roundtrip', '--json'], { env });
  const doc = JSON.parse(imported.stdout);
  assert.deepEqual(doc.findings.filter((f: { severity: string }) => f.severity !== 'info'), []);
  const a = JSON.parse((await runTack(['preset', 'show', 'pony-realism', '--json'], { env })).stdout).settings;
  const b = JSON.parse((await runTack(['preset', 'show', 'roundtrip', '--json'], { env })).stdout).settings;
  assert.deepEqual(b, a);
  assert.equal((await runTack(['preset', 'export', 'pony-realism', out], { env })).code, 3, 'an existing file is not overwritten without --force');
});

test('preset import refuses files tack cannot train from, naming the file', async () => {
  const lycoris = path.join(root.dir, 'lokr.json');
  await writeFile(lycoris, JSON.stringify({ LoRA_type: 'LyCORIS/LoKr', sdxl: true }));
  const result = await runTack(['preset', 'import', lycoris], { env });
  assert.equal(result.code, 3);
  assert.match(result.stderr, /PRESET_OTHER_NETWORK.*lokr\.json/s);
  const broken = path.join(root.dir, 'broken.json');
  await writeFile(broken, '{ "network_dim": 32, ');
  const bad = await runTack(['preset', 'import', broken], { env });
  assert.equal(bad.code, 3);
  assert.match(bad.stderr, /PRESET_BAD_FILE.*broken\.json/s);
});

test("preset import on the kohya_ss GUI's own files: says what each file is and refuses non-LoRA files by kind", async () => {
  const fixture = (name: string) => path.join(FIXTURES, 'kohya_ss', name);
  const ti = await runTack(['preset', 'import', fixture('TI-AdamW8bit-SDXL.json')], { env });
  assert.equal(ti.code, 3);
  assert.match(ti.stderr, /PRESET_NOT_LORA.*TI-AdamW8bit-SDXL\.json is an SDXL Textual Inversion configuration/s);
  const flux = await runTack(['preset', 'import', fixture('flux1D - adamw8bit fp8.json')], { env });
  assert.equal(flux.code, 3);
  assert.match(flux.stderr, /PRESET_OTHER_MODEL.*is a Flux\.1 LoRA preset/s);
  assert.doesNotMatch(flux.stderr, /Stable Diffusion 1/);
  const lora = await runTack(['preset', 'import', fixture('SDXL - LoRA AI_characters standard v1.1.json'), '--name', 'ai-characters'], { env });
  assert.equal(lora.code, 0, lora.stderr);
  assert.match(lora.stdout, /It is an SDXL LoRA preset \(sdxl: true, LoRA_type: Standard\)\./);
  const doc = JSON.parse((await runTack(['preset', 'import', fixture('SDXL-Standard-Adafactor.json'), '--name', 'adafactor', '--json'], { env })).stdout);
  assert.deepEqual([doc.recognised.training, doc.recognised.family, doc.recognised.network.module], ['lora', 'sdxl', 'networks.lora']);
  assert.deepEqual(doc.changes.filter((c: { action: string }) => c.action === 'unknown'), []);
});

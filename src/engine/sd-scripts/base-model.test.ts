import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BaseModelError, checkBaseModel, inspectBaseModel } from './base-model.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/sd-scripts');

async function writeHeader(file: string, tensors: Array<[string, number[]]>, meta: Record<string, string> = {}, sparse = true): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: meta };
  let offset = 0;
  for (const [name, shape] of tensors) {
    const n = shape.reduce((a, b) => a * b, 1) * 2;
    header[name] = { dtype: 'F16', shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  await writeFile(file, Buffer.concat([len, json]));
  if (sparse) {
    const { truncate } = await import('node:fs/promises');
    await truncate(file, 8 + json.length + offset);
  }
}

test('an SDXL checkpoint is recognised from its header alone; other kinds are named', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-model-'));
  try {
    const sdxl = path.join(dir, 'ponyRealism.safetensors');
    await writeHeader(sdxl, [
      ['conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight', [49408, 768]],
      ['conditioner.embedders.1.model.token_embedding', [49408, 1280]],
      ['model.diffusion_model.label_emb.0.0.weight', [1280, 2816]],
    ]);
    assert.ok((await stat(sdxl)).size > 200_000_000, 'the file claims 200+ MB of weights');
    const info = await inspectBaseModel(sdxl);
    assert.equal(info.kind, 'sdxl');
    assert.match(info.evidence, /label_emb 1280x2816/);
    assert.deepEqual(checkBaseModel(info).map((f) => f.severity), ['info']);

    const sd15 = path.join(dir, 'v1-5.safetensors');
    await writeHeader(sd15, [['cond_stage_model.transformer.text_model.embeddings.token_embedding.weight', [49408, 768]], ['model.diffusion_model.input_blocks.0.0.weight', [320, 4, 3, 3]]]);
    const sd15Info = await inspectBaseModel(sd15);
    assert.equal(sd15Info.kind, 'sd1');
    const f = checkBaseModel(sd15Info)[0];
    assert.equal(f?.severity, 'error');
    assert.match(f?.message ?? '', /Stable Diffusion 1\.x/);

    const vpred = path.join(dir, 'vpred.safetensors');
    await writeHeader(vpred, [['conditioner.embedders.1.model.x', [2]], ['model.diffusion_model.x', [2]]], { 'modelspec.prediction_type': 'v' });
    assert.ok(checkBaseModel(await inspectBaseModel(vpred)).some((x) => x.code === 'ENGINE_MODEL_V_PRED'));

    const broken = path.join(dir, 'broken.safetensors');
    await writeFile(broken, Buffer.from('this is not a model at all, just text'));
    await assert.rejects(inspectBaseModel(broken), BaseModelError);

    const ckpt = path.join(dir, 'old.ckpt');
    await writeFile(ckpt, 'PK');
    const ckptInfo = await inspectBaseModel(ckpt);
    assert.equal(ckptInfo.format, 'other');
    assert.equal(checkBaseModel(ckptInfo)[0]?.severity, 'warning');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the engine LoRA from the shared fixtures is recognised as a LoRA, not a base model', async () => {
  const info = await inspectBaseModel(path.join(FIXTURES, 'test_lora.safetensors'));
  assert.equal(info.kind, 'lora');
  assert.equal(info.tensorCount, 2166);
  assert.match(checkBaseModel(info)[0]?.fix ?? '', /checkpoint you generate with/);
});

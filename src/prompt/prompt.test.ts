import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { TackError } from '../core/index.js';
import {
  buildSampleInfotext,
  buildSamplePrompts,
  checkSamplePrompts,
  crc32,
  formatA1111Prompt,
  formatInfotext,
  formatSdScriptsPromptFile,
  parseA1111Prompt,
  parseComfyGraph,
  parseInfotext,
  parsePromptAttention,
  parseSdScriptsPromptFile,
  parseUiSampler,
  PONY_QUALITY_PREFIX,
  readGenerationSettings,
  readPngText,
  readPngTextChunks,
  writePngText,
} from './index.js';

const RECIPE_PROMPT =
  'score_9, score_8_up, score_7_up, score_6_up, score_5_up, score_4_up, BREAK, RAW, xanrms, mid-shot, portrait, cozy bedroom, wearing dress, photo, 8k, very sharp, very detailed, realistic, real, hyper realistic, detailed eyes, natural lighting, god rays, cinematic view, <lora:ana_armas_pony_realism_v1:.85>';

// An infotext as A1111 1.9 writes it, with ADetailer and LoRA hashes (values with commas quoted).
const A1111_INFOTEXT = [
  RECIPE_PROMPT,
  'Negative prompt: score_1, score_2, score_3, text, 3d, (drawn, furry, illustration, cartoon, anime, comic:1.5), cgi',
  'Steps: 30, Sampler: DPM++ 2S a, Schedule type: Karras, CFG scale: 6, Seed: 3281991511, Size: 768x1280, Model hash: 3c7b2a1f0e, Model: ponyRealism_v21, Clip skip: 2, ADetailer model: face_yolov8s.pt, ADetailer confidence: 0.3, ADetailer dilate erode: 4, ADetailer mask blur: 4, ADetailer denoising strength: 0.4, ADetailer inpaint only masked: True, ADetailer inpaint padding: 32, ADetailer prompt: "xanrms, detailed face, smile", ADetailer version: 24.5.1, Lora hashes: "ana_armas_pony_realism_v1: 9a8b7c6d5e4f", Version: v1.9.4',
].join('\n');

async function tinyPng(): Promise<Buffer> {
  return sharp({ create: { width: 8, height: 6, channels: 3, background: { r: 200, g: 40, b: 90 } } }).png().toBuffer();
}

test('attention weights follow the web UI: (x:1.5), (x) = 1.1, [x] = 1/1.1, nesting multiplies, escapes stay text', () => {
  const chunks = parsePromptAttention('a (b:1.5) (c) [d] ((e)) \\(f\\) (g');
  const weights = Object.fromEntries(chunks.flatMap((c) => (c.kind === 'text' ? [[c.text.trim(), c.weight]] : [])));
  assert.equal(weights.b, 1.5);
  assert.equal(weights.c, 1.1);
  assert.equal(weights.d, Number((1 / 1.1).toFixed(6)));
  assert.equal(weights.e, 1.21);
  // An unclosed "(" still weights what follows it, as in the web UI.
  assert.equal(weights.g, 1.1);
  assert.ok(chunks.some((c) => c.kind === 'text' && c.text.includes('(f)') && c.weight === 1));
});

test('the recipe prompt parses into tags, a BREAK and its LoRA at 0.85', () => {
  const parsed = parseA1111Prompt(RECIPE_PROMPT);
  assert.deepEqual(
    parsed.networks.map((n) => [n.type, n.name, n.weight]),
    [['lora', 'ana_armas_pony_realism_v1', 0.85]],
  );
  assert.equal(parsed.chunks.filter((c) => c.kind === 'break').length, 1);
  assert.equal(parsed.tags[0], 'score_9');
  assert.ok(parsed.tags.includes('xanrms'));
  assert.ok(!parsed.text.includes('<lora'));
});

test('formatting chunks and a LoRA gives a prompt that parses back to the same weights', () => {
  const text = formatA1111Prompt(
    [
      { kind: 'text', text: 'xanrms woman, ', weight: 1 },
      { kind: 'text', text: 'smiling', weight: 1.3 },
      { kind: 'break' },
      { kind: 'text', text: 'photo (film)', weight: 1 },
    ],
    [{ type: 'lora', name: 'my-lora-000004', weight: 0.85 }],
  );
  assert.equal(text, 'xanrms woman, (smiling:1.3) BREAK photo \\(film\\), <lora:my-lora-000004:0.85>');
  const back = parseA1111Prompt(text);
  assert.deepEqual(back.networks.map((n) => [n.name, n.weight]), [['my-lora-000004', 0.85]]);
  assert.ok(back.chunks.some((c) => c.kind === 'text' && c.text === 'smiling' && c.weight === 1.3));
  assert.ok(back.chunks.some((c) => c.kind === 'text' && c.text.includes('photo (film)') && c.weight === 1));
});

test('A1111 infotext: prompt, negative, sampler, CFG, seed, size, clip skip, LoRA hash and ADetailer fields', () => {
  const info = parseInfotext(A1111_INFOTEXT);
  assert.equal(info.prompt, RECIPE_PROMPT);
  assert.match(info.negativePrompt, /^score_1, score_2, score_3/);
  assert.equal(info.steps, 30);
  assert.equal(info.sampler, 'DPM++ 2S a');
  assert.equal(info.scheduleType, 'Karras');
  assert.equal(info.cfgScale, 6);
  assert.equal(info.seed, 3281991511);
  assert.equal(info.width, 768);
  assert.equal(info.height, 1280);
  assert.equal(info.clipSkip, 2);
  assert.equal(info.model, 'ponyRealism_v21');
  assert.deepEqual(info.loras.map((l) => [l.name, l.weight, l.hash]), [['ana_armas_pony_realism_v1', 0.85, '9a8b7c6d5e4f']]);
  assert.equal(info.adetailer?.model, 'face_yolov8s.pt');
  assert.equal(info.adetailer?.confidence, 0.3);
  assert.equal(info.adetailer?.inpaintOnlyMasked, true);
  assert.equal(info.adetailer?.prompt, 'xanrms, detailed face, smile');
  assert.equal(info.version, 'v1.9.4');
});

test('a prompt ending in "key: value" is not mistaken for settings (needs 3 pairs)', () => {
  const info = parseInfotext('portrait, style: noir\nNegative prompt: blurry');
  assert.equal(info.prompt, 'portrait, style: noir');
  assert.equal(info.negativePrompt, 'blurry');
  assert.deepEqual(info.params, {});
});

test('formatInfotext quotes values with commas or colons and parses back unchanged', () => {
  const text = formatInfotext({
    prompt: 'xanrms woman, portrait',
    negativePrompt: 'text, blurry',
    params: [
      ['Steps', 30],
      ['Sampler', 'DPM++ 2S a'],
      ['CFG scale', 6],
      ['Seed', 42],
      ['Size', '768x1280'],
      ['Lora hashes', 'my-lora: abc123'],
      ['ADetailer prompt', 'face, smile'],
      ['Skipped', undefined],
    ],
  });
  assert.match(text, /Lora hashes: "my-lora: abc123"/);
  assert.match(text, /ADetailer prompt: "face, smile"/);
  assert.doesNotMatch(text, /Skipped/);
  const back = parseInfotext(text);
  assert.equal(back.params['Lora hashes'], 'my-lora: abc123');
  assert.equal(back.params['ADetailer prompt'], 'face, smile');
  assert.equal(back.seed, 42);
  assert.equal(back.negativePrompt, 'text, blurry');
});

test('PNG text chunks: infotext written into a real PNG reads back, pixels and other chunks unchanged', async () => {
  const png = await tinyPng();
  const withText = writePngText(png, { parameters: A1111_INFOTEXT, Software: 'tack' });
  assert.equal(readPngText(withText).parameters, A1111_INFOTEXT);
  // libvips decodes it and sees the same pixels.
  const [a, b] = await Promise.all([sharp(png).raw().toBuffer(), sharp(withText).raw().toBuffer()]);
  assert.ok(a.equals(b));
  // Replacing a keyword keeps one chunk for it.
  const again = writePngText(withText, { parameters: 'new\nSteps: 1, Seed: 2, CFG scale: 3' });
  assert.equal(readPngTextChunks(again).filter((c) => c.keyword === 'parameters').length, 1);
  assert.equal(readPngText(again).Software, 'tack');
  assert.equal(parseInfotext(readPngText(again).parameters as string).seed, 2);
});

test('text that is not Latin-1 is stored as UTF-8 iTXt, with correct CRCs', () => {
  return tinyPng().then((png) => {
    const out = writePngText(png, { parameters: 'xanrms woman, 桜 under cherry blossoms\nSteps: 30, Seed: 7, CFG scale: 6' });
    const chunk = readPngTextChunks(out).find((c) => c.keyword === 'parameters');
    assert.equal(chunk?.type, 'iTXt');
    assert.match(chunk?.text ?? '', /桜/);
    // Every chunk's CRC matches zlib's CRC-32 over type + data.
    let pos = 8;
    while (pos < out.length) {
      const len = out.readUInt32BE(pos);
      const body = out.subarray(pos + 4, pos + 8 + len);
      assert.equal(out.readUInt32BE(pos + 8 + len), zlib.crc32(body) >>> 0);
      assert.equal((crc32(body) ^ 0xffffffff) >>> 0, zlib.crc32(body) >>> 0);
      pos += 12 + len;
    }
  });
});

test('a JPEG or a cut-off PNG gets a coded error naming the file', async () => {
  const jpeg = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } }).jpeg().toBuffer();
  assert.throws(() => readPngText(jpeg, 'photo.jpg'), (e: unknown) => e instanceof TackError && e.code === 'PROMPT_NOT_PNG' && e.message.includes('photo.jpg'));
  const png = await tinyPng();
  assert.throws(() => readPngText(png.subarray(0, png.length - 12), 'cut.png'), (e: unknown) => e instanceof TackError && e.code === 'PROMPT_PNG_TRUNCATED');
  assert.throws(() => readGenerationSettings(png, 'plain.png'), (e: unknown) => e instanceof TackError && e.code === 'PROMPT_NO_INFOTEXT');
});

test('ComfyUI and sd-scripts generation-script PNGs give their settings too', async () => {
  const graph = {
    '3': { class_type: 'KSampler', inputs: { seed: 99, steps: 28, cfg: 5.5, sampler_name: 'dpmpp_2s_ancestral', scheduler: 'karras', positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0], model: ['10', 0] } },
    '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'ponyRealism.safetensors' } },
    '5': { class_type: 'EmptyLatentImage', inputs: { width: 832, height: 1216, batch_size: 1 } },
    '6': { class_type: 'CLIPTextEncode', inputs: { text: 'xanrms woman, portrait', clip: ['10', 1] } },
    '7': { class_type: 'CLIPTextEncode', inputs: { text: 'blurry', clip: ['10', 1] } },
    '10': { class_type: 'LoraLoader', inputs: { lora_name: 'my-lora-000003.safetensors', strength_model: 0.8, strength_clip: 0.8 } },
  };
  const comfy = readGenerationSettings(writePngText(await tinyPng(), { prompt: JSON.stringify(graph), workflow: '{}' }));
  assert.equal(comfy.source, 'comfyui');
  assert.equal(comfy.settings.prompt, 'xanrms woman, portrait');
  assert.equal(comfy.settings.negativePrompt, 'blurry');
  assert.deepEqual([comfy.settings.seed, comfy.settings.steps, comfy.settings.cfgScale, comfy.settings.width, comfy.settings.height], [99, 28, 5.5, 832, 1216]);
  assert.deepEqual(comfy.settings.loras.map((l) => [l.name, l.weight]), [['my-lora-000003', 0.8]]);
  assert.deepEqual(parseComfyGraph(graph).model, 'ponyRealism.safetensors');

  const gen = readGenerationSettings(writePngText(await tinyPng(), { prompt: 'xanrms woman', 'negative-prompt': 'lowres', seed: '42', sampler: 'k_dpm_2_a', steps: '30', scale: '6.0' }));
  assert.equal(gen.source, 'sd-scripts');
  assert.deepEqual([gen.settings.prompt, gen.settings.negativePrompt, gen.settings.seed, gen.settings.steps, gen.settings.cfgScale], ['xanrms woman', 'lowres', 42, 30, 6]);
});

test('Pony projects get the full score_9 ... score_4_up prefix (P20), others none; seeds are fixed', () => {
  const pony = buildSamplePrompts({ token: 'xanrms', class: 'woman', preset: 'pony-realism' });
  assert.ok(pony.length >= 6);
  for (const p of pony) {
    assert.ok(p.prompt.startsWith(`${PONY_QUALITY_PREFIX}, xanrms woman, `), p.prompt);
    assert.match(p.uiPrompt ?? '', /score_4_up, BREAK, xanrms/);
    assert.match(p.negative ?? '', /^score_1, score_2, score_3/);
    assert.equal(p.seed, 3281991511);
    assert.equal(p.sampler, 'k_dpm_2_a');
    assert.deepEqual([p.width, p.height, p.steps, p.cfg], [768, 1280, 30, 6]);
  }
  assert.deepEqual(new Set(pony.map((p) => p.framing)), new Set(['portrait', 'mid-shot', 'full-body']));
  const sdxl = buildSamplePrompts({ token: 'xanrms', class: 'man', preset: 'sdxl-realism', captioner: 'wd14', base_model: 'juggernautXL.safetensors' });
  assert.ok(sdxl.every((p) => !p.prompt.includes('score_') && p.prompt.startsWith('xanrms, 1boy, ')));
  // A Pony checkpoint under another preset still gets the prefix.
  assert.ok(buildSamplePrompts({ token: 't', class: 'woman', preset: 'custom', base_model: 'models/ponyDiffusionV6XL.safetensors' })[0]?.prompt.startsWith('score_9'));
});

test('[samples] settings replace prompts (with {trigger}/{class}), seeds and size; missing trigger is warned', () => {
  const config = {
    token: 'xanrms',
    class: 'woman',
    preset: 'pony-realism',
    samples: { prompts: ['{trigger} {class} reading a book', 'a cat on a sofa'], seeds: [1, 2], width: 832, height: 1216, quality_prefix: 'none' as const },
  };
  const prompts = buildSamplePrompts(config);
  assert.equal(prompts.length, 4);
  assert.equal(prompts[0]?.prompt, 'xanrms woman reading a book');
  assert.deepEqual(prompts.map((p) => p.seed), [1, 1, 2, 2]);
  assert.ok(prompts.every((p) => p.width === 832 && p.height === 1216));
  const findings = checkSamplePrompts(config, prompts);
  assert.ok(findings.some((f) => f.code === 'PROMPT_NO_TRIGGER' && f.message.includes('prompt 2')));
});

test('the engine prompt file round-trips and never lets a prompt break the " --" option syntax', () => {
  const prompts = buildSamplePrompts({ token: 'xanrms', class: 'woman', preset: 'pony-realism', samples: { prompts: ['{trigger} --w 64 tricky'] } });
  const file = formatSdScriptsPromptFile(prompts);
  assert.match(file, /^# /);
  const lines = parseSdScriptsPromptFile(file);
  assert.equal(lines.length, prompts.length);
  assert.equal(lines[0]?.width, 768);
  assert.equal(lines[0]?.height, 1280);
  assert.equal(lines[0]?.seed, 3281991511);
  assert.equal(lines[0]?.cfg, 6);
  assert.equal(lines[0]?.steps, 30);
  assert.equal(lines[0]?.sampler, 'k_dpm_2_a');
  assert.match(lines[0]?.negative ?? '', /^score_1/);
  assert.match(lines[0]?.prompt ?? '', /xanrms -w 64 tricky/);
  // The engine's own fixture file parses the way the engine read it (MANIFEST.md: 128x192, seed 7, CFG 5.5).
  const fixture = parseSdScriptsPromptFile('xanrms woman standing on a beach --n bad anatomy --w 128 --h 192 --d 7 --l 5.5 --s 2 --ss euler_a');
  assert.deepEqual(fixture[0], { prompt: 'xanrms woman standing on a beach', negative: 'bad anatomy', width: 128, height: 192, seed: 7, cfg: 5.5, steps: 2, sampler: 'euler_a' });
});

test('web UI sampler names split into A1111 schedule and ComfyUI names', () => {
  assert.deepEqual(parseUiSampler('DPM++ 2S a Karras'), { a1111: 'DPM++ 2S a', schedule: 'Karras', comfySampler: 'dpmpp_2s_ancestral', comfyScheduler: 'karras' });
  assert.deepEqual(parseUiSampler('Euler a'), { a1111: 'Euler a', schedule: 'Automatic', comfySampler: 'euler_ancestral', comfyScheduler: 'normal' });
});

test('infotext for tack samples names the LoRA at its strength so A1111 reproduces it', () => {
  const text = buildSampleInfotext({ prompt: 'xanrms woman, portrait', negative: 'blurry', steps: 30, sampler: 'k_dpm_2_a', cfg: 6, seed: 5, width: 768, height: 1280, lora: { name: 'my-lora-000003', strength: 1 }, source: 'sd-scripts sample, epoch 3' });
  const info = parseInfotext(text);
  assert.deepEqual(info.loras.map((l) => [l.name, l.weight]), [['my-lora-000003', 1]]);
  assert.equal(info.sampler, 'DPM2 a');
  assert.equal(info.width, 768);
  assert.equal(info.params['Tack source'], 'sd-scripts sample, epoch 3');
});

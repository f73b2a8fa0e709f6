/**
 * tack sweep against local servers that speak the A1111/Forge and ComfyUI HTTP APIs and a fake
 * sdxl_gen_img.py: each renders a face chosen by the LoRA and strength it is asked for (epoch 2
 * at strength 0.85 or more shows the subject; epoch 1 and strength 0.6 show another person), so
 * the sweep's scoring must pick epoch 2 at 0.85.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { writePngText } from '../src/prompt/index.js';
import { REPO_ROOT, runTack, tempDir } from './helpers/cli.js';
import { makeEvalProject, RUN_ID, sampleImage } from './helpers/eval-project.js';

let root: string;
let cleanup: () => Promise<void>;
let loraDir: string;
let subject: Buffer;
let other: Buffer;
const FAKE_GEN = path.join(REPO_ROOT, 'test', 'fixtures', 'fake-gen-img');
const UI_NAME = (epoch: number) => `tack-my-lora-${RUN_ID}-e00000${epoch}`;

/** The picture a generator returns for a LoRA name and strength. */
function pick(loraName: string, strength: number): Buffer {
  return loraName.includes('e000002') || loraName.includes('my-lora.safetensors') ? (strength >= 0.85 ? subject : other) : other;
}

async function body(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text ? JSON.parse(text) : {};
}

function send(res: ServerResponse, status: number, value: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type });
  res.end(type === 'application/json' ? JSON.stringify(value) : (value as Buffer));
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => send(res, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

before(async () => {
  ({ dir: root, cleanup } = await tempDir('tack-sweep-'));
  await makeEvalProject(path.join(root, 'p'), {
    epochs: [
      [
        { photo: 'person-b-2', edit: 'original' },
        { photo: 'person-b-1', edit: 'crop' },
      ],
      [
        { photo: 'person-a-2', edit: 'original' },
        { photo: 'person-a-2', edit: 'mirror' },
      ],
    ],
  });
  await mkdir(path.join(root, 'p', 'models'), { recursive: true });
  await writeFile(path.join(root, 'p', 'models', 'ponyRealism.safetensors'), 'base model');
  loraDir = path.join(root, 'webui-loras');
  await mkdir(loraDir);
  subject = await sampleImage({ photo: 'person-a-2', edit: 'original' });
  other = await sampleImage({ photo: 'person-b-2', edit: 'colour' });
});

after(async () => {
  await cleanup?.();
});

test('A1111/Forge: LoRAs copied and listed, txt2img with the recipe sampler and clip skip, epoch and strength picked', async () => {
  const requests: Array<Record<string, unknown>> = [];
  let refreshed = false;
  const { server, url } = await listen(async (req, res) => {
    const route = req.url ?? '';
    if (req.method === 'GET' && route === '/sdapi/v1/options') return send(res, 200, { sd_model_checkpoint: 'ponyRealism' });
    if (req.method === 'POST' && route === '/sdapi/v1/refresh-loras') {
      refreshed = true;
      return send(res, 200, null);
    }
    if (req.method === 'GET' && route === '/sdapi/v1/loras') {
      // Like the web UI: only what was in the folder at the last rescan.
      const files = refreshed ? (await readdir(loraDir)).filter((f) => f.endsWith('.safetensors')) : [];
      return send(res, 200, files.map((f) => ({ name: f.replace(/\.safetensors$/, ''), alias: f.replace(/\.safetensors$/, ''), path: path.join(loraDir, f), metadata: {} })));
    }
    if (req.method === 'POST' && route === '/sdapi/v1/txt2img') {
      const r = (await body(req)) as Record<string, unknown>;
      requests.push(r);
      const m = /<lora:([^:>]+):([\d.]+)>/.exec(String(r.prompt));
      if (!m) return send(res, 422, { detail: 'no lora in prompt' });
      const listed = (await readdir(loraDir)).map((f) => f.replace(/\.safetensors$/, ''));
      if (!listed.includes(m[1] as string)) return send(res, 422, { detail: `unknown lora ${m[1]}` });
      const infotext = `${String(r.prompt)}\nNegative prompt: ${String(r.negative_prompt)}\nSteps: ${String(r.steps)}, Sampler: ${String(r.sampler_name)}, Schedule type: ${String(r.scheduler)}, CFG scale: ${String(r.cfg_scale)}, Seed: ${String(r.seed)}, Size: ${String(r.width)}x${String(r.height)}, Clip skip: 2, Version: v1.10.1`;
      const png = writePngText(pick(m[1] as string, Number(m[2])), { parameters: infotext });
      return send(res, 200, { images: [png.toString('base64')], parameters: r, info: JSON.stringify({ infotexts: [infotext] }) });
    }
    send(res, 404, { detail: 'Not Found' });
  });
  try {
    const run = await runTack(['sweep', path.join(root, 'p'), '--backend', 'a1111', '--url', url, '--lora-dir', loraDir, '--strengths', '0.6,0.85,1', '--json'], { timeoutMs: 300_000 });
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout) as { rendered: number; total: number; recommendation: { epoch: number; strength: number; strengthMeasured: boolean; reasons: string[] } };
    assert.deepEqual([doc.rendered, doc.total], [12, 12]);
    assert.deepEqual((await readdir(loraDir)).sort(), [`${UI_NAME(1)}.safetensors`, `${UI_NAME(2)}.safetensors`]);
    const first = requests[0] as Record<string, unknown>;
    assert.equal(first.sampler_name, 'DPM++ 2S a');
    assert.equal(first.scheduler, 'Karras');
    assert.equal((first.override_settings as Record<string, unknown>).CLIP_stop_at_last_layers, 2);
    assert.deepEqual([first.width, first.height, first.steps, first.cfg_scale], [512, 768, 30, 6]);
    assert.ok(requests.some((r) => String(r.prompt).endsWith(`<lora:${UI_NAME(2)}:0.85>`)));
    assert.equal(doc.recommendation.epoch, 2);
    assert.equal(doc.recommendation.strength, 0.85);
    assert.equal(doc.recommendation.strengthMeasured, true);
    assert.ok(doc.recommendation.reasons.some((r) => /Lower strengths lose likeness: 0\.6 ->/.test(r)), doc.recommendation.reasons.join('\n'));
    // The sweep's images keep the web UI's own infotext.
    const image = path.join(root, 'p', 'runs', RUN_ID, 'evaluation', 'sweep', 'a1111', 'e000002_s0.85_p00_3281991511.png');
    const info = await runTack(['infotext', image, '--json']);
    assert.equal(info.code, 0, info.stderr);
    assert.equal((JSON.parse(info.stdout) as { settings: { version: string } }).settings.version, 'v1.10.1');
    // A rerun finds everything rendered and sends nothing.
    const before = requests.length;
    const again = await runTack(['sweep', path.join(root, 'p'), '--backend', 'a1111', '--url', url, '--lora-dir', loraDir, '--strengths', '0.6,0.85,1', '--no-evaluate', '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual([(JSON.parse(again.stdout) as { rendered: number; skipped: number }).rendered, (JSON.parse(again.stdout) as { skipped: number }).skipped], [0, 12]);
    assert.equal(requests.length, before);
  } finally {
    server.close();
  }
});

test('A1111/Forge not running: a clear error naming the address', async () => {
  const run = await runTack(['sweep', path.join(root, 'p'), '--backend', 'a1111', '--url', 'http://127.0.0.1:9', '--lora-dir', loraDir, '--strengths', '0.5', '--no-evaluate']);
  assert.equal(run.code, 4);
  assert.match(run.stderr, /EVAL_BACKEND_UNREACHABLE.*http:\/\/127\.0\.0\.1:9/);
  assert.match(run.stderr, /--api/);
});

test('ComfyUI: an API workflow with LoraLoader and CLIPSetLastLayer, polled through /history, image from /view', async () => {
  const queued = new Map<string, { graph: Record<string, { class_type: string; inputs: Record<string, unknown> }>; polls: number }>();
  const { server, url } = await listen(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/system_stats') return send(res, 200, { system: { os: 'posix' }, devices: [] });
    if (u.pathname === '/object_info/LoraLoader') return send(res, 200, { LoraLoader: { input: { required: { lora_name: [(await readdir(loraDir)).filter((f) => f.endsWith('.safetensors'))], strength_model: ['FLOAT', {}] } } } });
    if (u.pathname === '/object_info/CheckpointLoaderSimple') return send(res, 200, { CheckpointLoaderSimple: { input: { required: { ckpt_name: [['ponyRealism.safetensors', 'sdxl_base.safetensors']] } } } });
    if (req.method === 'POST' && u.pathname === '/prompt') {
      const { prompt } = (await body(req)) as { prompt: Record<string, { class_type: string; inputs: Record<string, unknown> }> };
      const types = Object.values(prompt).map((n) => n.class_type);
      for (const t of ['CheckpointLoaderSimple', 'LoraLoader', 'CLIPSetLastLayer', 'CLIPTextEncode', 'EmptyLatentImage', 'KSampler', 'VAEDecode', 'SaveImage']) {
        if (!types.includes(t)) return send(res, 400, { error: { message: `missing ${t}` }, node_errors: {} });
      }
      const id = `p${queued.size + 1}`;
      queued.set(id, { graph: prompt, polls: 0 });
      return send(res, 200, { prompt_id: id, number: queued.size, node_errors: {} });
    }
    if (u.pathname.startsWith('/history/')) {
      const id = u.pathname.slice('/history/'.length);
      const job = queued.get(id);
      if (!job) return send(res, 200, {});
      job.polls++;
      // Still running on the first poll, as a real queue is.
      if (job.polls < 2) return send(res, 200, {});
      return send(res, 200, { [id]: { status: { status_str: 'success', completed: true }, outputs: { '9': { images: [{ filename: `${id}.png`, subfolder: 'tack', type: 'output' }] } } } });
    }
    if (u.pathname === '/view') {
      const id = (u.searchParams.get('filename') ?? '').replace(/\.png$/, '');
      const job = queued.get(id);
      if (!job || u.searchParams.get('type') !== 'output') return send(res, 404, { error: 'no such image' });
      const lora = Object.values(job.graph).find((n) => n.class_type === 'LoraLoader')?.inputs;
      return send(res, 200, writePngText(pick(String(lora?.lora_name), Number(lora?.strength_model)), { prompt: JSON.stringify(job.graph) }), 'image/png');
    }
    send(res, 404, { error: 'not found' });
  });
  try {
    const run = await runTack(['sweep', path.join(root, 'p'), '--backend', 'comfyui', '--url', url, '--lora-dir', loraDir, '--epochs', '2', '--strengths', '0.6,1', '--no-evaluate', '--json'], { timeoutMs: 120_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { rendered: number }).rendered, 4);
    const graph = queued.get('p1')?.graph ?? {};
    const node = (t: string) => Object.values(graph).find((n) => n.class_type === t)?.inputs ?? {};
    assert.equal(node('CheckpointLoaderSimple').ckpt_name, 'ponyRealism.safetensors');
    assert.equal(node('LoraLoader').lora_name, `${UI_NAME(2)}.safetensors`);
    assert.equal(node('CLIPSetLastLayer').stop_at_clip_layer, -2);
    assert.deepEqual([node('KSampler').sampler_name, node('KSampler').scheduler, node('KSampler').seed, node('KSampler').steps, node('KSampler').cfg], ['dpmpp_2s_ancestral', 'karras', 3281991511, 30, 6]);
    assert.doesNotMatch(String(node('CLIPTextEncode').text), /BREAK/);
    // tack adds A1111 infotext next to ComfyUI's own workflow chunk.
    const image = await readFile(path.join(root, 'p', 'runs', RUN_ID, 'evaluation', 'sweep', 'comfyui', 'e000002_s1.00_p01_3281991512.png'));
    const { readPngText } = await import('../src/prompt/index.js');
    const chunks = readPngText(image);
    assert.ok(chunks.prompt && chunks.parameters);
    assert.match(chunks.parameters as string, new RegExp(`<lora:${UI_NAME(2)}:1>`));
  } finally {
    server.close();
  }
});

test('sd-scripts: one sdxl_gen_img.py call with every epoch as a network switched by --am; a crash keeps what finished and a rerun continues', async () => {
  const map = {
    [`my-lora-000001.safetensors@1`]: path.join(root, 'other.png'),
    [`my-lora.safetensors@1`]: path.join(root, 'subject.png'),
  };
  await writeFile(path.join(root, 'other.png'), other);
  await writeFile(path.join(root, 'subject.png'), subject);
  const log = path.join(root, 'gen-argv.jsonl');
  const env = { TACK_PYTHON: 'python3', TACK_SD_SCRIPTS: FAKE_GEN, FAKE_GEN_MAP: JSON.stringify(map), FAKE_GEN_LOG: log };
  const crash = await runTack(['sweep', path.join(root, 'p'), '--backend', 'sd-scripts', '--strengths', '1', '--no-evaluate'], { env: { ...env, FAKE_GEN_FAIL_AFTER: '1' } });
  assert.equal(crash.code, 4, crash.stdout + crash.stderr);
  assert.match(crash.stderr, /EVAL_BACKEND_FAILED.*exited with code 1 after 1 of 4 images[\s\S]*CUDA out of memory/);
  const argv = JSON.parse((await readFile(log, 'utf8')).split('\n')[0] as string) as string[];
  const at = (flag: string) => argv.indexOf(flag);
  assert.deepEqual(argv.slice(at('--network_weights') + 1, at('--network_weights') + 3).map((f) => path.basename(f)), ['my-lora-000001.safetensors', 'my-lora.safetensors']);
  assert.deepEqual(argv.slice(at('--network_module') + 1, at('--network_module') + 3), ['networks.lora', 'networks.lora']);
  assert.equal(argv[at('--sampler') + 1], 'k_dpm_2_a');
  assert.ok(argv.includes('--sequential_file_name'));

  const resumed = await runTack(['sweep', path.join(root, 'p'), '--backend', 'sd-scripts', '--strengths', '1', '--no-evaluate', '--json'], { env });
  assert.equal(resumed.code, 0, resumed.stderr);
  const doc = JSON.parse(resumed.stdout) as { rendered: number; skipped: number; total: number };
  assert.deepEqual([doc.rendered, doc.skipped, doc.total], [3, 1, 4]);
  const dir = path.join(root, 'p', 'runs', RUN_ID, 'evaluation', 'sweep', 'sd-scripts');
  assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.png')).sort(), ['e000001_s1.00_p00_3281991511.png', 'e000001_s1.00_p01_3281991512.png', 'e000002_s1.00_p00_3281991511.png', 'e000002_s1.00_p01_3281991512.png']);
  const info = await runTack(['infotext', path.join(dir, 'e000002_s1.00_p01_3281991512.png'), '--json']);
  assert.equal(info.code, 0, info.stderr);
  const settings = (JSON.parse(info.stdout) as { settings: { loras: Array<{ name: string; weight: number }>; seed: number } }).settings;
  assert.deepEqual(settings.loras.map((l) => [l.name, l.weight]), [['my-lora', 1]]);
  assert.equal(settings.seed, 3281991512);
});

test('sd-scripts without TACK_SD_SCRIPTS: says what to set', async () => {
  const run = await runTack(['sweep', path.join(root, 'p'), '--backend', 'sd-scripts', '--strengths', '0.7', '--no-evaluate'], { env: { TACK_SD_SCRIPTS: '' } });
  assert.equal(run.code, 3);
  assert.match(run.stderr, /EVAL_BACKEND_SETUP[\s\S]*TACK_SD_SCRIPTS/);
  const bad = await runTack(['sweep', path.join(root, 'p'), '--strengths', 'a,b']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /EVAL_BAD_STRENGTHS.*"a,b"/);
  const epochs = await runTack(['sweep', path.join(root, 'p'), '--epochs', '7', '--no-evaluate'], { env: { TACK_SD_SCRIPTS: FAKE_GEN } });
  assert.equal(epochs.code, 2);
  assert.match(epochs.stderr, /EVAL_BAD_EPOCHS.*epoch 7[\s\S]*Epochs with a LoRA file: 1, 2/);
});

/**
 * Every route of the studio's API against a real `tack studio` (built CLI, job workers, the fake
 * trainer), and the promise behind it: a document from the studio is the CLI's own --json
 * document for the same question.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runTack, tempDir } from './helpers/cli.js';
import { writeFaceSamples, writeSubjectPhotos } from './helpers/face-training.js';
import { editConfig, fakeEngineEnv, makeTrainingProject, waitFor } from './helpers/fake-engine.js';
import { writeJpeg } from './helpers/images.js';
import { spawnStudio, studioClient, type LiveStudio, type StudioClient } from './helpers/studio.js';

let root: { dir: string; cleanup: () => Promise<void> };
let env: NodeJS.ProcessEnv;
let studio: LiveStudio;
let api: StudioClient;
let project: string;
let pid: string;

interface JobDoc {
  id: number;
  kind: string;
  status: string;
  runId: string | null;
  error: { code: string; message: string } | null;
  result?: Record<string, unknown>;
}

async function job(id: number): Promise<JobDoc> {
  return (await api.get<{ job: JobDoc }>(`/api/jobs/${id}`)).body.job;
}

async function untilEnded(id: number, timeoutMs = 120_000): Promise<JobDoc> {
  await waitFor(async () => !['queued', 'running'].includes((await job(id)).status), timeoutMs, `job ${id} to end`);
  return job(id);
}

async function cli(args: string[]): Promise<Record<string, unknown>> {
  const out = await runTack([...args, '--json'], { env });
  return JSON.parse(out.stdout) as Record<string, unknown>;
}

before(async () => {
  root = await tempDir('tack-studio-api-');
  const samples = path.join(root.dir, 'samples');
  await writeFaceSamples(samples, ['person-b-1', 'person-a-2', 'person-a-2'], 2);
  env = fakeEngineEnv(root.dir, { FAKE_SD_SCRIPTS_SAMPLES_FROM: samples, FAKE_SD_SCRIPTS_STEP_SECONDS: '0.3' });
  project = await makeTrainingProject(path.join(root.dir, 'loras'), 'ana', { env, photoFiles: await writeSubjectPhotos(path.join(root.dir, 'subject')), train: { save_state: true } });
  await editConfig(project, (c) => {
    c.samples = { ...(c.samples as object), prompts: ['{trigger} {class}, portrait', '{trigger} {class}, close-up'] };
  });
  studio = await spawnStudio([path.join(root.dir, 'loras')], env);
  api = studioClient(studio);
  const list = await api.get<{ projects: Array<{ id: string; dir: string }> }>('/api/projects');
  pid = list.body.projects.find((p) => p.dir === project)?.id as string;
});

after(async () => {
  await studio?.stop();
  await root.cleanup();
});

test('session and projects: list, create (tack init), open a folder, one project, forget', async () => {
  const session = await api.get('/api/session');
  assert.equal(session.body.kind, 'session');
  const list = await api.get<{ kind: string; projects: Array<{ id: string; name: string; token: string; photos: number }> }>('/api/projects');
  assert.equal(list.body.kind, 'projects');
  assert.deepEqual(list.body.projects.map((p) => [p.name, p.token, p.photos]), [['ana', 'xanrms', 4]]);

  const created = await api.post<{ kind: string; init: { kind: string; config: { token: string } }; project: { id: string; dir: string } }>('/api/projects', { folder: 'ben', token: 'benxq', class: 'man' });
  assert.equal(created.status, 201);
  assert.equal(created.body.init.kind, 'init', 'the init document is tack init --json');
  assert.equal(created.body.init.config.token, 'benxq');
  assert.equal(created.body.project.dir, path.join(root.dir, 'loras', 'ben'));
  const refused = await api.post<{ error: { code: string; message: string } }>('/api/projects', { folder: 'bad', token: 'a b', class: 'man' });
  assert.equal(refused.status, 422);
  assert.match(refused.body.error.code, /^PROJECT_BAD_TOKEN$/);

  const elsewhere = path.join(root.dir, 'elsewhere');
  assert.equal((await runTack(['init', elsewhere, '--token', 'elsx', '--class', 'woman'])).code, 0);
  const opened = await api.post<{ project: { id: string; name: string } }>('/api/projects/open', { folder: elsewhere });
  assert.equal(opened.status, 200);
  const one = await api.get<{ project: { name: string } }>(`/api/projects/${opened.body.project.id}`);
  assert.equal(one.body.project.name, 'elsewhere');
  const notProject = await api.post<{ error: { code: string } }>('/api/projects/open', { folder: root.dir });
  assert.equal(notProject.body.error.code, 'STUDIO_NOT_A_PROJECT');
  assert.equal((await api.delete(`/api/projects/${opened.body.project.id}`)).status, 200);
  const after = await api.get<{ projects: Array<{ name: string }> }>('/api/projects');
  assert.ok(!after.body.projects.some((p) => p.name === 'elsewhere'), 'a forgotten folder outside the roots leaves the list');
  assert.equal((await api.get(`/api/projects/000000000000`)).status, 404);
});

test('photos: the grid with the doctor report (checked by a job on its own), thumbnails and images', async () => {
  await waitFor(async () => (await api.get<{ doctorFresh: boolean }>(`/api/projects/${pid}/photos`)).body.doctorFresh, 60_000, 'the doctor job');
  const doc = (await api.get<{ kind: string; photos: Array<{ file: string; sha256: string }>; doctor: Record<string, unknown> }>(`/api/projects/${pid}/photos`)).body;
  assert.equal(doc.kind, 'photos');
  assert.equal(doc.photos.length, 4);
  const { durationMs: _a, ...fromStudio } = doc.doctor;
  const { durationMs: _b, ...fromCli } = await cli(['doctor', project]);
  assert.deepEqual(fromStudio, fromCli, 'the grid\'s report is tack doctor --json');
  const first = doc.photos[0] as { file: string; sha256: string };
  const thumb = await api.get(`/api/projects/${pid}/photos/${encodeURIComponent(first.file)}/thumb?v=${first.sha256}`);
  assert.equal(thumb.status, 200);
  assert.equal(thumb.headers.get('content-type'), 'image/jpeg');
  assert.match(thumb.headers.get('cache-control') ?? '', /immutable/);
  const image = await api.get(`/api/projects/${pid}/photos/${encodeURIComponent(first.file)}/image`);
  assert.equal(image.headers.get('content-type'), 'image/jpeg');
  assert.equal((await api.get(`/api/projects/${pid}/photos/nope.jpg/thumb`)).status, 404);
});

test('drops: files streamed into a batch, refused by content, imported by a job like tack add; remove and undo', async () => {
  const batch = (await api.post<{ batch: string }>(`/api/projects/${pid}/uploads`)).body.batch;
  const jpeg = path.join(root.dir, 'extra.jpg');
  await writeJpeg(jpeg, 800, 600, { seed: 77 });
  const up = await api.post<{ kind: string; path: string }>(`/api/projects/${pid}/uploads/${batch}?path=${encodeURIComponent('trip/extra one.jpg')}`, new Uint8Array(await readFile(jpeg)));
  assert.equal(up.status, 201);
  assert.equal(up.body.path, 'trip/extra one.jpg');
  const caption = await api.post(`/api/projects/${pid}/uploads/${batch}?path=${encodeURIComponent('trip/extra one.txt')}`, 'xanrms, 1girl, beach');
  assert.equal(caption.status, 201);
  const fake = await api.post<{ error: { code: string; message: string } }>(`/api/projects/${pid}/uploads/${batch}?path=notes.jpg`, 'this is not a photo, whatever its name says');
  assert.equal(fake.status, 422);
  assert.equal(fake.body.error.code, 'STUDIO_BAD_UPLOAD');
  const imported = await api.post<{ job: JobDoc }>(`/api/projects/${pid}/uploads/${batch}/import`);
  assert.equal(imported.status, 202);
  const done = await untilEnded(imported.body.job.id);
  assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
  assert.equal((done.result as { kind: string }).kind, 'add', 'the job\'s result is tack add --json');
  const photos = (await api.get<{ photos: Array<{ file: string }> }>(`/api/projects/${pid}/photos`)).body.photos.map((p) => p.file);
  assert.ok(photos.includes('extra one.jpg'));
  assert.equal(await readFile(path.join(project, 'captions', 'extra one.txt'), 'utf8'), 'xanrms, 1girl, beach', 'the caption next to the photo came along unchanged');

  const removed = await api.post<{ kind: string; removed: unknown[] }>(`/api/projects/${pid}/photos/remove`, { files: ['extra one.jpg'] });
  assert.equal(removed.body.kind, 'remove');
  assert.equal(removed.body.removed.length, 1);
  const restored = await api.post<{ kind: string; restored: Array<{ file: string }> }>(`/api/projects/${pid}/photos/restore`);
  assert.deepEqual(restored.body.restored.map((r) => r.file), ['extra one.jpg']);
  await api.post(`/api/projects/${pid}/photos/remove`, { files: ['extra one.jpg'] });
});

test('captions and tags: the training copy, one caption set by hand, the tag table and bulk edits with undo, autocompletion', async () => {
  const photo = 'person-a-1-crop.jpg';
  const set = await api.put<{ kind: string; after: string }>(`/api/projects/${pid}/captions/${photo}`, { text: 'xanrms, 1girl, red scarf, smiling' });
  assert.equal(set.body.kind, 'tags-set');
  const captions = (await api.get<{ kind: string; captions: Array<{ photo: string; text: string | null; training: { text: string; changes: string[] } }> }>(`/api/projects/${pid}/captions`)).body;
  assert.equal(captions.kind, 'captions');
  const row = captions.captions.find((c) => c.photo === photo);
  assert.equal(row?.text, 'xanrms, 1girl, red scarf, smiling');
  const bare = captions.captions.find((c) => c.text === null);
  assert.ok(bare?.training.changes.length, 'a photo without a caption says what the training copy gets');

  const tags = await api.get(`/api/projects/${pid}/tags`);
  assert.deepEqual(tags.body, await cli(['tags', project]), 'the tag table is tack tags --json');
  const edit = await api.post<{ kind: string; changed: unknown[] }>(`/api/projects/${pid}/tags`, { op: 'remove', tags: 'smiling' });
  assert.equal(edit.body.kind, 'tags-edit');
  assert.equal(edit.body.changed.length, 1);
  const undo = await api.post<{ kind: string }>(`/api/projects/${pid}/tags/undo`);
  assert.equal(undo.body.kind, 'tags-undo');
  assert.match(await readFile(path.join(project, 'captions', 'person-a-1-crop.txt'), 'utf8'), /smiling/);
  assert.equal((await api.get(`/api/projects/${pid}/tags/suggest`)).body.kind, 'tags-suggest');
  assert.equal((await api.get(`/api/projects/${pid}/tags/history`)).body.kind, 'tags-history');
  const complete = await api.get<{ matches: Array<{ tag: string; source: string }> }>(`/api/projects/${pid}/tag-labels?q=red`);
  assert.deepEqual(complete.body.matches[0], { tag: 'red scarf', source: 'project', count: 1 });
  const badOp = await api.post<{ error: { code: string } }>(`/api/projects/${pid}/tags`, { op: 'explode', tags: 'x' });
  assert.equal(badOp.status, 400);
});

test('plan and settings: the plan is tack plan --json; values are checked with the CLI\'s messages and saved only when valid', async () => {
  assert.deepEqual((await api.get(`/api/projects/${pid}/plan`)).body, await cli(['plan', project]));
  const whatIf = await api.get<{ recipe: { batchSize: number } }>(`/api/projects/${pid}/plan?batchSize=1`);
  assert.equal(whatIf.body.recipe.batchSize, 1);

  const settings = await api.get<{ kind: string; schema: { properties: { train: { properties: { network_dim: { description: string } } } } }; values: { train: { network_dim: number } } }>(`/api/projects/${pid}/settings`);
  assert.equal(settings.body.kind, 'settings');
  assert.match(settings.body.schema.properties.train.properties.network_dim.description, /LoRA rank/);
  assert.equal(settings.body.values.train.network_dim, 1);

  const check = await api.post<{ ok: boolean; findings: Array<{ subject: string; message: string }> }>(`/api/projects/${pid}/settings/check`, { patch: { 'train.network_dim': 0 } });
  assert.equal(check.body.ok, false);
  const message = check.body.findings.find((f) => f.subject === 'train.network_dim')?.message ?? '';
  assert.equal(message, 'train.network_dim must be at least 1; got 0 (a number).');
  // The same value typed into tack.toml is refused by the CLI with the same words.
  const copy = path.join(root.dir, 'copy-of-config');
  await runTack(['init', copy, '--token', 'xanrms', '--class', 'woman']);
  await editConfig(copy, (c) => {
    c.train = { network_dim: 0 };
  });
  assert.match((await runTack(['plan', copy])).stderr, new RegExp(message.replace(/[.()]/g, '\\$&')));

  const refused = await api.put<{ ok: boolean }>(`/api/projects/${pid}/settings`, { patch: { 'train.network_dim': 0 } });
  assert.equal(refused.status, 422);
  assert.doesNotMatch(await readFile(path.join(project, 'tack.toml'), 'utf8'), /network_dim = 0/);
  const saved = await api.put<{ values: { plan: { batch_size: number } } }>(`/api/projects/${pid}/settings`, { patch: { 'plan.batch_size': 2, 'train.seed': 42 } });
  assert.equal(saved.status, 200);
  assert.match(await readFile(path.join(project, 'tack.toml'), 'utf8'), /seed = 42/);
  const unset = await api.put(`/api/projects/${pid}/settings`, { patch: { 'train.seed': null } });
  assert.equal(unset.status, 200);
  assert.doesNotMatch(await readFile(path.join(project, 'tack.toml'), 'utf8'), /^seed = 42/m);
});

test('presets, a kohya_ss preset imported with its pitfall report, and the engine doctor', async () => {
  const list = await api.get<{ kind: string; presets: Array<{ name: string }> }>('/api/presets');
  assert.equal(list.body.kind, 'preset-list');
  const gui = { LoRA_type: 'Standard', sdxl: true, network_dim: 16, network_alpha: 0, clip_skip: 2, seed: 0, max_train_steps: 1600, epoch: 6, text_encoder_lr: 0, unet_lr: 0.0002, optimizer: 'AdamW' };
  const imported = await api.post<{ kind: string; name: string; findings: Array<{ message: string }> }>('/api/presets/import?name=from-gui&file=gui.json', gui);
  assert.equal(imported.body.kind, 'preset-import');
  assert.equal(imported.body.name, 'from-gui');
  assert.ok(imported.body.findings.some((f) => /alpha 1, a scale of 1\/16/.test(f.message)), 'the pitfall report names network_alpha 0 (P6)');
  const notJson = await api.post<{ error: { code: string } }>('/api/presets/import?name=x', 'not json');
  assert.equal(notJson.body.error.code, 'STUDIO_BAD_UPLOAD');
  const engine = await api.get<{ kind: string; gpus: Array<{ name: string }> }>(`/api/projects/${pid}/engine`);
  assert.equal(engine.body.kind, 'engine-doctor');
  assert.equal(engine.body.gpus[0]?.name, 'NVIDIA GeForce RTX 4090');
});

async function readEvents(untilType: string, timeoutMs = 60_000): Promise<Array<{ type: string; jobId: number; data: Record<string, unknown> }>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const response = await fetch(`${studio.base}/api/events`, { headers: { cookie: `tack_studio_${studio.port}=${studio.token}` }, signal: controller.signal });
  assert.equal(response.headers.get('content-type'), 'text/event-stream');
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  const events: Array<{ type: string; jobId: number; data: Record<string, unknown> }> = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const blocks = text.split('\n\n');
      text = blocks.pop() ?? '';
      for (const block of blocks) {
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (/^event: job$/m.test(block) && data) events.push(JSON.parse(data));
      }
      if (events.some((e) => e.type === untilType)) break;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

test('training: a job streamed live (SSE), runs and their files, likeness per epoch, the evaluation; jobs and cancel', async () => {
  const seen = readEvents('sample');
  const started = await api.post<{ job: JobDoc }>(`/api/projects/${pid}/jobs`, { kind: 'train', inputs: {} });
  assert.equal(started.status, 202);
  const events = await seen;
  assert.ok(events.some((e) => e.type === 'progress' && e.jobId === started.body.job.id && e.data.label === 'training'), 'progress arrives on the event stream');
  assert.ok(events.some((e) => e.type === 'sample'));
  const listed = await api.get<{ kind: string; jobs: JobDoc[] }>(`/api/jobs?project=${pid}`);
  assert.equal(listed.body.kind, 'jobs');
  assert.ok(listed.body.jobs.some((j) => j.id === started.body.job.id));
  const done = await untilEnded(started.body.job.id);
  assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
  const runId = done.runId as string;
  assert.equal((done.result as { kind: string; outcome: { kind: string } }).outcome.kind, 'succeeded');

  assert.deepEqual((await api.get(`/api/projects/${pid}/runs`)).body, await cli(['runs', project]));
  const run = (await api.get<{ kind: string; samples: Array<{ file: string }> }>(`/api/projects/${pid}/runs/${runId}`)).body;
  assert.equal(run.kind, 'run');
  const metrics = (await api.get<{ loss: Array<{ step: number }> }>(`/api/projects/${pid}/runs/${runId}/metrics`)).body;
  assert.ok(metrics.loss.length > 3);
  const sample = path.relative(project, run.samples[0]?.file as string);
  const image = await api.get(`/api/projects/${pid}/files/${sample.split(path.sep).map(encodeURIComponent).join('/')}`);
  assert.equal(image.status, 200);
  assert.equal(image.headers.get('content-type'), 'image/png');

  // The likeness follower started by itself, scored every epoch and evaluated the run.
  const follower = (await api.get<{ jobs: JobDoc[] }>(`/api/jobs?project=${pid}`)).body.jobs.find((j) => j.kind === 'likeness') as JobDoc;
  const scored = await untilEnded(follower.id, 180_000);
  assert.equal(scored.status, 'succeeded', JSON.stringify(scored.error));
  const live = (await api.get<{ live: { epochs: Array<{ epoch: number; effectiveLikeness: number }> } }>(`/api/projects/${pid}/runs/${runId}/likeness`)).body.live;
  assert.deepEqual(live.epochs.map((e) => e.epoch), [1, 2, 3]);
  assert.ok((live.epochs[2]?.effectiveLikeness ?? 0) > (live.epochs[0]?.effectiveLikeness ?? 1));
  const evaluation = await api.get<{ kind: string; evaluation: { recommendation: { epoch: number } } }>(`/api/projects/${pid}/runs/${runId}/evaluation`);
  assert.equal(evaluation.body.kind, 'evaluation');
  assert.notEqual(evaluation.body.evaluation.recommendation.epoch, 1);

  const ended = await api.post<{ error: { code: string } }>(`/api/jobs/${done.id}/cancel`);
  assert.equal(ended.body.error.code, 'JOBS_ALREADY_ENDED');
  const notStartable = await api.post<{ error: { code: string } }>(`/api/projects/${pid}/jobs`, { kind: 'likeness', inputs: { run: runId } });
  assert.equal(notStartable.status, 400);
  const badInputs = await api.post<{ error: { code: string; message: string } }>(`/api/projects/${pid}/jobs`, { kind: 'train', inputs: { preset: '--dry-run' } });
  assert.equal(badInputs.body.error.code, 'JOBS_BAD_INPUT');

  const report = await api.post<{ job: JobDoc }>(`/api/projects/${pid}/jobs`, { kind: 'report', inputs: { run: runId } });
  assert.equal((await untilEnded(report.body.job.id)).status, 'succeeded');
  const html = await api.get(`/api/projects/${pid}/files/runs/${runId}/evaluation/report.html`);
  assert.equal(html.status, 200);
  assert.match(html.headers.get('content-security-policy') ?? '', /^sandbox/, 'a report never runs script with the studio\'s origin');

  // A LoRA of the run, inspected in place; then uploaded, inspected, verified and resized.
  const checkpoint = path.join('runs', runId, 'output', 'ana.safetensors');
  const inPlace = await api.get<{ architecture: { id: string } }>(`/api/projects/${pid}/lora/inspect?file=${encodeURIComponent(checkpoint)}`);
  assert.equal(inPlace.body.architecture.id, 'sdxl');
  const upload = await api.post<{ id: string; name: string }>('/api/lora/uploads?name=ana.safetensors', new Uint8Array(await readFile(path.join(project, checkpoint))));
  assert.equal(upload.status, 201);
  const inspected = (await api.get(`/api/lora/${upload.body.id}/inspect`)).body;
  const direct = await cli(['lora', 'inspect', path.join(project, checkpoint)]);
  for (const key of ['kind', 'architecture', 'network', 'parts', 'training', 'hashes', 'loaders']) assert.deepEqual(inspected[key], direct[key], `inspect's ${key} is tack lora inspect --json's`);
  const verified = await api.post<{ kind: string; ok: boolean }>(`/api/lora/${upload.body.id}/verify`, { base: path.join(root.dir, 'loras', 'sdxl-base.safetensors') });
  assert.equal(verified.body.kind, 'lora verify');
  const resize = await api.post<{ job: JobDoc; output: string }>(`/api/lora/${upload.body.id}/resize`, { rank: 1 });
  const resized = await untilEnded(resize.body.job.id);
  assert.equal(resized.status, 'succeeded', JSON.stringify(resized.error));
  const files = (await api.get<{ files: Array<{ name: string }> }>('/api/lora')).body.files.map((f) => f.name);
  assert.ok(files.includes(resize.body.output));
  const download = await api.get(`/api/lora/${upload.body.id}/file?name=${encodeURIComponent(resize.body.output)}`);
  assert.match(download.headers.get('content-disposition') ?? '', /attachment/);
  const notLora = await api.post<{ error: { code: string } }>('/api/lora/uploads?name=x.safetensors', 'not a safetensors file at all');
  assert.equal(notLora.body.error.code, 'STUDIO_BAD_UPLOAD');
});

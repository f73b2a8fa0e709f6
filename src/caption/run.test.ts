import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { initProject, loadProject, type Project } from '../project/index.js';
import { fixtureLabelsCsv, fixtureTaggerBytes } from '../../test/helpers/tagger-fixture.js';
import { captionProject, captionStorePaths } from './index.js';

let root: string;
let modelDir: string;

before(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'tack-caption-run-'));
  modelDir = path.join(root, 'model');
  await fsp.mkdir(modelDir);
  await fsp.writeFile(path.join(modelDir, 'model.onnx'), fixtureTaggerBytes(32));
  await fsp.writeFile(path.join(modelDir, 'selected_tags.csv'), fixtureLabelsCsv());
});
after(() => fsp.rm(root, { recursive: true, force: true }));

async function project(name: string, colors: readonly string[]): Promise<Project> {
  const dir = path.join(root, name);
  await initProject(dir, { token: 'xanrms', className: 'woman' });
  for (const [i, color] of colors.entries()) await sharp({ create: { width: 48, height: 48, channels: 3, background: color } }).png().toFile(path.join(dir, 'photos', `p${i}.png`));
  return loadProject(dir, { tokenize: false });
}

const read = (p: Project, file: string) => fsp.readFile(path.join(p.paths.captionsDir, file), 'utf8');

test('a crash between saving the state and writing a caption leaves the caption tack\'s own', async () => {
  const p = await project('crash', ['#ff0000']);
  await captionProject(p, { overrides: { modelDir } });
  assert.equal(await read(p, 'p0.txt'), 'xanrms, 1girl, solo, long hair, red theme, ^_^\n');
  // State saved for a new text, then the process died before the caption file was replaced.
  const store = captionStorePaths(p.paths);
  const state = JSON.parse(await fsp.readFile(store.stateFile, 'utf8'));
  const entry = state.photos.p0;
  state.photos.p0 = { ...entry, writtenSha256: 'f'.repeat(64), previousSha256: entry.writtenSha256, settingsKey: 'pending' };
  await fsp.writeFile(store.stateFile, JSON.stringify(state));
  const result = await captionProject(p, { overrides: { modelDir, threshold: 0.6 } });
  assert.equal(result.counts['hand-written'], 0, 'not mistaken for a hand-written caption');
  assert.equal(await read(p, 'p0.txt'), 'xanrms, 1girl, solo, red theme\n');
  assert.equal(result.modelRuns, 0);
});

test('deleting .tack/captions makes existing captions count as hand-written (nothing is lost)', async () => {
  const p = await project('forgot', ['#0000ff']);
  await captionProject(p, { overrides: { modelDir } });
  await fsp.rm(captionStorePaths(p.paths).dir, { recursive: true });
  const result = await captionProject(p, { overrides: { modelDir, threshold: 0.6 } });
  assert.equal(result.counts['hand-written'], 1);
  assert.equal(await read(p, 'p0.txt'), 'xanrms, 1girl, solo, long hair, blue theme, ^_^\n');
});

test('only the photos asked for are captioned', async () => {
  const p = await project('only', ['#ff0000', '#0000ff']);
  const result = await captionProject(p, { overrides: { modelDir }, only: ['p1.png'] });
  assert.deepEqual(result.photos.map((o) => o.photo), ['p1.png']);
  await assert.rejects(fsp.access(path.join(p.paths.captionsDir, 'p0.txt')));
});

test('a project without photos is CAPTION_NO_PHOTOS with the add command', async () => {
  const p = await project('empty', []);
  await assert.rejects(captionProject(p, { overrides: { modelDir } }), (e: unknown) => (e as { code?: string }).code === 'CAPTION_NO_PHOTOS' && /tack add/.test((e as { hint: string }).hint));
});

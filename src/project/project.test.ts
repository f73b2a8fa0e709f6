import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { TackError } from '../core/index.js';
import { checkTriggerToken, initProject, loadProject, parseConfigText } from './index.js';

test('init writes a commented tack.toml that loads back with the defaults', async () => {
  const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'tack-proj-')), 'my-lora');
  await initProject(dir, { token: 'xanrms', className: 'woman' });
  const text = await readFile(path.join(dir, 'tack.toml'), 'utf8');
  assert.match(text, /# Trigger token put first/);
  const project = await loadProject(dir);
  assert.equal(project.config.token, 'xanrms');
  assert.equal(project.config.name, 'my-lora');
  assert.equal(project.config.plan.batch_size, 2);
  assert.equal(project.config.buckets.resolution, 1024);
});

test('init refuses to overwrite an existing project', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-proj-'));
  await initProject(dir, { token: 'xanrms', className: 'woman' });
  await assert.rejects(initProject(dir, { token: 'other', className: 'man' }), (e: unknown) => e instanceof TackError && e.code === 'PROJECT_EXISTS');
});

test('unknown and mistyped keys are named, with the valid choice', () => {
  const { config, findings } = parseConfigText(
    ['name = "a"', 'token = "xanrms"', 'class = "woman"', 'captioner = "wd15"', '[plan]', 'batchsize = 2', 'target_steps = "2500"'].join('\n'),
  );
  assert.equal(config, undefined);
  const messages = findings.map((f) => f.message).join('\n');
  assert.match(messages, /Unknown key "plan\.batchsize".*Did you mean "batch_size"/);
  assert.match(messages, /captioner must be one of "wd14", "sentence", "none"; got "wd15"/);
  assert.match(messages, /plan\.target_steps must be a number; got "2500" \(a string\)/);
  assert.ok(findings.find((f) => f.subject === 'captioner')?.fix?.includes('wd14'));
});

test('broken TOML names the line', () => {
  const { findings } = parseConfigText('token = xanrms\n');
  assert.equal(findings[0]?.code, 'PROJECT_BAD_TOML');
  assert.match(findings[0]?.message ?? '', /line 1/);
});

test('a missing project folder and a folder without tack.toml are PROJECT_NOT_FOUND with the init command as hint', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-proj-'));
  for (const target of [path.join(dir, 'nope'), dir]) {
    await assert.rejects(loadProject(target), (e: unknown) => e instanceof TackError && e.code === 'PROJECT_NOT_FOUND' && e.hint.includes('tack init'));
  }
});

test('a tack.toml edited into a bad state fails to load with every problem listed', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-proj-'));
  await initProject(dir, { token: 'xanrms', className: 'woman' });
  const file = path.join(dir, 'tack.toml');
  await writeFile(file, (await readFile(file, 'utf8')).replace('batch_size = 2', 'batch_size = 0').replace('token = "xanrms"', 'token = "my token"'));
  await assert.rejects(loadProject(dir), (e: unknown) => {
    assert.ok(e instanceof TackError);
    assert.equal(e.code, 'PROJECT_BAD_CONFIG');
    assert.match(e.message, /plan\.batch_size must be at least 1/);
    return true;
  });
});

test('trigger tokens: separators refused, known words warned, made-up words accepted', () => {
  assert.equal(checkTriggerToken('my token')[0]?.severity, 'error');
  assert.equal(checkTriggerToken('a,b')[0]?.severity, 'error');
  assert.equal(checkTriggerToken('../x')[0]?.severity, 'error');
  assert.equal(checkTriggerToken('1girl')[0]?.severity, 'error');
  const known = checkTriggerToken('sks');
  assert.equal(known[0]?.code, 'PROJECT_TOKEN_KNOWN');
  assert.deepEqual(checkTriggerToken('xanrms'), []);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUILTIN_PRESETS, resolveTrainSettings, type Preset } from '../presets.js';
import type { EngineConfigInput } from './build-config.js';
import { buildLaunchArgv, sdScriptsEngine } from './engine.js';

const lookup = (n: string) => BUILTIN_PRESETS.find((p) => p.name === n);
const settings = resolveTrainSettings(lookup('pony-realism') as Preset, lookup, undefined, {}).settings;
const config: EngineConfigInput = {
  outputName: 'ana', baseModel: '/m.safetensors', imageDir: '/d/40_x woman', outputDir: '/r/output', samplePromptsFile: '/r/config/sample_prompts.txt', classTokens: 'x woman', repeats: 40,
  buckets: { resolution: [1024, 1024], enableBucket: true, noUpscale: false, minReso: 256, maxReso: 2048, resoSteps: 64 }, batchSize: 2, gradientAccumulationSteps: 1, epochs: 6, totalSteps: 2760,
  numProcesses: 1, sampleSampler: 'euler_a', settings,
};
const base = { config, sdScriptsDir: '/opt/sd-scripts', python: '/opt/sd-scripts/venv/bin/python', cwd: '/r', argsFile: '/r/config/args.toml', datasetFile: '/r/config/dataset.toml', numProcesses: 1 };

test('the launch is accelerate with the script mixed precision, as an argument array', () => {
  assert.deepEqual(buildLaunchArgv(base), [
    '/opt/sd-scripts/venv/bin/python', '-m', 'accelerate.commands.launch', '--num_cpu_threads_per_process', '1', '--num_processes', '1', '--num_machines', '1',
    '--mixed_precision', 'bf16', '--dynamo_backend', 'no', '/opt/sd-scripts/sdxl_train_network.py', '--config_file', '/r/config/args.toml', '--dataset_config', '/r/config/dataset.toml',
  ]);
});

test('several GPUs train data-parallel; a resume passes the state folder', () => {
  const argv = buildLaunchArgv({ ...base, numProcesses: 4, resumeState: '/r/output/ana-000003-state' });
  assert.deepEqual(argv.slice(5, 7), ['--num_processes', '4']);
  assert.ok(argv.includes('--multi_gpu'));
  assert.deepEqual(argv.slice(-2), ['--resume', '/r/output/ana-000003-state']);
});

test('buildLaunch adds unbuffered output and the checkout git folder to the environment', () => {
  const built = sdScriptsEngine.buildLaunch({ ...base, gitDir: '/opt/sd-scripts/.git' });
  assert.deepEqual(built.command.env, { PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8', GIT_DIR: '/opt/sd-scripts/.git' });
  assert.equal(built.command.cwd, '/r');
  assert.deepEqual(built.findings.filter((f) => f.severity === 'error'), []);
});

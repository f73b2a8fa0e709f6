#!/usr/bin/env node
// The real-engine tier: test/engine/*.engine.ts against the real kohya sd-scripts, which the
// environment names (TACK_TEST_SD_SCRIPTS, TACK_TEST_PYTHON, TACK_TEST_BASE_MODEL; set by the
// engine's env.sh). Without them it says why it was skipped and exits 0. The files run one at
// a time (--test-concurrency=1): a real training needs about 16 GB of RAM, so two never overlap.
// It prints its wall time and the peak RSS of any process it started (the trainers included).
// Usage: npm run test:engine [-- <substring filter>...]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const filters = process.argv.slice(2);
const REQUIRED = ['TACK_TEST_SD_SCRIPTS', 'TACK_TEST_PYTHON', 'TACK_TEST_BASE_MODEL'];

const missing = REQUIRED.filter((name) => !process.env[name]);
if (missing.length > 0) {
  console.log(`tack engine tests: skipped, because ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set.`);
  console.log('  They name the real kohya sd-scripts, its Python and an SDXL checkpoint. To run the tier, set up the');
  console.log("  engine once with its setup.sh, then source its env.sh in a subshell: ( . <engine>/env.sh && npm run test:engine ).");
  console.log('  On the developers\' machines <engine> is the engine folder beside this repository; see docs/engine-tests.md.');
  process.exit(0);
}

const started = Date.now();
const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const dir = path.join(root, 'test', 'engine');
let files = readdirSync(dir)
  .filter((name) => name.endsWith('.engine.ts'))
  .sort()
  .map((name) => path.join(dir, name));
if (filters.length) files = files.filter((f) => filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('No engine test files matched.');
  process.exit(1);
}
const reporter = process.stdout.isTTY ? 'spec' : 'tap';
const testArgv = [process.execPath, '--import', 'tsx', '--test', '--test-concurrency=1', `--test-reporter=${reporter}`, ...files];
// GNU time reports the largest resident set of any process the tier waited for: the trainers'.
const timeFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'tack-engine-tier-')), 'time.txt');
const gnuTime = existsSync('/usr/bin/time');
const argv = gnuTime ? ['/usr/bin/time', '-f', '%M', '-o', timeFile, ...testArgv] : testArgv;
const result = spawnSync(argv[0], argv.slice(1), { cwd: root, stdio: 'inherit', env: { ...process.env, TACK_TEST: '1' } });
const seconds = Math.round((Date.now() - started) / 1000);
let peak = 'not measured (no /usr/bin/time)';
if (gnuTime) {
  const kib = Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1));
  if (Number.isFinite(kib)) peak = `${(kib / 1024 ** 2).toFixed(1)} GiB`;
}
rmSync(path.dirname(timeFile), { recursive: true, force: true });
console.log(`tack engine tests: ${result.status === 0 ? 'passed' : 'FAILED'} in ${Math.floor(seconds / 60)} min ${seconds % 60} s; peak RSS of one process ${peak}.`);
process.exit(result.status ?? 1);

#!/usr/bin/env node
// Runs the whole test suite: builds dist/ (the end-to-end tests run the built CLI), then runs
// every *.test.ts under src/ and test/ with node:test through tsx. Node 20's `node --test`
// does not find .ts files by itself, so the files are listed here explicitly.
// Usage: npm test [-- <substring filter>...]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const filters = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...findTests(full));
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

// The full run fails on any type error. A filtered run (while working on one area) still
// builds dist/ for the end-to-end tests but only warns about type errors elsewhere.
const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: filters.length ? 'ignore' : 'inherit' });
if (build.status !== 0) {
  if (!filters.length) process.exit(build.status ?? 1);
  console.error('warning: the build reported type errors (run `npm run typecheck`); running the selected tests anyway.');
}
// The studio's web client (dist/studio/web), which the studio and browser tests serve.
const web = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-web.mjs')], { cwd: root, stdio: 'inherit' });
if (web.status !== 0) process.exit(web.status ?? 1);
if (!filters.length) {
  for (const config of ['tsconfig.json', 'tsconfig.web.json']) {
    const typecheck = spawnSync('npx', ['tsc', '-p', config, '--noEmit'], { cwd: root, stdio: 'inherit' });
    if (typecheck.status !== 0) process.exit(typecheck.status ?? 1);
  }
}

let files = [...findTests(path.join(root, 'src')), ...findTests(path.join(root, 'test'))].sort();
if (filters.length) files = files.filter((f) => filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}
// Two reporters: the usual one on stdout, and one that collects why tests were skipped.
const skipFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'tack-tests-')), 'skipped.jsonl');
const mainReporter = process.stdout.isTTY ? 'spec' : 'tap';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', `--test-reporter=${mainReporter}`, '--test-reporter-destination=stdout', `--test-reporter=${path.join(root, 'scripts', 'skip-reporter.mjs')}`, `--test-reporter-destination=${skipFile}`, ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, TACK_TEST: '1' } },
);
printSkipSummary(skipFile);
rmSync(path.dirname(skipFile), { recursive: true, force: true });
process.exit(result.status ?? 1);

/** The final line says how many tests were skipped and why (grouped by reason). */
function printSkipSummary(file) {
  const skipped = existsSync(file)
    ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line))
    : [];
  if (skipped.length === 0) {
    console.log('tack tests: none skipped.');
    return;
  }
  const byReason = new Map();
  for (const s of skipped) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s.name]);
  console.log(`tack tests: ${skipped.length} skipped.`);
  for (const [reason, names] of byReason) console.log(`  ${names.length} x ${reason}\n    (${names.join('; ')})`);
}

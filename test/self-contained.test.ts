/**
 * The repository is self-contained: a clone with nothing beside it must pass its tests and run
 * its benches. This test fails if source, test, bench or script files name the folder that sits
 * beside the repository on the developers' machines, or an absolute path outside the repository
 * (a user's home, a work folder, a hard-coded temp or browser path). The optional real-engine
 * tier takes its engine from environment variables instead (test/engine/).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './helpers/cli.js';

const SCANNED = ['src', 'test', 'bench', 'scripts', 'bin'];
const TEXT = /\.(ts|mts|mjs|js|cjs|py|sh|json|toml|html|css)$/;
/** Data copied into the repository: the photos and engine outputs, not code. */
const DATA = [path.join('test', 'fixtures', 'sd-scripts'), path.join('test', 'fixtures', 'faces'), path.join('test', 'fixtures', 'faces-labelled')];

const SIBLING = 'sha' + 'red';
const FORBIDDEN: ReadonlyArray<{ readonly what: string; readonly pattern: RegExp }> = [
  { what: `the ../${SIBLING} folder beside the repository`, pattern: new RegExp(`\\.\\./${SIBLING}\\b|['"]\\.\\.['"]\\s*,\\s*['"]${SIBLING}['"]|['"]${SIBLING}['"]\\s*,\\s*['"](fixtures|reference|engine)['"]`) },
  { what: 'an absolute path into a home, work or mount folder', pattern: /['"`](\/(home|root|work|Users|mnt|media|srv)\/[^'"`]*)['"`]/ },
  { what: 'a hard-coded temporary folder (use os.tmpdir())', pattern: /['"`]\/tmp\/[^'"`]*['"`]/ },
  { what: 'a hard-coded browser path (use findBrowser())', pattern: /['"`]\/usr\/(local\/)?bin\/(chromium|chromium-browser|google-chrome)[^'"`]*['"`]/ },
];

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.') || name === '__pycache__') continue;
    const full = path.join(dir, name);
    const rel = path.relative(REPO_ROOT, full);
    if (DATA.some((d) => rel === d || rel.startsWith(d + path.sep))) continue;
    if (statSync(full).isDirectory()) out.push(...listFiles(full));
    else if (TEXT.test(name) && path.basename(full) !== 'self-contained.test.ts') out.push(full);
  }
  return out;
}

test('no source, test, bench or script file reads outside the repository', () => {
  const offences: string[] = [];
  const files = SCANNED.flatMap((d) => listFiles(path.join(REPO_ROOT, d)));
  assert.ok(files.length > 100, `scanned ${files.length} files`);
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const { what, pattern } of FORBIDDEN) {
        if (pattern.test(line)) offences.push(`${path.relative(REPO_ROOT, file)}:${i + 1}: ${what}: ${line.trim().slice(0, 160)}`);
      }
    });
  }
  assert.deepEqual(offences, [], 'copy what these need into the repository (test/fixtures/ with its provenance), or take it from an environment variable');
});

test('the check itself catches each kind of outside path', () => {
  const samples = [`const F = '../${SIBLING}/fixtures/x';`, `path.join(here, '..', '${SIBLING}', 'fixtures')`, "const p = '/home/ana/photos';", "writeFile('/tmp/out.png')", "launch({ executablePath: '/usr/bin/chromium' })"];
  for (const s of samples) assert.ok(FORBIDDEN.some((f) => f.pattern.test(s)), s);
  assert.ok(!FORBIDDEN.some((f) => f.pattern.test("const python = '/opt/sd-scripts/venv/bin/python';")), 'placeholders that are never read stay allowed');
});

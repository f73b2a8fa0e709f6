#!/usr/bin/env node
// Builds the studio's web client into dist/studio/web/ (run by `npm ci` through "prepare" and by
// `npm test`): one bundled, minified app.js (Preact and the pages, from src/studio/web/main.tsx),
// app.css, index.html and the icon. Nothing is fetched at run time: no CDN, no network.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const src = path.join(root, 'src', 'studio', 'web');
const out = path.join(root, 'dist', 'studio', 'web');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(src, 'main.tsx')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  minify: true,
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'app.css', 'favicon.svg']) copyFileSync(path.join(src, file), path.join(out, file));

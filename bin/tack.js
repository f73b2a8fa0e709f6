#!/usr/bin/env node
// The tack command. Runs the compiled CLI from dist/ (built by `npm ci` through the prepare
// script); from a source checkout without dist/ it falls back to running src/ through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(fileURLToPath(dist))) {
  const { main } = await import(dist.href);
  await main();
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import(new URL('../src/cli/main.ts', import.meta.url).href);
  await main();
}

#!/usr/bin/env node
// The tack command. Runs the compiled CLI from dist/ (built by `npm ci` through the prepare
// script); from a source checkout without dist/ it falls back to running src/ through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/cli/main.js', import.meta.url);
const args = process.argv.slice(2);
// `tack studio` starts before the rest of tack loads, so its page answers at once (studio-boot).
const fastStudio = args[0] === 'studio' && !args.includes('--help') && !args.includes('-h');
if (fastStudio && existsSync(fileURLToPath(dist))) {
  const { bootStudio } = await import(new URL('../dist/cli/studio-boot.js', import.meta.url).href);
  const code = await bootStudio(args.slice(1));
  if (code === undefined) {
    const { main } = await import(dist.href);
    await main();
  } else process.exitCode = code;
} else if (existsSync(fileURLToPath(dist))) {
  const { main } = await import(dist.href);
  await main();
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import(new URL('../src/cli/main.ts', import.meta.url).href);
  await main();
}

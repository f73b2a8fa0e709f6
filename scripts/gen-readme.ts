/**
 * Regenerates the parts of README.md that come from the code: the CLI reference (from the
 * command specs) and the error table (from every module's error codes), between
 * <!-- generated:cli --> / <!-- /generated:cli --> and <!-- generated:errors --> markers.
 *   node --import tsx scripts/gen-readme.ts          write README.md
 *   node --import tsx scripts/gen-readme.ts --check  exit 1 if README.md is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../src/cli/commands/index.js';
import { allErrorCodes } from '../src/cli/error-table.js';
import { EXIT_CODES } from '../src/cli/exit-codes.js';
import { GLOBAL_OPTIONS } from '../src/cli/global-options.js';

const readmePath = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function cliReference(): string {
  const out: string[] = [];
  for (const c of COMMANDS) {
    out.push(`### \`tack ${c.name}\``, '', c.summary + '.', '', '```', `tack ${c.usage}`, '```');
    if (c.details) out.push('', c.details.trim().replace(/\n(?=\S)/g, '\n'));
    const options = Object.entries(c.options ?? {});
    const positionals = (c.positionals ?? []).filter((p) => p.description);
    if (options.length || positionals.length || c.json) {
      out.push('', '| argument / option | meaning |', '| --- | --- |');
      for (const p of positionals) out.push(`| \`<${p.name}>\`${p.variadic ? '...' : ''}${p.required ? '' : ' (optional)'} | ${escapeCell(p.description ?? '')} |`);
      for (const [name, o] of options) out.push(`| \`--${name}${o.type === 'string' ? ` ${o.value ?? '<value>'}` : ''}\`${o.short ? ` (\`-${o.short}\`)` : ''} | ${escapeCell(o.description)} |`);
      if (c.json) out.push(`| \`--json\` | ${escapeCell(GLOBAL_OPTIONS.json?.description ?? '')} |`);
    }
    out.push('');
  }
  return out.join('\n').trim();
}

export function errorTable(): string {
  const out = ['| exit code | meaning |', '| --- | --- |'];
  for (const [name, code] of Object.entries(EXIT_CODES)) out.push(`| ${code} | ${name} |`);
  out.push('', '| error code | exit | when |', '| --- | --- | --- |');
  for (const e of allErrorCodes()) out.push(`| \`${e.code}\` | ${EXIT_CODES[e.category]} | ${escapeCell(e.summary)} |`);
  return out.join('\n');
}

function replaceSection(text: string, name: string, body: string): string {
  const start = `<!-- generated:${name} -->`;
  const end = `<!-- /generated:${name} -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README.md lacks the ${start} ... ${end} markers`);
  return `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`;
}

export function regenerate(text: string): string {
  return replaceSection(replaceSection(text, 'cli', cliReference()), 'errors', errorTable());
}

const current = readFileSync(readmePath, 'utf8');
const next = regenerate(current);
if (process.argv.includes('--check')) {
  if (next !== current) {
    console.error('README.md is out of date: run node --import tsx scripts/gen-readme.ts');
    process.exit(1);
  }
} else if (next !== current) {
  writeFileSync(readmePath, next);
  console.log('README.md updated');
}

/** Help text generated from the command specs, so help and behaviour cannot drift apart. */
import type { CommandSpec, OptionSpec } from './command.js';
import { GLOBAL_OPTIONS } from './global-options.js';

function optionLine(name: string, spec: OptionSpec): string {
  const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${spec.value ?? '<value>'}` : ''}`;
  return `  ${flag.padEnd(30)} ${spec.description}`;
}

export function formatCommandHelp(command: CommandSpec): string {
  const lines = [`Usage: tack ${command.usage}`, '', command.summary];
  if (command.details) lines.push('', command.details.trim());
  if (command.positionals?.some((p) => p.description)) {
    lines.push('', 'Arguments:');
    for (const p of command.positionals) if (p.description) lines.push(`  ${p.name.padEnd(30)} ${p.description}`);
  }
  const options = Object.entries(command.options ?? {});
  if (options.length) {
    lines.push('', 'Options:');
    for (const [name, spec] of options) lines.push(optionLine(name, spec));
  }
  lines.push('', 'Global options:');
  for (const [name, spec] of Object.entries(GLOBAL_OPTIONS)) {
    if (name === 'json' && !command.json) continue;
    lines.push(optionLine(name, spec));
  }
  return `${lines.join('\n')}\n`;
}

export function formatGeneralHelp(commands: readonly CommandSpec[], version: string): string {
  const shown = commands.filter((c) => !c.hidden);
  const width = Math.max(...shown.map((c) => c.name.length)) + 2;
  const lines = [
    `tack ${version}: from a folder of photos to a trained, evaluated SDXL / Pony LoRA.`,
    '',
    'Usage: tack <command> [arguments] [options]',
    '',
    'Commands:',
    ...shown.map((c) => `  ${c.name.padEnd(width)} ${c.summary}`),
    '',
    'Run `tack <command> --help` for the options of one command.',
    'Every command that reads something takes --json for a stable, documented JSON document.',
  ];
  return `${lines.join('\n')}\n`;
}

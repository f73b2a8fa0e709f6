/**
 * The CLI entry: finds the command, parses its options strictly, runs it, and turns every
 * outcome into one exit code (exit-codes.ts). Ctrl-C aborts the command's signal; a second
 * Ctrl-C exits at once.
 */
import { parseArgs } from 'node:util';
import { closest, toTackError, type TackError } from '../core/index.js';
import type { JobReporter } from '../jobs/index.js';
import { createContext, type CommandSpec } from './command.js';
import { COMMANDS } from './commands/index.js';
import { cliErrors } from './errors.js';
import { EXIT_CODES, exitCodeFor } from './exit-codes.js';
import { GLOBAL_OPTIONS } from './global-options.js';
import { formatCommandHelp, formatGeneralHelp } from './help.js';
import { streamOutput, type Output, type ProgressBar } from './output.js';
import { TACK_VERSION } from './version.js';

export interface RunCliOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly stdout?: Output;
  readonly stderr?: Output;
  readonly signal?: AbortSignal;
  /** The job this command runs as (set by `tack jobs work`). */
  readonly job?: JobReporter;
  /** Where progress goes instead of bars on stderr. */
  readonly progress?: (label: string) => ProgressBar;
}

/** Finds the longest command name that prefixes argv ("engine doctor" before "engine"). */
export function findCommand(argv: readonly string[], commands: readonly CommandSpec[] = COMMANDS): { command?: CommandSpec; rest: string[] } {
  let best: CommandSpec | undefined;
  let bestWords = 0;
  for (const command of commands) {
    const words = command.name.split(' ');
    if (words.length > bestWords && words.every((w, i) => argv[i] === w)) {
      best = command;
      bestWords = words.length;
    }
  }
  return { command: best, rest: argv.slice(bestWords) };
}

function unknownCommand(argv: readonly string[]): TackError {
  const word = argv[0] ?? '';
  const names = new Set(COMMANDS.map((c) => c.name.split(' ')[0] as string));
  const group = COMMANDS.filter((c) => c.name.startsWith(`${word} `));
  if (group.length > 0) {
    const sub = argv[1];
    const guess = sub ? closest(sub, group.map((c) => c.name.split(' ')[1] as string)) : undefined;
    return cliErrors.create(
      'CLI_UNKNOWN_COMMAND',
      sub ? `"tack ${word} ${sub}" is not a command.` : `"tack ${word}" needs a subcommand.`,
      `${guess ? `Did you mean "tack ${word} ${guess}"? ` : ''}Subcommands: ${group.map((c) => c.name).join(', ')}.`,
    );
  }
  const guess = closest(word, names);
  return cliErrors.create('CLI_UNKNOWN_COMMAND', `"${word}" is not a tack command.`, guess ? `Did you mean "tack ${guess}"? Run "tack --help" for the list.` : 'Run "tack --help" for the list of commands.');
}

function parseCommandArgs(command: CommandSpec, argv: readonly string[]) {
  const options = { ...GLOBAL_OPTIONS, ...(command.options ?? {}) };
  const parseOptions = Object.fromEntries(
    Object.entries(options).map(([name, spec]) => [name, { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) }]),
  );
  try {
    return parseArgs({ args: [...argv], options: parseOptions, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    const flag = /'(-{1,2}[^'\s]+)'/.exec(message)?.[1];
    if ((error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) {
      const guess = closest(flag.replace(/^-+/, ''), Object.keys(options));
      throw cliErrors.create('CLI_UNKNOWN_OPTION', `tack ${command.name} has no option ${flag}.`, guess ? `Did you mean --${guess}? See: tack ${command.name} --help` : `See: tack ${command.name} --help`);
    }
    throw cliErrors.create('CLI_BAD_OPTION', `${message.replace(/\.$/, '')}.`, `See: tack ${command.name} --help`);
  }
}

function checkPositionals(command: CommandSpec, positionals: readonly string[]): void {
  const specs = command.positionals ?? [];
  const required = specs.filter((p) => p.required).length;
  if (positionals.length < required) {
    const missing = specs.filter((p) => p.required)[positionals.length];
    throw cliErrors.create('CLI_MISSING_ARGUMENT', `tack ${command.name} needs <${missing?.name}>.`, `Usage: tack ${command.usage}`);
  }
  if (!specs.some((p) => p.variadic) && positionals.length > specs.length) {
    throw cliErrors.create('CLI_TOO_MANY_ARGUMENTS', `tack ${command.name} takes at most ${specs.length} argument${specs.length === 1 ? '' : 's'}; got "${positionals.slice(specs.length).join(' ')}" in addition.`, `Usage: tack ${command.usage} (quote paths with spaces)`);
  }
}

function renderError(error: TackError, stderr: Output, stdout: Output, json: boolean): void {
  if (json) {
    stdout.write(`${JSON.stringify({ error: error.toJSON() }, null, 2)}\n`);
    return;
  }
  stderr.write(`error[${error.code}]: ${error.message}\n  hint: ${error.hint}\n`);
  if (error.category === 'internal' && process.env.TACK_DEBUG && error.cause instanceof Error) stderr.write(`${error.cause.stack}\n`);
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], options: RunCliOptions = {}): Promise<number> {
  const stdout = options.stdout ?? streamOutput(process.stdout);
  const stderr = options.stderr ?? streamOutput(process.stderr);
  const json = argv.includes('--json');
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      const target = argv[0] === 'help' && argv.length > 1 ? findCommand(argv.slice(1)).command : undefined;
      stdout.write(target ? formatCommandHelp(target) : formatGeneralHelp(COMMANDS, TACK_VERSION));
      return EXIT_CODES.ok;
    }
    if (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version') {
      stdout.write(`${TACK_VERSION}\n`);
      return EXIT_CODES.ok;
    }
    const { command, rest } = findCommand(argv);
    if (!command) throw unknownCommand(argv);
    const parsed = parseCommandArgs(command, rest);
    if (parsed.values.help) {
      stdout.write(formatCommandHelp(command));
      return EXIT_CODES.ok;
    }
    if (parsed.values.json && !command.json) {
      throw cliErrors.create('CLI_UNKNOWN_OPTION', `tack ${command.name} has no --json output.`, 'Run it without --json.');
    }
    checkPositionals(command, parsed.positionals);
    const ctx = createContext({
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? process.env,
      stdout,
      stderr,
      signal: options.signal ?? new AbortController().signal,
      json: Boolean(parsed.values.json),
      ...(options.job ? { job: options.job } : {}),
      ...(options.progress ? { progress: options.progress } : {}),
    });
    const code = await command.run(ctx, { values: parsed.values, positionals: parsed.positionals });
    return code ?? EXIT_CODES.ok;
  } catch (thrown) {
    const error = toTackError(thrown);
    renderError(error, stderr, stdout, json);
    return exitCodeFor(error.category);
  }
}

/** The process entry used by bin/tack.js: wires Ctrl-C and exits with the code. */
export async function main(): Promise<void> {
  const controller = new AbortController();
  // `tack doctor my-lora | head` closes the pipe early: stop quietly instead of crashing.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_CODES.ok);
      throw error;
    });
  }
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('\nStopping after the current step (press Ctrl-C again to quit at once)...\n');
      controller.abort();
    } else {
      process.exit(EXIT_CODES.cancelled);
    }
  });
  const code = await runCli(process.argv.slice(2), { signal: controller.signal });
  process.exitCode = code;
}

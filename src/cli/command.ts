/** The shape of a CLI command and the helpers commands use to read their options. */
import { closest } from '../core/index.js';
import type { JobReporter } from '../jobs/index.js';
import { cliErrors } from './errors.js';
import { progressBar, type Output, type ProgressBar } from './output.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Shown in help, e.g. "<n>". */
  readonly value?: string;
  readonly description: string;
}

export interface PositionalSpec {
  readonly name: string;
  readonly required?: boolean;
  /** Takes all remaining arguments. */
  readonly variadic?: boolean;
  readonly description?: string;
}

/** What a command runs in: where, with which environment and outputs, and its stop signal. */
export interface ContextBase {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: Output;
  readonly stderr: Output;
  /** Aborted on Ctrl-C: stop starting new work, keep what is done. */
  readonly signal: AbortSignal;
  /** --json was given: print one JSON document on stdout and nothing else there. */
  readonly json: boolean;
  /** Set when the command runs as a job (`tack jobs work`): report progress and events there. */
  readonly job?: JobReporter;
}

export interface CommandContext extends ContextBase {
  /** A progress bar on stderr (silent with --json unless stderr is a terminal). */
  progress(label: string): ProgressBar;
  /** Prints a line on stdout (text mode). */
  print(text?: string): void;
  /** Prints `value` as the command's JSON document. */
  printJson(value: unknown): void;
}

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandInput {
  readonly values: OptionValues;
  readonly positionals: readonly string[];
}

export interface CommandSpec {
  /** One or two words: "init", "engine doctor", "lora inspect". */
  readonly name: string;
  readonly summary: string;
  /** Usage line without the leading "tack ". */
  readonly usage: string;
  /** More help: what it does, examples. */
  readonly details?: string;
  readonly options?: Readonly<Record<string, OptionSpec>>;
  readonly positionals?: readonly PositionalSpec[];
  /** The command prints a documented JSON document with --json. */
  readonly json?: boolean;
  /** Internal plumbing (a job worker's entry): left out of help and docs/cli.md. */
  readonly hidden?: boolean;
  /** Returns the exit code (0 when omitted). */
  run(ctx: CommandContext, input: CommandInput): Promise<number | void>;
}

/** `progress` replaces the bars on stderr (a job worker sends progress to the job store). */
export function createContext(base: ContextBase & { readonly progress?: (label: string) => ProgressBar }): CommandContext {
  const { progress, ...rest } = base;
  return {
    ...rest,
    progress: progress ?? ((label) => progressBar(base.stderr, label, { enabled: !base.json || base.stderr.isTTY })),
    print: (text = '') => base.stdout.write(`${text}\n`),
    printJson: (value) => base.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  };
}

// ---- option readers: each names the flag and the expected value in its error ----

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return typeof v === 'string' ? v : undefined;
}

export function stringListOption(values: OptionValues, name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

export function requireOption(values: OptionValues, name: string, example: string): string {
  const v = stringOption(values, name);
  if (v === undefined || v === '') {
    throw cliErrors.create('CLI_MISSING_ARGUMENT', `--${name} is required.`, `Example: ${example}`);
  }
  return v;
}

export function numberOption(
  values: OptionValues,
  name: string,
  options: { readonly integer?: boolean; readonly min?: number; readonly max?: number } = {},
): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  const kind = options.integer ? 'a whole number' : 'a number';
  const range =
    options.min !== undefined && options.max !== undefined
      ? ` from ${options.min} to ${options.max}`
      : options.min !== undefined
        ? ` of at least ${options.min}`
        : options.max !== undefined
          ? ` of at most ${options.max}`
          : '';
  const ok =
    raw.trim() !== '' &&
    Number.isFinite(value) &&
    (!options.integer || Number.isInteger(value)) &&
    (options.min === undefined || value >= options.min) &&
    (options.max === undefined || value <= options.max);
  if (!ok) {
    throw cliErrors.create('CLI_BAD_OPTION', `--${name} must be ${kind}${range}; got "${raw}".`, `Example: --${name} ${options.min ?? 1}`, { details: { option: name, value: raw } });
  }
  return value;
}

export function choiceOption<T extends string>(values: OptionValues, name: string, choices: readonly T[]): T | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw)) {
    const guess = closest(raw, choices);
    throw cliErrors.create('CLI_BAD_OPTION', `--${name} must be one of ${choices.join(', ')}; got "${raw}".`, guess ? `Did you mean --${name} ${guess}?` : `Use one of: ${choices.join(', ')}.`, {
      details: { option: name, value: raw, choices },
    });
  }
  return raw as T;
}

/**
 * One error type for the whole of tack. Every failure a user can meet has a stable code
 * (UPPER_SNAKE, namespaced by module), a category that decides the CLI exit code and the
 * HTTP status, a message that names the bad value, and a one-line hint that says what to do.
 */

/** What kind of failure this is; the CLI maps each to one exit code (cli/exit-codes.ts). */
export type ErrorCategory =
  | 'usage' // the command line itself is wrong
  | 'input' // a file, photo, config value or project the user gave is wrong
  | 'environment' // the machine lacks something: python, sd-scripts, a GPU, network
  | 'training' // the trainer ran and failed
  | 'cancelled' // the user stopped it (Ctrl-C)
  | 'internal'; // a bug in tack

/** The entry for one error code in a module's table. */
export interface ErrorSpec {
  readonly category: ErrorCategory;
  /** When this error happens, in a few words (shown by `tack errors`). */
  readonly summary: string;
}

export interface TackErrorOptions {
  readonly cause?: unknown;
  /** Machine-readable facts for --json output (file, key, value ...). */
  readonly details?: Record<string, unknown>;
}

export class TackError extends Error {
  override readonly name = 'TackError';
  constructor(
    readonly code: string,
    readonly category: ErrorCategory,
    message: string,
    readonly hint: string,
    readonly details: Record<string, unknown> = {},
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, category: this.category, message: this.message, hint: this.hint, details: this.details };
  }
}

export type ErrorTable = Readonly<Record<string, ErrorSpec>>;

export interface ErrorFactory<T extends ErrorTable> {
  readonly table: T;
  /** Builds (does not throw) the error for `code`. */
  create(code: keyof T & string, message: string, hint: string, options?: TackErrorOptions): TackError;
}

/**
 * Declares a module's error codes. Each module keeps its table in its own errors.ts; the CLI
 * gathers every table into the one list shown by `tack errors` and docs/errors.md.
 */
export function defineErrors<T extends ErrorTable>(table: T): ErrorFactory<T> {
  return {
    table,
    create(code, message, hint, options = {}) {
      const spec = table[code];
      if (!spec) throw new Error(`unknown error code ${code}`);
      return new TackError(code, spec.category, message, hint, options.details ?? {}, { cause: options.cause });
    },
  };
}

export function isTackError(value: unknown): value is TackError {
  return value instanceof TackError;
}

export const coreErrors = defineErrors({
  CORE_CANCELLED: { category: 'cancelled', summary: 'the operation was stopped by the user (Ctrl-C)' },
  CORE_INTERNAL: { category: 'internal', summary: 'an unexpected failure inside tack (a bug: please report it)' },
  CORE_FILE_NOT_FOUND: { category: 'input', summary: 'a file or folder given to tack does not exist' },
  CORE_FILE_UNREADABLE: { category: 'input', summary: 'a file exists but cannot be read (permissions, a folder instead of a file)' },
  CORE_WRITE_FAILED: { category: 'environment', summary: 'tack could not write a file (disk full, permissions, read-only folder)' },
  CORE_BAD_JSON: { category: 'input', summary: 'a JSON file tack reads is not valid JSON' },
});

/** Throws CORE_CANCELLED when the signal is aborted; call between units of work. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw coreErrors.create('CORE_CANCELLED', 'Stopped by the user.', 'Run the same command again: finished work is kept and it continues where it stopped.');
  }
}

/** Wraps any thrown value as a TackError so the CLI can always print a code and a hint. */
export function toTackError(value: unknown): TackError {
  if (value instanceof TackError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return coreErrors.create('CORE_INTERNAL', `Unexpected error: ${message}`, 'This is a bug in tack. Rerun with TACK_DEBUG=1 for the stack trace and report it.', { cause: value });
}

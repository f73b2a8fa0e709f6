import type { ErrorCategory } from '../core/index.js';

/**
 * The one table of exit codes. Every command ends with one of these; docs/errors.md lists them (generated).
 * A check that finds blocking problems (doctor, engine doctor) exits with `input` or
 * `environment` like the error it reports.
 */
export const EXIT_CODES = {
  ok: 0,
  internal: 1,
  usage: 2,
  input: 3,
  environment: 4,
  training: 5,
  cancelled: 130,
} as const satisfies Record<'ok' | ErrorCategory, number>;

export function exitCodeFor(category: ErrorCategory): number {
  return EXIT_CODES[category];
}

/**
 * The one table of error codes: every module's table gathered here (the CLI is the only layer
 * that sees all modules). `tack errors` prints it and a test checks the README lists each code.
 */
import { coreErrors, type ErrorSpec } from '../core/index.js';
import { datasetErrors } from '../dataset/index.js';
import { imageErrors } from '../io/index.js';
import { projectErrors } from '../project/index.js';
import { cliErrors } from './errors.js';

const TABLES = [coreErrors.table, cliErrors.table, projectErrors.table, imageErrors.table, datasetErrors.table];

export function allErrorCodes(): ReadonlyArray<{ readonly code: string } & ErrorSpec> {
  return TABLES.flatMap((table) => Object.entries(table).map(([code, spec]) => ({ code, ...spec })));
}

/**
 * The one table of error codes: every module's table gathered here (the CLI is the only layer
 * that sees all modules). `tack errors` prints it and scripts/gen-docs.ts writes it into docs/errors.md (a test checks it is current).
 */
import { captionErrors } from '../caption/index.js';
import { coreErrors, type ErrorSpec } from '../core/index.js';
import { datasetErrors } from '../dataset/index.js';
import { engineErrors, presetErrors } from '../engine/index.js';
import { evalErrors } from '../evaluate/index.js';
import { faceErrors, imageErrors, modelIoErrors } from '../io/index.js';
import { jobErrors } from '../jobs/index.js';
import { loraErrors } from '../lora/index.js';
import { projectErrors } from '../project/index.js';
import { promptErrors } from '../prompt/index.js';
import { remoteErrors } from '../remote/index.js';
import { runErrors } from '../run/index.js';
import { studioErrors } from '../studio/index.js';
import { cliErrors } from './errors.js';

const TABLES = [coreErrors.table, cliErrors.table, projectErrors.table, imageErrors.table, datasetErrors.table, loraErrors.table, captionErrors.table, modelIoErrors.table, engineErrors.table, presetErrors.table, runErrors.table, remoteErrors.table, promptErrors.table, evalErrors.table, faceErrors.table, jobErrors.table, studioErrors.table];

export function allErrorCodes(): ReadonlyArray<{ readonly code: string } & ErrorSpec> {
  return TABLES.flatMap((table) => Object.entries(table).map(([code, spec]) => ({ code, ...spec })));
}

import { defineErrors } from '../core/index.js';

/** Failures around runs: starting, supervising, resuming, reading and exporting them. */
export const runErrors = defineErrors({
  RUN_NOT_FOUND: { category: 'input', summary: 'no run with that id exists in the project\'s runs/ folder' },
  RUN_BAD_FOLDER: { category: 'input', summary: 'a run folder is damaged (run.json missing or unreadable)' },
  RUN_CONFIG_REFUSED: { category: 'input', summary: 'the generated configuration failed the engine\'s argument or dataset checks, so nothing was launched' },
  RUN_ALREADY_RUNNING: { category: 'input', summary: 'a run of this project is still running (or its trainer process is still alive)' },
  RUN_NOTHING_TO_RESUME: { category: 'input', summary: '`tack train --resume` found no interrupted, cancelled or failed run to continue' },
  RUN_SPAWN_FAILED: { category: 'environment', summary: 'the trainer process could not be started (python or accelerate missing)' },
  RUN_EXPORT_FAILED: { category: 'input', summary: '`tack export` could not build the bundle (dataset missing, bundle too large, file exists)' },
  RUN_IMPORT_BAD_BUNDLE: { category: 'input', summary: '`tack runs import` was given something that is not a trained tack bundle (no tack-plan.json, not trained yet, a damaged zip)' },
  RUN_IMPORT_MISMATCH: { category: 'input', summary: 'the bundle was exported from another project' },
  RUN_IMPORT_EXISTS: { category: 'input', summary: 'the bundle was already imported (pass --force to import it again)' },
});

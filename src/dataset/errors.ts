import { defineErrors } from '../core/index.js';

export const datasetErrors = defineErrors({
  DATASET_NO_IMAGES: { category: 'input', summary: 'no photos were found where photos were expected' },
  DATASET_INPUT_NOT_FOUND: { category: 'input', summary: 'a file or folder given to `tack add` does not exist' },
  DATASET_NOT_PREPARED: { category: 'input', summary: 'the training dataset has not been written yet (run `tack prepare`)' },
  DATASET_BLOCKED: { category: 'input', summary: '`tack prepare` refused to write the dataset because of blocking problems' },
  DATASET_NOTHING_TO_RESTORE: { category: 'input', summary: '`tack remove --undo` found no removed photos to put back' },
  DATASET_BAD_BUCKETS: { category: 'input', summary: 'the [buckets] settings are refused by the engine' },
});

import { defineErrors } from '../core/index.js';

/** Failures of the studio's server: starting it, and requests it refuses. */
export const studioErrors = defineErrors({
  STUDIO_PORT_IN_USE: { category: 'environment', summary: 'the studio\'s port is taken by another program (another tack studio?)' },
  STUDIO_BAD_REQUEST: { category: 'usage', summary: 'a request to the studio\'s API is malformed (missing field, wrong type)' },
  STUDIO_NOT_FOUND: { category: 'input', summary: 'the studio has no such project, photo, run or file' },
  STUDIO_PATH_REFUSED: { category: 'input', summary: 'a file outside the studio\'s projects was asked for (.., an absolute path, a symlink out)' },
  STUDIO_BAD_UPLOAD: { category: 'input', summary: 'an uploaded file is refused: not a photo or LoRA by its content, too large, or a bad name' },
  STUDIO_NOT_A_PROJECT: { category: 'input', summary: 'the folder given to open is not a tack project (no tack.toml)' },
});

import { defineErrors } from '../core/index.js';

export const promptErrors = defineErrors({
  PROMPT_NOT_PNG: { category: 'input', summary: 'a file read for generation settings is not a PNG image' },
  PROMPT_PNG_TRUNCATED: { category: 'input', summary: 'a PNG image is cut off (no IEND chunk), so its text chunks cannot be trusted' },
  PROMPT_BAD_KEYWORD: { category: 'internal', summary: 'a PNG text keyword is not 1-79 Latin-1 characters' },
  PROMPT_NO_INFOTEXT: { category: 'input', summary: 'a PNG holds no generation settings (no "parameters", ComfyUI or sd-scripts text)' },
});

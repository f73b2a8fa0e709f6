import { defineErrors } from '../core/index.js';

export const imageErrors = defineErrors({
  IMAGE_EMPTY: { category: 'input', summary: 'an image file is empty (0 bytes)' },
  IMAGE_NOT_AN_IMAGE: { category: 'input', summary: 'a file named like an image holds something else (text, HTML, an archive ...)' },
  IMAGE_UNSUPPORTED: { category: 'input', summary: 'an image format or variant tack cannot read' },
  IMAGE_TOO_LARGE: { category: 'input', summary: 'an image header claims more pixels than any photo needs (refused before decoding)' },
  IMAGE_CORRUPT: { category: 'input', summary: 'an image file is damaged or truncated and cannot be decoded' },
});

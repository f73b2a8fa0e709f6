import { z } from 'zod';

/** [caption]: captioning settings (filled in by the caption module). */
export const captionSection = z.strictObject({}).prefault({}).describe('Captioning (tack caption).');

import { z } from 'zod';

/** [samples]: sample prompts and evaluation (filled in by the evaluate module). */
export const samplesSection = z.strictObject({}).prefault({}).describe('Sample images every epoch and likeness scoring.');

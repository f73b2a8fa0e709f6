import { z } from 'zod';

/** [train]: training settings that override the preset (filled in by the engine module). */
export const trainSection = z.strictObject({}).prefault({}).describe('Training (tack train); values here override the preset.');

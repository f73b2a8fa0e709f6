import { z } from 'zod';

const resolution = z.union([z.int().min(64).max(8192), z.tuple([z.int().min(64).max(8192), z.int().min(64).max(8192)])]);

/** [buckets]: the engine's aspect-ratio bucketing settings (sd-scripts.md 4). Names are the engine's. */
export const bucketsSection = z
  .strictObject({
    resolution: resolution
      .default(1024)
      .describe('Training resolution: one number for a square (1024) or [width, height]. Its area caps every bucket.'),
    enable_bucket: z.boolean().default(true).describe('Aspect-ratio bucketing: photos keep their shape instead of being cropped to a square.'),
    bucket_no_upscale: z
      .boolean()
      .default(false)
      .describe('Never upscale small photos; they get a smaller bucket instead (sd-scripts bucket_no_upscale).'),
    min_bucket_reso: z.int().min(64).default(256).describe('Smallest bucket side in pixels (ignored with bucket_no_upscale).'),
    max_bucket_reso: z.int().min(64).default(2048).describe('Largest bucket side in pixels (ignored with bucket_no_upscale).'),
    bucket_reso_steps: z.int().min(8).default(64).describe('Bucket sides are multiples of this; SDXL needs a multiple of 32.'),
  })
  .prefault({})
  .describe('Aspect-ratio buckets, exactly as kohya sd-scripts computes them.');

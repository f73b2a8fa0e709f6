import { z } from 'zod';

/** [plan]: the recipe's step math (recipe.md 3). */
export const planSection = z
  .strictObject({
    target_image_repeats: z
      .int()
      .min(1)
      .default(900)
      .describe('Images x repeats to aim for in one epoch (the recipe: ~900, e.g. 23 images x 40 repeats).'),
    target_steps: z
      .int()
      .min(1)
      .default(2500)
      .describe('Total optimizer steps to aim for (the recipe: ~2500). Epochs are chosen to get close to it.'),
    batch_size: z.int().min(1).max(64).default(2).describe('Images per optimizer step (train_batch_size). The recipe uses 2 on a 24 GB GPU.'),
    gradient_accumulation_steps: z
      .int()
      .min(1)
      .max(64)
      .default(1)
      .describe('Batches added up before each optimizer step; divides the step count.'),
    repeats: z.int().min(1).max(10000).optional().describe('Fix the repeats instead of deriving them from target_image_repeats.'),
    epochs: z.int().min(1).max(1000).optional().describe('Fix the epochs instead of deriving them from target_steps.'),
  })
  .prefault({})
  .describe('Repeats, epochs and steps (tack plan).');

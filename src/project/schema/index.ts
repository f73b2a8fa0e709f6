import { z } from 'zod';
import { bucketsSection } from './buckets.js';
import { captionSection } from './caption.js';
import { planSection } from './plan.js';
import { remoteSection } from './remote.js';
import { samplesSection } from './samples.js';
import { trainSection } from './train.js';

export { unwrapSchema, describeSchema } from './describe.js';
export { SD_SCRIPTS_SAMPLERS, type SdScriptsSampler } from './samples.js';
export { TRAIN_DEVICES } from './train.js';

/** Characters that break a kohya folder name, a caption, a shell line or a path. */
export const TOKEN_PATTERN = /^[a-z0-9][a-z0-9_-]*$/i;
export const CLASS_PATTERN = /^[a-z0-9][a-z0-9 -]*$/i;
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/i;

/**
 * The one schema of tack.toml. Every key has a default (except token and class, which only the
 * user can choose) and a description; `tack init` writes the descriptions as comments.
 */
export const projectSchema = z.strictObject({
  name: z
    .string()
    .regex(NAME_PATTERN, 'letters, digits, ".", "_" or "-" only')
    .max(100)
    .describe('Name of the LoRA file the trainer writes (output_name).'),
  token: z
    .string()
    .min(1)
    .max(40)
    .describe('Trigger token put first in every caption, e.g. "xanrms": a made-up word the base model does not know.'),
  class: z
    .string()
    .min(1)
    .max(40)
    .describe('Class word for the subject: woman, man, person, or a concept word. Tags use 1girl/1boy for woman/man.'),
  captioner: z
    .enum(['wd14', 'sentence', 'none'])
    .default('wd14')
    .describe('How photos are captioned: wd14 (booru tags), sentence (one sentence per photo) or none (trigger + class only).'),
  preset: z.string().min(1).default('pony-realism').describe('Training preset (tack preset list).'),
  base_model: z
    .string()
    .default('')
    .describe('Path to the base checkpoint (.safetensors), e.g. Pony Realism or Pony Diffusion V6 XL. Relative paths start at this folder.'),
  plan: planSection,
  buckets: bucketsSection,
  caption: captionSection,
  train: trainSection,
  remote: remoteSection,
  samples: samplesSection,
});

export type ProjectConfig = z.infer<typeof projectSchema>;
/** What a user may write: every key with a default is optional. */
export type ProjectConfigInput = z.input<typeof projectSchema>;
export type PlanSettings = ProjectConfig['plan'];
export type BucketSettings = ProjectConfig['buckets'];

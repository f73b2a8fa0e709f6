import { z } from 'zod';

/**
 * [remote]: what a run on another machine needs that this one cannot give it (tack train
 * --on <remote>). The base model is several GB: it is found or downloaded there, and uploaded
 * from here only when asked (--upload-model).
 */
export const remoteSection = z
  .strictObject({
    base_model: z
      .string()
      .default('')
      .describe('The base model on the remote: a path there (absolute, or relative to the remote\'s tack folder). Empty: <remote folder>/models/<file name of base_model>.'),
    base_model_url: z
      .string()
      .regex(/^(https?:\/\/\S+)?$/, 'an http(s):// URL')
      .default('')
      .describe('Where the remote downloads the base model when it lacks it (e.g. a Hugging Face .../resolve/main/<file> link); $HF_TOKEN, when set, is sent to huggingface.co.'),
    base_model_sha256: z
      .string()
      .regex(/^([0-9a-fA-F]{64})?$/, '64 hexadecimal digits')
      .default('')
      .describe('Expected SHA-256 of the base model; a download that does not match is refused.'),
  })
  .prefault({})
  .describe('Training on another machine (tack train --on <remote>): where it finds the base model.');

export type RemoteSettings = z.infer<typeof remoteSection>;

import { z } from 'zod';

/** sd-scripts optimizer_type names tack knows (any other name is passed through with a warning). */
export const KNOWN_OPTIMIZERS = ['AdamW', 'AdamW8bit', 'PagedAdamW8bit', 'Lion', 'Lion8bit', 'PagedLion8bit', 'Adafactor', 'Prodigy', 'DAdaptAdam', 'DAdaptation', 'SGDNesterov', 'SGDNesterov8bit'] as const;
export const LR_SCHEDULERS = ['constant', 'constant_with_warmup', 'cosine', 'cosine_with_restarts', 'linear', 'polynomial', 'adafactor'] as const;
export const GPU_PROFILE_NAMES = ['auto', '8gb', '12gb', '16gb', '24gb'] as const;
export const TRAIN_DEVICES = ['auto', 'cuda', 'mps', 'cpu'] as const;

const rate = z.number().min(0).max(10);

/**
 * [train]: how the trainer is driven. Every training value is optional: unset keys come from the
 * preset (`preset` at the top of tack.toml) adjusted by the GPU memory profile; a value set here
 * wins over both. Names follow kohya sd-scripts where a key maps to one engine argument.
 */
export const trainSection = z
  .strictObject({
    device: z
      .enum(TRAIN_DEVICES)
      .default('auto')
      .describe('Where to train: auto (a CUDA GPU, else refuse), cuda, mps (Apple GPU, slower) or cpu (hundreds of times slower: tests and tiny runs). Settings that cannot work there are replaced and reported.'),
    gpu_profile: z
      .enum(GPU_PROFILE_NAMES)
      .default('auto')
      .describe('GPU memory profile: auto (from the GPU memory `tack engine doctor` reads), 8gb, 12gb, 16gb or 24gb. Decides batch size cap, text-encoder training, caching and fp8.'),
    network_dim: z.int().min(1).max(1024).optional().describe('LoRA rank (network_dim). The recipe uses 32.'),
    network_alpha: z
      .number()
      .gt(0)
      .max(1024)
      .optional()
      .describe('LoRA alpha; the LoRA is scaled by alpha / rank. Written explicitly (a kohya_ss GUI alpha of 0 silently becomes 1: P6).'),
    train_text_encoder: z
      .boolean()
      .optional()
      .describe('Train the text encoders too (true) or the U-Net only (false). Said explicitly instead of through a learning rate of 0 (P8).'),
    learning_rate: rate.optional().describe('Base learning rate (learning_rate); the U-Net and text-encoder rates below fall back to it.'),
    unet_lr: rate.optional().describe('U-Net learning rate (unet_lr).'),
    text_encoder_lr: rate
      .optional()
      .describe('Text-encoder learning rate, used for both encoders (sd-scripts has no --text_encoder_lr1/2: P9). 0 is refused: use train_text_encoder = false.'),
    optimizer: z.string().min(1).optional().describe(`Optimizer (optimizer_type), e.g. ${KNOWN_OPTIMIZERS.slice(0, 7).join(', ')}.`),
    optimizer_args: z.array(z.string().regex(/^[^=\s]+=[^=\s]+$/, 'key=value with exactly one "="')).optional().describe('Optimizer arguments as "key=value" strings, e.g. ["weight_decay=0.01"].'),
    lr_scheduler: z.enum(LR_SCHEDULERS).optional().describe('Learning-rate schedule (lr_scheduler).'),
    lr_warmup_ratio: z
      .number()
      .min(0)
      .max(0.5)
      .optional()
      .describe('Warm-up as a share of the total steps (0.1 = 10 %). tack writes it as an integer step count so the engine cannot misread it (P12).'),
    mixed_precision: z
      .enum(['bf16', 'fp16', 'no'])
      .optional()
      .describe('Mixed precision passed to the training script itself (P13): bf16 on RTX 30xx and newer and on CPUs, fp16 on older GPUs, no (fp32) where neither works.'),
    save_precision: z.enum(['fp16', 'bf16', 'float']).optional().describe('Precision of the saved LoRA files.'),
    gradient_checkpointing: z.boolean().optional().describe('Trade speed for GPU memory (gradient_checkpointing).'),
    cache_latents: z.boolean().optional().describe('Encode every image with the VAE once before training (cache_latents).'),
    cache_text_encoder_outputs: z
      .boolean()
      .optional()
      .describe('Encode every caption once (saves memory); only possible when the text encoders are not trained (P10).'),
    fp8_base: z.boolean().optional().describe('Load the base model in fp8 to save GPU memory (fp8_base).'),
    attention: z.enum(['sdpa', 'xformers', 'none']).optional().describe('Attention implementation: sdpa (PyTorch), xformers (if installed) or none.'),
    min_snr_gamma: z.number().min(0).max(20).optional().describe('Min-SNR loss weighting gamma; 0 turns it off.'),
    noise_offset: z.number().min(0).max(1).optional().describe('Noise offset; 0 turns it off.'),
    max_grad_norm: z.number().min(0).optional().describe('Gradient clipping norm (max_grad_norm).'),
    seed: z.int().min(1).optional().describe('Random seed; fixed so runs can be compared (a seed of 0 means random in the kohya_ss GUI: P6).'),
    save_state: z.boolean().optional().describe('Save the optimizer state with every checkpoint so `tack train --resume` continues exactly (costs disk space).'),
    extra_args: z
      .array(z.string().regex(/^[A-Za-z0-9_]+=.*$/, 'name=value'))
      .optional()
      .describe('More sd-scripts arguments as "name=value" strings, e.g. ["keep_tokens=1"]; checked against the engine\'s argument list before launch.'),
    num_gpus: z.int().min(1).max(64).optional().describe('GPUs to train on (accelerate processes); default: every GPU torch sees.'),
    sd_scripts: z.string().default('').describe('Path to the kohya sd-scripts checkout (else $TACK_SD_SCRIPTS, else the `tack engine install` folder).'),
    python: z.string().default('').describe('Python that runs sd-scripts (else $TACK_PYTHON, else the checkout\'s venv/bin/python, else python3).'),
    stall_timeout_minutes: z
      .number()
      .gt(0)
      .max(1440)
      .default(30)
      .describe('Stop the run as stalled when the trainer prints nothing for this long.'),
    stop_grace_seconds: z
      .number()
      .min(0)
      .max(3600)
      .default(60)
      .describe('After Ctrl-C, how long the trainer gets to stop by itself before it is killed.'),
  })
  .prefault({})
  .describe('Training (tack train): values here override the preset and the GPU profile.');

export type TrainSection = z.infer<typeof trainSection>;

import { z } from 'zod';

/**
 * sd-scripts' sampler names: the argparse choices of --sample_sampler (sd-scripts-args.json);
 * sdxl_gen_img.py --sampler has the same list. The one list tack keeps (prompt/ maps it to web UI names).
 */
export const SD_SCRIPTS_SAMPLERS = [
  'ddim',
  'pndm',
  'lms',
  'euler',
  'euler_a',
  'heun',
  'dpm_2',
  'dpm_2_a',
  'dpmsolver',
  'dpmsolver++',
  'dpmsingle',
  'k_lms',
  'k_euler',
  'k_euler_a',
  'k_dpm_2',
  'k_dpm_2_a',
] as const;

export type SdScriptsSampler = (typeof SD_SCRIPTS_SAMPLERS)[number];

const seed = z.int().min(0).max(4294967295);
const side = z.int().min(64).max(4096).multipleOf(8);

/** [samples]: the sample images rendered every epoch and how they are scored (recipe.md 5). */
export const samplesSection = z
  .strictObject({
    prompts: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Your own sample prompts (one image each, per seed); {trigger} and {class} are filled in. Empty: tack\'s set (portrait, mid-shot, full body in several scenes).',
      ),
    negative: z.string().default('').describe('Negative prompt for every sample. Empty: the recipe\'s standard negative (with Pony\'s score_1..3 for Pony models).'),
    quality_prefix: z
      .enum(['auto', 'pony', 'none'])
      .default('auto')
      .describe('Quality tags put before each prompt: pony = the full "score_9, score_8_up, ..., score_4_up" string (P20); auto = pony for Pony presets and models.'),
    seeds: z
      .array(seed)
      .min(1)
      .max(16)
      .default([3281991511])
      .describe('Fixed seeds so every epoch renders the same images (the recipe\'s seed first). Each prompt is rendered once per seed.'),
    width: side.default(768).describe('Sample width in pixels, a multiple of 8 (the recipe tests at 768x1280).'),
    height: side.default(1280).describe('Sample height in pixels, a multiple of 8.'),
    steps: z.int().min(1).max(1000).default(30).describe('Sampling steps (the recipe: 30).'),
    cfg: z.number().min(1).max(30).default(6).describe('CFG scale (the recipe: 6; vary LoRA strength rather than lowering it).'),
    sampler: z
      .enum(SD_SCRIPTS_SAMPLERS)
      .default('k_dpm_2_a')
      .describe('Sampler for the engine\'s samples (sd-scripts names). k_dpm_2_a is the closest to the recipe\'s DPM++ 2S a Karras.'),
    ui_sampler: z
      .string()
      .min(1)
      .default('DPM++ 2S a Karras')
      .describe('Sampler for sweeps through A1111/Forge or ComfyUI, in web UI naming (the recipe: DPM++ 2S a Karras).'),
    clip_skip: z.int().min(1).max(12).default(2).describe('Clip skip for A1111/ComfyUI sweeps (P20: 2 for Pony). The engine\'s own samples always use the penultimate layer (P5).'),
    strengths: z
      .array(z.number().min(-2).max(3))
      .min(1)
      .max(12)
      .default([0.6, 0.85, 1])
      .describe('LoRA strengths tried by tack sweep (the recipe uses about 0.85).'),
    likeness_threshold: z
      .number()
      .min(0)
      .max(1.5)
      .default(0.6)
      .describe('Likeness (0 = a stranger, 1 = as alike as the subject\'s own photos) an epoch must reach to count as a good likeness.'),
    copy_threshold: z
      .number()
      .min(0.5)
      .max(1)
      .default(0.88)
      .describe('Face similarity to a single training photo above which a sample counts as a copy of that photo (memorisation).'),
    face_model: z
      .enum(['faceres', 'faceres-deep', 'mobileface', 'onnx', 'human'])
      .default('faceres')
      .describe('Face recognition model: faceres (bundled, offline; "human" is its old name), faceres-deep or mobileface (downloaded once, SHA-256 checked), or onnx (an ArcFace-style model from onnx_model). See docs/evaluate.md for how each separates people.'),
    face_model_url: z.string().default('').describe('Where faceres-deep and mobileface are downloaded from (a folder URL); empty = the model host @vladmandic/human uses.'),
    onnx_model: z.string().default('').describe('ArcFace-style ONNX face model (112x112 input): a file path, or an https:// URL downloaded once into the cache.'),
    onnx_model_sha256: z.string().default('').describe('Expected SHA-256 of the ONNX face model; a download that does not match is refused.'),
    backend: z.enum(['sd-scripts', 'a1111', 'comfyui']).default('sd-scripts').describe('Default generator for tack sweep.'),
    a1111_url: z.string().default('http://127.0.0.1:7860').describe('Address of your A1111/Forge web UI (started with --api).'),
    comfyui_url: z.string().default('http://127.0.0.1:8188').describe('Address of your ComfyUI server.'),
    ui_lora_dir: z.string().default('').describe('The web UI\'s LoRA folder (models/Lora or models/loras); tack copies each epoch\'s LoRA there for sweeps.'),
    ui_checkpoint: z.string().default('').describe('Checkpoint name as the web UI lists it; empty = the one loaded now (A1111) or the file name of base_model (ComfyUI).'),
    adetailer: z.boolean().default(false).describe('Run ADetailer (face_yolov8s.pt) in A1111 sweeps, as the recipe does. Off by default: the score should see the LoRA\'s own face.'),
  })
  .prefault({})
  .describe('Sample images every epoch, sweeps and likeness scoring (tack samples, evaluate, sweep, report).');

export type SamplesSettings = z.infer<typeof samplesSection>;

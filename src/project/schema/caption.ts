import { z } from 'zod';

/** [caption]: captioning settings (tack caption, tack tags). See docs/captions.md. */
export const captionSection = z
  .strictObject({
    model: z
      .string()
      .min(1)
      .default('wd-v1-4-moat-tagger-v2')
      .describe('WD14 tagger: wd-v1-4-moat-tagger-v2, wd-v1-4-convnext-tagger-v2, wd-swinv2-tagger-v3, wd-vit-large-tagger-v3, wd-eva02-large-tagger-v3 ... or a Hugging Face repo id.'),
    threshold: z.number().min(0).max(1).default(0.35).describe('Score a general tag needs to be written (the engine tagger default: 0.35).'),
    character_threshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.85)
      .describe('Score an anime-character tag needs. High, because photos of real people otherwise pick up look-alike character names.'),
    remove_underscore: z.boolean().default(true).describe('Write "long hair" instead of "long_hair" (names of 3 characters or fewer, like ^_^, are kept).'),
    undesired_tags: z.array(z.string()).default([]).describe('Tags the tagger never writes, e.g. ["solo", "realistic"].'),
    always_first_tags: z.array(z.string()).default([]).describe('Tags moved to the front (after the trigger and class tag); the last listed ends up first.'),
    tag_replacements: z.array(z.string()).default([]).describe('Replacements applied to tagger output, each "old=new", e.g. ["smile=smiling"].'),
    rating_tags: z.enum(['none', 'first', 'last']).default('none').describe('Write the rating tag (general, sensitive, questionable, explicit): none, first or last.'),
    character_tags_first: z.boolean().default(false).describe('Put character tags before general tags.'),
    character_tag_expand: z.boolean().default(false).describe('Split "name_(series)" character tags into "name, series".'),
    batch_size: z.int().min(1).max(64).default(2).describe('Photos per tagger run.'),
    threads: z.int().min(0).max(256).default(0).describe('CPU threads for the captioning model (0: one per core).'),
    model_dir: z
      .string()
      .default('')
      .describe('Folder with model.onnx and selected_tags.csv to use instead of downloading (the engine\'s wd14_tagger_model folder works too). Relative paths start at this folder.'),
    hub_url: z.string().default('').describe('Hugging Face Hub URL for downloads (empty: $HF_ENDPOINT or https://huggingface.co). Models are cached in the standard Hugging Face cache.'),
    download_timeout_ms: z.int().min(1000).default(60000).describe('A model download with no data for this long is retried (resuming); a rerun resumes it too.'),
    sentence_backend: z
      .enum(['local', 'endpoint'])
      .default('local')
      .describe('Sentence captions from a local model run by tack (local) or from an OpenAI-compatible vision chat server (endpoint).'),
    sentence_model: z
      .string()
      .default('florence-2-base')
      .describe('Local sentence model: florence-2-base, florence-2-large, vit-gpt2, or a Hugging Face repo id of a transformers.js ONNX model.'),
    endpoint_url: z
      .string()
      .default('http://127.0.0.1:11434/v1')
      .describe('OpenAI-compatible API base URL: Ollama http://127.0.0.1:11434/v1, LM Studio http://127.0.0.1:1234/v1, vLLM http://127.0.0.1:8000/v1.'),
    endpoint_model: z.string().default('').describe('Vision model at the endpoint, e.g. "qwen2.5vl:7b" or "llava:13b" (Ollama names).'),
    endpoint_api_key_env: z.string().default('').describe('Name of the environment variable holding the endpoint API key (empty: none; local servers need none).'),
    endpoint_timeout_ms: z.int().min(1000).default(120000).describe('Time one caption request may take.'),
    endpoint_retries: z.int().min(0).max(10).default(2).describe('Extra attempts after a failed or timed-out request.'),
    prompt: z.string().default('').describe("Instruction for sentence captioners (empty: tack's prompt for training captions)."),
  })
  .prefault({})
  .describe('Captioning (tack caption) and tag editing (tack tags).');

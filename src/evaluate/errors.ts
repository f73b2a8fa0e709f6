import { defineErrors } from '../core/index.js';

export const evalErrors = defineErrors({
  EVAL_NO_RUNS: { category: 'input', summary: 'the project has no training runs to evaluate' },
  EVAL_RUN_NOT_FOUND: { category: 'input', summary: 'the run id given with --run does not exist in the project' },
  EVAL_NO_SAMPLES: { category: 'input', summary: 'the run has no sample images to score (sampling was off or the run stopped early)' },
  EVAL_NO_CHECKPOINTS: { category: 'input', summary: 'the run has no LoRA files to sweep' },
  EVAL_NO_REFERENCE: { category: 'input', summary: 'none of the subject\'s photos has a detectable face, so likeness cannot be measured' },
  EVAL_NO_PHOTOS: { category: 'input', summary: 'the project has no photos to build the subject\'s reference from' },
  EVAL_NOT_EVALUATED: { category: 'input', summary: 'a report was asked for a run that has not been evaluated yet' },
  EVAL_BAD_STRENGTHS: { category: 'usage', summary: '--strengths is not a comma-separated list of numbers' },
  EVAL_BAD_EPOCHS: { category: 'usage', summary: '--epochs names epochs the run does not have' },
  EVAL_BACKEND_UNREACHABLE: { category: 'environment', summary: 'the A1111/Forge or ComfyUI server does not answer at the configured address' },
  EVAL_BACKEND_FAILED: { category: 'environment', summary: 'the generator (sd-scripts, A1111/Forge or ComfyUI) failed to produce an image' },
  EVAL_BACKEND_SETUP: { category: 'input', summary: 'a sweep setting is missing: LoRA folder, base model, sd-scripts location or checkpoint name' },
  EVAL_LORA_NOT_LISTED: { category: 'environment', summary: 'the web UI does not list the LoRA tack copied into its LoRA folder' },
  EVAL_INPUT_NOT_FOUND: { category: 'input', summary: 'an image or folder given to tack score does not exist or is not an image' },
  EVAL_NO_IMAGES: { category: 'input', summary: 'the files and folders given to tack score hold no images' },
  EVAL_BROWSER_MISSING: { category: 'environment', summary: 'no Chromium was found to check or screenshot the report' },
});

import { defineErrors } from '../core/index.js';

/** Failures around the trainer: finding it, checking it, installing it, configuring it. */
export const engineErrors = defineErrors({
  ENGINE_NOT_FOUND: { category: 'environment', summary: 'no kohya sd-scripts checkout was found (TACK_SD_SCRIPTS, [train] sd_scripts or the install folder)' },
  ENGINE_PYTHON_NOT_FOUND: { category: 'environment', summary: 'the Python that runs sd-scripts was not found or does not start' },
  ENGINE_NO_GPU: { category: 'environment', summary: 'torch sees no CUDA GPU, so SDXL training cannot start' },
  ENGINE_NOT_READY: { category: 'environment', summary: '`tack engine doctor` found a problem that stops training' },
  ENGINE_OFFLINE: { category: 'environment', summary: '`tack engine install` needs the internet (GitHub, PyPI, the PyTorch index) and it is not reachable' },
  ENGINE_INSTALL_FAILED: { category: 'environment', summary: 'a step of `tack engine install` (git, venv, pip) failed' },
  ENGINE_INSTALL_EXISTS: { category: 'input', summary: 'the install folder already holds something that is not an sd-scripts checkout' },
  ENGINE_BAD_MODEL: { category: 'input', summary: 'the base model is missing, unreadable or not an SDXL checkpoint' },
  ENGINE_BAD_SETTING: { category: 'input', summary: 'a [train] setting cannot be turned into a valid engine configuration' },
});

/** Failures around training presets and kohya_ss GUI preset files. */
export const presetErrors = defineErrors({
  PRESET_NOT_FOUND: { category: 'input', summary: 'no built-in or saved preset has that name' },
  PRESET_BAD_FILE: { category: 'input', summary: 'a preset file (tack or kohya_ss GUI JSON) cannot be read or has wrong values' },
  PRESET_UNSUPPORTED: { category: 'input', summary: 'a kohya_ss LoRA preset asks for a training tack does not do (the text encoders only)' },
  PRESET_NOT_LORA: { category: 'input', summary: 'the kohya_ss file is a Textual Inversion, DreamBooth or fine-tuning configuration, not a LoRA preset' },
  PRESET_OTHER_MODEL: { category: 'input', summary: 'the kohya_ss preset is for another model family (Flux.1, SD3, SD 1.x/2.x ...); tack trains SDXL LoRAs' },
  PRESET_OTHER_NETWORK: { category: 'input', summary: 'the kohya_ss preset trains a LyCORIS (LoKr, LoHa ...) or other network instead of networks.lora' },
  PRESET_EXISTS: { category: 'input', summary: 'a saved preset or output file with that name already exists' },
  PRESET_BAD_NAME: { category: 'usage', summary: 'a preset name has characters that cannot be used in a file name' },
});

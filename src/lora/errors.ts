import { defineErrors } from '../core/index.js';

export const loraErrors = defineErrors({
  LORA_NOT_SAFETENSORS: { category: 'input', summary: 'a file given as a LoRA or base model is not a safetensors file (too short or bad header length)' },
  LORA_BAD_HEADER: { category: 'input', summary: 'the JSON header of a safetensors file is malformed or describes impossible tensors' },
  LORA_UNKNOWN_DTYPE: { category: 'input', summary: 'a tensor in a safetensors file has a data type tack does not know' },
  LORA_BAD_TENSOR: { category: 'input', summary: 'a tensor\'s byte range does not match its shape, overlaps another or lies outside the file' },
  LORA_BAD_METADATA: { category: 'input', summary: 'the __metadata__ of a safetensors file holds something other than text values' },
  LORA_TRUNCATED: { category: 'input', summary: 'a safetensors file became shorter while tack was reading it' },
  LORA_NOT_A_LORA: { category: 'input', summary: 'a safetensors file holds no LoRA modules tack recognises' },
  LORA_BAD_MODULE: { category: 'input', summary: 'a LoRA module is incomplete or its up/down shapes do not fit together' },
  LORA_UNSUPPORTED_NETWORK: { category: 'input', summary: 'the operation needs plain LoRA/LoCon modules but the file holds another kind (LoHa, LoKr, DoRA ...)' },
  LORA_NON_FINITE: { category: 'input', summary: 'a LoRA module holds NaN or infinite values, so it cannot be resized or merged' },
  LORA_ARCH_MISMATCH: { category: 'input', summary: 'LoRAs for different base architectures cannot be merged' },
  LORA_SHAPE_MISMATCH: { category: 'input', summary: 'the same module has different shapes in two LoRAs' },
  LORA_UNKNOWN_KEYS: { category: 'input', summary: 'key names cannot be mapped to the target naming for this architecture' },
  LORA_NOT_A_BASE_MODEL: { category: 'input', summary: 'the --base file holds no weights of a known base model layout' },
  LORA_OVERFLOW: { category: 'input', summary: 'a result does not fit the chosen data type (values beyond the f16 range)' },
  LORA_BAD_ARGUMENT: { category: 'usage', summary: 'a LoRA command argument (rank, weight, dynamic method) has a wrong value' },
  LORA_OUTPUT_EXISTS: { category: 'usage', summary: 'the output file already exists (tack does not overwrite files unless --force is given)' },
  LORA_OUTPUT_IS_INPUT: { category: 'usage', summary: 'the output path is one of the input files (inputs are never modified)' },
  LORA_VERIFY_FAILED: { category: 'input', summary: 'a LoRA does not fit the base model it was checked against' },
});

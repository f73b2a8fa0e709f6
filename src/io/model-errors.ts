import { defineErrors } from '../core/index.js';

/** Errors of the model adapters: Hugging Face Hub downloads, ONNX sessions, vision chat endpoints, local captioners. */
export const modelIoErrors = defineErrors({
  HUB_OFFLINE: { category: 'environment', summary: 'a model file is not in the local cache and the Hugging Face Hub cannot be reached' },
  HUB_NOT_FOUND: { category: 'input', summary: 'the Hugging Face Hub has no such model repository, revision or file' },
  HUB_DOWNLOAD_FAILED: { category: 'environment', summary: 'a download from the Hugging Face Hub failed (network, server error, disk)' },
  HUB_CORRUPT: { category: 'environment', summary: 'a downloaded model file did not match its checksum and was rejected' },
  ONNX_LOAD_FAILED: { category: 'input', summary: 'an ONNX model file cannot be loaded (damaged, truncated or not ONNX)' },
  ONNX_RUN_FAILED: { category: 'input', summary: 'running an ONNX model failed (input shape or operator the model does not accept)' },
  CHAT_UNREACHABLE: { category: 'environment', summary: 'the vision chat endpoint (Ollama, LM Studio, vLLM ...) is not reachable' },
  CHAT_TIMEOUT: { category: 'environment', summary: 'the vision chat endpoint did not answer within the timeout' },
  CHAT_HTTP_ERROR: { category: 'environment', summary: 'the vision chat endpoint answered with an HTTP error (unknown model, bad key, server error)' },
  CHAT_BAD_RESPONSE: { category: 'environment', summary: 'the vision chat endpoint answered with something that is not an OpenAI chat completion' },
  LOCAL_CAPTIONER_FAILED: { category: 'environment', summary: 'the local (transformers.js) captioning model failed to load or run' },
});

import { defineErrors } from '../core/index.js';

export const faceErrors = defineErrors({
  FACE_MODEL_LOAD_FAILED: { category: 'environment', summary: 'the face model (bundled or ONNX) could not be loaded' },
  FACE_ANALYSIS_FAILED: { category: 'internal', summary: 'the face model failed while analysing an image' },
  FACE_MODEL_DOWNLOAD_FAILED: { category: 'environment', summary: 'the ONNX face model could not be downloaded' },
  FACE_MODEL_CHECKSUM: { category: 'input', summary: 'a downloaded ONNX face model does not match the expected SHA-256' },
  FACE_MODEL_BAD: { category: 'input', summary: 'an ONNX face model does not have the expected input/output shape' },
});

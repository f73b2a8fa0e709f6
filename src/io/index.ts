export { clipTokenize, isSingleClipToken } from './clip-tokenizer.js';
export { imageErrors } from './errors.js';
export {
  probeImage,
  openImage,
  decodeRgb,
  encodeForTraining,
  encodeRaw,
  sniffFormat,
  imageDecodeError,
  configureImageThreads,
  ENGINE_READABLE_FORMATS,
  IMPORTABLE_EXTENSIONS,
  MAX_INPUT_PIXELS,
  type ImageFormat,
  type ImageProbe,
  type RawImage,
  type DecodeOptions,
} from './image.js';
export { decodeBmp, encodeBmp } from './bmp.js';
export { modelIoErrors } from './model-errors.js';
export { openOnnxSession, type OnnxSession, type OnnxValueInfo, type FloatTensor, type OpenOnnxOptions } from './onnx-session.js';
export {
  hubDownload,
  hubCacheDir,
  hubEndpoint,
  hubRepoFolder,
  isHubOffline,
  isValidRepoId,
  findCachedHubFile,
  DEFAULT_HUB_ENDPOINT,
  type HubOptions,
  type HubFileRequest,
  type HubFile,
} from './hub-download.js';
export { readTaggerInput, decodeForTagger, encodeForVisionModel, decodeForCaptioner } from './model-input.js';
export { taggerTensorFromRgb, padAndAreaResize, lanczosResize, compositeOnWhite, squarePadding, padToSquare } from './engine-resize.js';
export { describeImageWithChat, type VisionChatOptions, type VisionChatRequest, type VisionChatResult } from './openai-chat.js';
export { openLocalCaptioner, fetchLocalCaptionerFiles, type LocalCaptioner, type LocalCaptionerOptions, type LocalCaptionerFamily } from './transformers-captioner.js';
export { faceErrors } from './face-errors.js';
export { cosineSimilarity, normalizeEmbedding, type DetectedFace, type FaceAnalysis, type FaceEmbedder, type RgbPixels } from './face-types.js';
export { loadHumanFaceEmbedder, HUMAN_FACE_MODEL_ID, type HumanFaceOptions } from './face-human.js';
export { differenceHash, hammingDistance, type ImageHash } from './image-hash.js';
export { startHumanPool, type HumanPool } from './face-human.js';
export { humanCohortMean } from './face-cohort.js';
export { loadOnnxFaceEmbedder, resolveOnnxFaceModel, onnxFaceModelId, alignFace, similarityTransform, type OnnxFaceOptions, type ResolveOnnxOptions } from './face-onnx.js';

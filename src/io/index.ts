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

export { clipTokenize } from './clip-tokenizer.js';
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

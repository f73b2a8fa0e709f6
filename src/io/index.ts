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
export { findImageFiles, isImageFileName, type FindImageFilesOptions } from './image-files.js';
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
export { taggerTensorFromRgb, padAndAreaResize, squarePadding, padToSquare } from './engine-resize.js';
export { lanczosResize, compositeOnWhite } from './pil-image.js';
export { describeImageWithChat, type VisionChatOptions, type VisionChatRequest, type VisionChatResult } from './openai-chat.js';
export { openLocalCaptioner, fetchLocalCaptionerFiles, type LocalCaptioner, type LocalCaptionerOptions, type LocalCaptionerFamily } from './transformers-captioner.js';
export { faceErrors } from './face-errors.js';
export { cosineSimilarity, normalizeEmbedding, type DetectedFace, type FaceAnalysis, type FaceEmbedder, type RgbPixels, type ModelCalibration, type PairDistribution } from './face-types.js';
export { loadTfjsFaceEmbedder, type HumanFaceOptions } from './face-human.js';
export { TFJS_FACE_MODELS, TFJS_FACE_MODEL_SPECS, FACE_MODEL_BASE_URL, tfjsFaceModelId, resolveTfjsFaceModel, type TfjsFaceModelName, type TfjsFaceModelSpec, type ResolvedTfjsFaceModel, type ResolveTfjsOptions } from './face-models.js';
export { alignFace, similarityTransform, meanEmbedding, TEMPLATE_112, type AlignOptions } from './face-align.js';
export { fetchVerified } from './face-download.js';
export { differenceHash, hammingDistance, type ImageHash } from './image-hash.js';
export { startHumanPool, type HumanPool } from './face-human.js';
export { loadOnnxFaceEmbedder, resolveOnnxFaceModel, onnxFaceModelId, ARCFACE_CALIBRATION, type OnnxFaceOptions, type ResolveOnnxOptions } from './face-onnx.js';
export { renderContactSheet, makeThumbnail, type ContactSheetOptions, type SheetCell } from './contact-sheet.js';
export { runCaptured, killGroup, spawnSupervised, runProgram, createLineSplitter, createLineReader, type LineSplitter, openInDefaultApp, isProcessAlive, type CapturedResult, type CapturedOptions, type SupervisedProcess, type SupervisedExit, type SupervisedOptions, type RunProgramOptions, type ProgramOutcome } from './process.js';
export { startTaggerInputPool, type TaggerInputPool } from './tagger-input-pool.js';
export { findBrowser, BROWSER_NAMES, BROWSER_INSTALL_HINT, HEADLESS_BROWSER_ARGS, type FoundBrowser, type BrowserLookup } from './browser.js';
export {
  posixQuote,
  formatRemoteCommand,
  quoteRemoteWord,
  sshOptions,
  rsyncShell,
  classifySshFailure,
  runPiped,
  spawnPiped,
  runSsh,
  spawnSsh,
  sshArgv,
  checkMaster,
  controlSocketPath,
  startMaster,
  stopMaster,
  type SshClient,
  type SshEndpoint,
  type SshFailure,
  type SshFailureKind,
  type SshCommandResult,
  type SshCommandOptions,
} from './ssh.js';
export { openSqlite, isSqliteBusy, type SqliteDatabase, type SqliteStatement, type OpenSqliteOptions } from './sqlite.js';
export { spawnWorkerProcess, processStartTicks, signalProcess, type WorkerSpawnOptions } from './worker-process.js';

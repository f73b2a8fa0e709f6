export { loraErrors } from './errors.js';
export { DTYPE_ORDER, decodeFloats, encodeFloats, toHalfBits, toBfloat16Bits, dtypeBits, isDtype, type Dtype, type WritableDtype } from './dtypes.js';
export { parseJsonStrict, JsonHeaderError, type JsonValue, type JsonObject } from './json-header.js';
export {
  MAX_HEADER_BYTES,
  fileByteSource,
  memoryByteSource,
  numelOf,
  openSafetensors,
  openSafetensorsSource,
  parseHeaderLength,
  parseSafetensorsHeader,
  withSafetensors,
  type ByteSource,
  type SafetensorsFile,
  type SafetensorsHeader,
  type TensorInfo,
} from './safetensors-read.js';
export { buildHeader, byteLengthOf, orderForWriting, writeSafetensors, type TensorToWrite, type WriteSafetensorsOptions, type WriteSafetensorsResult } from './safetensors-write.js';
export { ARCHS, DIFFUSERS_PREFIX, layoutFor, type ArchId, type Layout, type LayoutModule, type Part } from './layout.js';
export { archFromMetadata, archLabel, detectArchitecture, resolveModule, scanModules, type ArchDetection, type DetectedArch, type KeyStyle, type LoraModule, type ModuleScan, type NetworkKind } from './modules.js';
export { applyQ, householderQr, jacobiSvd, toColumnMajor, toRowMajor, type HouseholderQr, type Svd } from './linalg.js';
export { chooseRank, factorSvd, MIN_SV, type DynamicMethod, type FactorSvd, type RankChoice } from './lowrank.js';
export { formatPythonFloat, readTrainingInfo, type TrainingInfo } from './metadata.js';
export { computeLoraHashes, computeSshsLegacyHash, type LoraHashes, type StoredHashCheck } from './hashes.js';
export { parseDynamicRank, type DynamicRank, type ModuleRankReport, type RankSummary } from './rank-plan.js';
export { resizeLora, type ResizeOptions, type ResizeResult } from './resize.js';
export { mergeLoras, type MergeInput, type MergeOptions, type MergeResult } from './merge.js';
export { convertLora, type ConvertOptions, type ConvertResult, type ConvertTarget } from './convert.js';
export { checkLoaders, type LoaderId, type LoaderVerdict } from './compat.js';
export { verifyAgainstBase, type BaseFormat, type ModuleMismatch, type VerifyResult } from './verify.js';
export { seededRandom, syntheticBaseTensors, syntheticLoraMetadata, syntheticLoraTensors, syntheticModules, type SyntheticLoraOptions } from './synthetic.js';
export { inspectLora, type InspectOptions, type LoraInspection } from './inspect.js';

export { datasetErrors } from './errors.js';
export {
  assignBucket,
  checkBucketSettings,
  makeBucketResolutions,
  predefinedBuckets,
  formatSize,
  ENGINE_BUCKET_DEFAULTS,
  type Size,
  type BucketOptions,
  type BucketAssignment,
  type BucketSettingsCheck,
} from './buckets.js';
export { findPhotoRecord, listPhotos, photoPath, readPhotoIndexFile, type PhotoRecord } from './photo-index.js';
export { readManifest, readManifestIfAny, type DatasetManifest, type ManifestImage } from './manifest.js';
export { importPhotos, type ImportOptions, type ImportResult, type ImportedPhoto, type SkippedPhoto, type FailedInput } from './import.js';
export { checkPhotos, findDuplicates, DOCTOR_THRESHOLDS, type PhotoReport, type PhotoVerdict, type DuplicateGroup, type PhotoCheckResult, type PhotoCheckOptions } from './doctor.js';
export { writeDataset, selectUsablePhotos, planTreatment, type WriteDatasetOptions, type WriteDatasetResult, type CaptionChoice, type UsablePhotos } from './prepare.js';
export { removePhotos, restoreRemovedPhotos, type RemoveResult, type RestoreResult } from './remove.js';
export { measurePixels, hammingDistance, ANALYSIS_SIDE_PX, type PixelStats } from './analyze.js';

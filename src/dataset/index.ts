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
export { listPhotos, photoPath, readPhotoIndexFile, type PhotoRecord } from './photo-index.js';
export { readManifest, type DatasetManifest, type ManifestImage } from './manifest.js';

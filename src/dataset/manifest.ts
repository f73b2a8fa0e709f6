/**
 * dataset/manifest.json: what `tack prepare` wrote, from which photo. The engine module reads it
 * to write the dataset TOML (image_dir, num_repeats, class_tokens: P21 means repeats must be in
 * the TOML, the folder prefix is not parsed there).
 */
import { readJson } from '../core/index.js';
import type { ProjectPaths } from '../project/index.js';
import type { Size } from './buckets.js';
import { datasetErrors } from './errors.js';

export interface ManifestImage {
  /** Source photo, relative to the project: photos/IMG_0001.HEIC */
  readonly photo: string;
  readonly photoSha256: string;
  /** Written image, relative to the project: dataset/img/40_xanrms woman/IMG_0001.jpg */
  readonly image: string;
  /** Written caption, relative to the project (same stem, .txt). */
  readonly caption: string;
  /** The caption text written (first line is what the engine reads). */
  readonly captionText: string;
  /** Where the caption came from: the photo's caption file, or trigger + class (none yet). */
  readonly captionSource: 'file' | 'default';
  /** 'copy': bytes unchanged; 'converted': decoded and re-encoded (why in `reasons`). */
  readonly transform: 'copy' | 'converted';
  readonly reasons: readonly string[];
  /** Size of the written image, as the engine reads it from the header. */
  readonly width: number;
  readonly height: number;
  /** The engine's bucket for it under the project's [buckets] settings. */
  readonly bucket: Size;
  /** Bytes of the written image (to notice it was changed or deleted by hand). */
  readonly imageBytes: number;
}

export interface DatasetManifest {
  readonly version: 1;
  readonly writtenAt: string;
  readonly token: string;
  readonly className: string;
  readonly repeats: number;
  /** Parent of the subset folder (the engine's train_data_dir), relative to the project. */
  readonly trainDataDir: string;
  /** The subset folder `<repeats>_<token> <class>`, relative to the project. */
  readonly imageDir: string;
  /** class_tokens: "<token> <class>" (used by the engine when an image has no caption). */
  readonly classTokens: string;
  readonly captionExtension: '.txt';
  /** False while `tack prepare` is still writing (an interrupted prepare leaves it false). */
  readonly complete: boolean;
  readonly images: readonly ManifestImage[];
}

/** The manifest as last written, complete or not (undefined when there is none). */
export async function readManifestIfAny(paths: ProjectPaths): Promise<DatasetManifest | undefined> {
  try {
    return (await readJson<DatasetManifest | null>(paths.manifestFile, null)) ?? undefined;
  } catch {
    return undefined;
  }
}

export async function readManifest(paths: ProjectPaths): Promise<DatasetManifest> {
  const manifest = await readJson<DatasetManifest | null>(paths.manifestFile, null);
  if (!manifest || !manifest.complete) {
    throw datasetErrors.create('DATASET_NOT_PREPARED', manifest ? `The training dataset in ${paths.datasetDir} is incomplete: the last tack prepare was interrupted.` : `${paths.manifestFile} does not exist: the training dataset has not been written.`, `Run: tack prepare ${paths.root}`);
  }
  return manifest;
}

/**
 * `tack prepare`: writes the training-ready kohya dataset (sd-scripts.md 1.6):
 *   dataset/img/<repeats>_<token> <class>/<stem>.<jpg|png|webp|bmp> + <stem>.txt
 * Photos the engine would misread are re-encoded (EXIF rotation baked in: P1; HEIC/TIFF/GIF/AVIF
 * converted: P2; CMYK, 16-bit and transparency normalised); the others are copied byte for byte.
 * Incremental: only photos whose content, treatment or caption changed are rewritten. Every file
 * is written atomically and the manifest is flushed as it goes, so Ctrl-C and rerun is safe.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { copyFileAtomic, finding, mapConcurrent, pathExists, throwIfCancelled, writeFileAtomic, writeJsonAtomic, type Finding, type ProgressListener } from '../core/index.js';
import { encodeForTraining, ENGINE_READABLE_FORMATS, type ImageProbe } from '../io/index.js';
import type { Project } from '../project/index.js';
import { kohyaFolderName } from '../plan/recipe.js';
import { loadAnalysis } from './analysis-cache.js';
import { assignBucket, checkBucketSettings, predefinedBuckets, type BucketOptions } from './buckets.js';
import { datasetErrors } from './errors.js';
import { readManifestIfAny, type DatasetManifest, type ManifestImage } from './manifest.js';
import { photoPath, type PhotoRecord } from './photo-index.js';

export interface CaptionChoice {
  readonly text: string;
  readonly source: 'file' | 'default';
  /** What was changed or why the default was used (shown by prepare). */
  readonly notes: readonly Finding[];
}

export interface WriteDatasetOptions {
  /** Repeats for the subset folder (from the plan). */
  readonly repeats: number;
  readonly buckets: BucketOptions;
  /** The caption written for a photo (rules live in the caption module). */
  captionFor(photo: PhotoRecord): Promise<CaptionChoice>;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  readonly concurrency?: number;
}

export interface WriteDatasetResult {
  readonly manifest: DatasetManifest;
  readonly written: number;
  readonly unchanged: number;
  readonly removed: number;
  readonly excluded: ReadonlyArray<{ readonly file: string; readonly reason: string }>;
  readonly findings: readonly Finding[];
}

interface Treatment {
  readonly kind: 'copy' | 'converted';
  readonly ext: string;
  readonly reasons: string[];
}

const COPY_EXT: Record<string, string> = { jpeg: '.jpg', png: '.png', webp: '.webp', bmp: '.bmp' };
const LOSSLESS_SOURCES = new Set(['png', 'tiff', 'bmp', 'gif']);
const MANIFEST_FLUSH_EVERY = 20;
/**
 * Dataset files can be rebuilt from the photos, and the (durable) manifest records each image's
 * size and caption, so a file cut short by a power loss is noticed and rewritten: no fsync each.
 */
const REBUILDABLE = { durable: false } as const;

/** How a photo must be written so the engine reads what the user sees. */
export function planTreatment(probe: ImageProbe): Treatment {
  const reasons: string[] = [];
  if (probe.orientation !== 1) reasons.push(`EXIF orientation ${probe.orientation} baked in`);
  if (!ENGINE_READABLE_FORMATS.has(probe.format)) reasons.push(`${probe.format.toUpperCase()} is not read by the trainer`);
  if (probe.colorSpace === 'cmyk') reasons.push('CMYK converted to sRGB');
  if (probe.bitDepth > 8) reasons.push(`${probe.bitDepth}-bit reduced to 8-bit`);
  if (probe.hasAlpha) reasons.push('transparency filled with white');
  if (probe.pages > 1) reasons.push('first frame of an animation');
  if (reasons.length === 0) return { kind: 'copy', ext: COPY_EXT[probe.format] as string, reasons };
  return { kind: 'converted', ext: LOSSLESS_SOURCES.has(probe.format) ? '.png' : '.jpg', reasons };
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    return (await fsp.stat(file)).size;
  } catch {
    return undefined;
  }
}

/** Removes the engine's latent / text-encoder caches (among `cacheNames`, the folder's .npz files) of an image whose pixels changed. */
async function removeEngineCaches(dir: string, cacheNames: readonly string[], stem: string): Promise<void> {
  for (const name of cacheNames) {
    if (isCacheOf(name, stem)) await fsp.rm(path.join(dir, name), { force: true });
  }
}

export interface UsablePhotos {
  readonly usable: ReadonlyArray<{ readonly photo: PhotoRecord; readonly probe: ImageProbe }>;
  readonly excluded: ReadonlyArray<{ readonly file: string; readonly reason: string }>;
}

/** Photos that can be decoded; the others are left out of the dataset (the doctor says why). */
export async function selectUsablePhotos(project: Project, photos: readonly PhotoRecord[], signal?: AbortSignal): Promise<UsablePhotos> {
  const usable: Array<{ photo: PhotoRecord; probe: ImageProbe }> = [];
  const excluded: Array<{ file: string; reason: string }> = [];
  for (const photo of photos) {
    throwIfCancelled(signal);
    const analysis = await loadAnalysis(project.paths, photo);
    const problem = photo.probeError ?? analysis?.decodeError;
    if (problem || !photo.probe) excluded.push({ file: photo.file, reason: problem?.message ?? 'unreadable' });
    else usable.push({ photo, probe: photo.probe });
  }
  return { usable, excluded };
}

function isCacheOf(name: string, stem: string): boolean {
  if (!name.endsWith('.npz') || !name.startsWith(stem)) return false;
  const rest = name.slice(stem.length, -'.npz'.length);
  return rest === '' || rest === '_te_outputs' || /^_\d{4,}x\d{4,}_sdxl$/.test(rest);
}

export async function writeDataset(project: Project, photos: readonly PhotoRecord[], options: WriteDatasetOptions): Promise<WriteDatasetResult> {
  const { paths, config } = project;
  const check = checkBucketSettings(options.buckets);
  if (check.errors.length > 0) {
    throw datasetErrors.create('DATASET_BAD_BUCKETS', `The [buckets] settings in tack.toml are refused by the trainer: ${check.errors.join('; ')}.`, 'Fix [buckets] in tack.toml (bucket_reso_steps a multiple of 32, max_bucket_reso at least the resolution).');
  }
  const buckets = check.options;
  const list = predefinedBuckets(buckets);
  const findings: Finding[] = [];

  const { usable, excluded } = await selectUsablePhotos(project, photos, options.signal);
  for (const x of excluded) {
    findings.push(finding('warning', 'PREPARE_EXCLUDED', `Left out: ${x.reason}`, { subject: x.file, fix: 'Replace or remove the photo (tack doctor explains).' }));
  }
  if (usable.length === 0) {
    throw datasetErrors.create('DATASET_NO_IMAGES', `${paths.root} has no usable photos to prepare.`, `Add photos with: tack add ${paths.root} <photos or folders>`);
  }

  const folderName = kohyaFolderName(options.repeats, config.token, config.class);
  const subsetDir = path.join(paths.datasetImgDir, folderName);
  const previous = await readManifestIfAny(paths);
  const previousDir = previous ? path.join(paths.root, previous.imageDir) : undefined;
  await fsp.mkdir(paths.datasetImgDir, { recursive: true });
  if (previousDir && previousDir !== subsetDir && (await pathExists(previousDir)) && !(await pathExists(subsetDir))) {
    await fsp.rename(previousDir, subsetDir); // the repeats changed: rename instead of rewriting every image
  }
  await fsp.mkdir(subsetDir, { recursive: true });
  // Only the trainer writes caches, so one listing serves the whole write.
  const cacheNames = (await fsp.readdir(subsetDir)).filter((name) => name.endsWith('.npz'));
  for (const name of await fsp.readdir(paths.datasetImgDir)) {
    if (name !== folderName) {
      findings.push(
        finding('warning', 'PREPARE_FOREIGN_FOLDER', `dataset/img/${name} was not written by this prepare: a trainer pointed at dataset/img would train it too.`, {
          subject: `dataset/img/${name}`,
          fix: 'Delete it if it is left over.',
        }),
      );
    }
  }
  const previousByStem = new Map((previous?.images ?? []).map((m) => [path.parse(m.image).name, m]));
  const rel = (p: string) => path.relative(paths.root, p).split(path.sep).join('/');
  const entries: ManifestImage[] = new Array(usable.length);
  let written = 0;
  let unchanged = 0;
  let done = 0;

  const base = {
    version: 1 as const,
    token: config.token,
    className: config.class,
    repeats: options.repeats,
    trainDataDir: rel(paths.datasetImgDir),
    imageDir: rel(subsetDir),
    classTokens: `${config.token} ${config.class}`,
    captionExtension: '.txt' as const,
  };
  const flush = (complete: boolean) =>
    writeJsonAtomic(paths.manifestFile, { ...base, writtenAt: new Date().toISOString(), complete, images: entries.filter(Boolean) } satisfies DatasetManifest);

  await mapConcurrent(
    usable,
    options.concurrency ?? 2,
    async ({ photo, probe }, index) => {
      const stem = path.parse(photo.file).name;
      const treatment = planTreatment(probe);
      const imageFile = path.join(subsetDir, `${stem}${treatment.ext}`);
      const captionFile = path.join(subsetDir, `${stem}.txt`);
      const before = previousByStem.get(stem);
      const sameImage =
        before !== undefined &&
        before.photoSha256 === photo.sha256 &&
        before.transform === treatment.kind &&
        path.basename(before.image) === path.basename(imageFile) &&
        (await fileSize(imageFile)) === before.imageBytes;
      let width = probe.orientedWidth;
      let height = probe.orientedHeight;
      let imageBytes = before?.imageBytes ?? 0;
      if (!sameImage) {
        if (treatment.kind === 'copy') {
          await copyFileAtomic(photoPath(paths, photo), imageFile, REBUILDABLE);
        } else {
          const encoded = await encodeForTraining(photoPath(paths, photo), probe, { format: treatment.ext === '.png' ? 'png' : 'jpeg' });
          await writeFileAtomic(imageFile, encoded.data, REBUILDABLE);
          width = encoded.width;
          height = encoded.height;
        }
        imageBytes = (await fileSize(imageFile)) ?? 0;
        await removeEngineCaches(subsetDir, cacheNames, stem);
        written++;
      } else {
        width = before.width;
        height = before.height;
      }
      const caption = await options.captionFor(photo);
      findings.push(...caption.notes);
      const captionText = caption.text.replace(/[\r\n]+/g, ' ').trim();
      const current = await fsp.readFile(captionFile, 'utf8').catch(() => undefined);
      if (current !== `${captionText}\n`) {
        await writeFileAtomic(captionFile, `${captionText}\n`, REBUILDABLE);
        if (sameImage) written++;
      } else if (sameImage) {
        unchanged++;
      }
      entries[index] = {
        photo: rel(photoPath(paths, photo)),
        photoSha256: photo.sha256,
        image: rel(imageFile),
        caption: rel(captionFile),
        captionText,
        captionSource: caption.source,
        transform: treatment.kind,
        reasons: treatment.reasons,
        width,
        height,
        bucket: assignBucket(width, height, buckets, list).bucket,
        imageBytes,
      };
      done++;
      options.onProgress?.({ done, total: usable.length, item: photo.file });
      if (done % MANIFEST_FLUSH_EVERY === 0) await flush(false);
    },
    options.signal,
  );

  // Remove what belongs to photos no longer in the project.
  const keep = new Set(entries.flatMap((e) => [path.basename(e.image), path.basename(e.caption)]));
  const keepStems = new Set(entries.map((e) => path.parse(e.image).name));
  let removed = 0;
  for (const name of await fsp.readdir(subsetDir)) {
    const ext = path.extname(name).toLowerCase();
    const isOurs = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.txt'].includes(ext);
    if (isOurs && !keep.has(name)) {
      await fsp.rm(path.join(subsetDir, name), { force: true });
      removed++;
    } else if (ext === '.npz' && ![...keepStems].some((stem) => isCacheOf(name, stem))) {
      await fsp.rm(path.join(subsetDir, name), { force: true });
    }
  }
  await flush(true);
  const manifest = { ...base, writtenAt: new Date().toISOString(), complete: true, images: entries };
  return { manifest, written, unchanged, removed, excluded, findings };
}

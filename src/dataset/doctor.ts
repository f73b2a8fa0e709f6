/**
 * Photo checks for `tack doctor`: what will go wrong in training with each photo, and what to do.
 * Every finding names the photo and carries a fix. Thresholds are in DOCTOR_THRESHOLDS with the
 * reason for each; docs/dataset.md explains them to users.
 */
import { finding, mapConcurrent, type Finding, type ProgressListener } from '../core/index.js';
import { ENGINE_READABLE_FORMATS } from '../io/index.js';
import type { ProjectPaths } from '../project/index.js';
import { hammingWords, hashWords, thumbValueDistance, thumbValues, type PixelStats } from './analyze.js';
import { loadAnalysis, type PhotoAnalysis } from './analysis-cache.js';
import { assignBucket, formatSize, predefinedBuckets, type BucketAssignment, type BucketOptions } from './buckets.js';
import type { PhotoRecord } from './photo-index.js';

export const DOCTOR_THRESHOLDS = {
  /**
   * Top-quarter Laplacian variance at ANALYSIS_SIDE_PX (800). bench/sharpness.ts blurs photos
   * by a Gaussian of sigma px at 1024 (what the trainer sees): sharp photos measure 600-1300,
   * sigma 1 74-244 (soft), sigma 1.5 29-68, sigma 2 15-32 (blurry). These are the 1024 px
   * thresholds (25 and 80) times 2.4, the ratio measured between the two sizes.
   */
  blurry: 60,
  soft: 190,
  /** Mean luma (0-255) below which a photo is too dark to show the subject's features. */
  darkMeanLuma: 50,
  /** Share of crushed-black pixels (luma < 16) that hides detail. */
  darkFraction: 0.4,
  /** Share of blown-out pixels (luma >= 250). */
  clippedFraction: 0.2,
  /** Mean channel spread below which a photo is black-and-white. */
  grayscaleColorfulness: 4,
  /** Bucket crop above this share of the image is reported (P18). */
  cropWarning: 0.12,
  cropNote: 0.04,
  /** Engine upscale factor above which detail is visibly invented (P17). */
  upscaleWarning: 1.05,
  upscaleStrong: 1.5,
  /**
   * Near-duplicates (P19): pHash Hamming distance (of 64 bits) at most this, and 8x8 colour
   * thumbnails within nearDuplicateColour (mean 0-255 difference). Resized, recompressed,
   * slightly blurred or cropped copies and burst shots pass both; different photos with a
   * similar composition (many headshots do) differ in colour or detail.
   */
  nearDuplicate: 10,
  nearDuplicateColour: 14,
} as const;

export type PhotoVerdict = 'ok' | 'check' | 'unusable';

export interface PhotoReport {
  readonly file: string;
  readonly verdict: PhotoVerdict;
  /** Higher = hurts training more; used to rank photos worst first. */
  readonly harm: number;
  readonly findings: readonly Finding[];
  readonly format?: string;
  /** Size as shown (EXIF orientation applied), which is what tack prepares. */
  readonly size?: readonly [number, number];
  readonly bucket?: BucketAssignment;
  readonly stats?: PixelStats;
}

export interface DuplicateGroup {
  readonly kind: 'exact' | 'near';
  readonly files: readonly string[];
  /** The one to keep (largest, sharpest). */
  readonly keep: string;
}

export interface PhotoCheckResult {
  readonly photos: readonly PhotoReport[];
  readonly duplicates: readonly DuplicateGroup[];
}

export interface PhotoCheckOptions {
  readonly buckets: BucketOptions;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  /** Photos decoded at once (default 2, one per core). */
  readonly concurrency?: number;
}

const ORIENTATION_WORDS: Record<number, string> = {
  2: 'mirrored',
  3: 'upside down',
  4: 'upside down and mirrored',
  5: 'turned on its side and mirrored',
  6: 'turned 90° (stored sideways)',
  7: 'turned on its side and mirrored',
  8: 'turned 90° the other way (stored sideways)',
};

const HARM: Record<string, number> = {
  DOCTOR_UNREADABLE: 100,
  DOCTOR_BLURRY: 40,
  DOCTOR_SOFT: 12,
  DOCTOR_LOW_RESOLUTION: 20,
  DOCTOR_SMALL: 8,
  DOCTOR_NEAR_DUPLICATE: 15,
  DOCTOR_DUPLICATE: 30,
  DOCTOR_DARK: 10,
  DOCTOR_OVEREXPOSED: 10,
  DOCTOR_GRAYSCALE: 6,
  DOCTOR_HEAVY_CROP: 6,
  DOCTOR_TRANSPARENT: 4,
  DOCTOR_ANIMATED: 4,
};

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function photoFindings(photo: PhotoRecord, analysis: PhotoAnalysis | undefined, buckets: BucketOptions, list: ReturnType<typeof predefinedBuckets>): PhotoReport {
  const f: Finding[] = [];
  const subject = photo.file;
  const unreadable = photo.probeError ?? analysis?.decodeError;
  if (unreadable || !photo.probe) {
    const reason = unreadable ?? { code: 'IMAGE_CORRUPT', message: 'unknown', hint: '' };
    f.push(
      finding('error', 'DOCTOR_UNREADABLE', reason.message.replace(/^\S*photos\//, ''), {
        subject,
        fix: `${reason.hint} Or remove it: tack remove <project> "${photo.file}".`,
        data: { code: reason.code },
      }),
    );
    return { file: photo.file, verdict: 'unusable', harm: HARM.DOCTOR_UNREADABLE as number, findings: f };
  }
  const probe = photo.probe;
  const size: [number, number] = [probe.orientedWidth, probe.orientedHeight];
  if (probe.orientation !== 1) {
    f.push(
      finding('info', 'DOCTOR_EXIF_ROTATED', `Stored ${ORIENTATION_WORDS[probe.orientation] ?? 'rotated'} with an EXIF orientation flag (${probe.orientation}); the trainer ignores the flag and would learn it sideways (P1).`, {
        subject,
        fix: 'Nothing to do: tack prepare writes it upright.',
        data: { orientation: probe.orientation },
      }),
    );
  }
  if (!ENGINE_READABLE_FORMATS.has(probe.format)) {
    f.push(
      finding('info', 'DOCTOR_FORMAT_CONVERTED', `${probe.format.toUpperCase()} is skipped silently by the trainer, which reads only PNG, JPEG, WebP and BMP (P2).`, {
        subject,
        fix: 'Nothing to do: tack prepare converts it to JPEG.',
        data: { format: probe.format },
      }),
    );
  }
  if (probe.colorSpace === 'cmyk') {
    f.push(finding('info', 'DOCTOR_CMYK', 'CMYK colours: the trainer converts them naively and colours shift.', { subject, fix: 'Nothing to do: tack prepare converts it to sRGB.' }));
  }
  if (probe.bitDepth > 8) {
    f.push(finding('info', 'DOCTOR_16_BIT', `${probe.bitDepth}-bit channels: the trainer can misread high bit depths (greyscale 16-bit turns white).`, { subject, fix: 'Nothing to do: tack prepare writes 8-bit sRGB.' }));
  }
  if (probe.hasAlpha) {
    f.push(
      finding('warning', 'DOCTOR_TRANSPARENT', 'Has transparency: the trainer drops the alpha channel, so hidden pixels (often black) show.', {
        subject,
        fix: 'tack prepare fills transparent areas with white; if the subject was cut out, a real background trains better.',
      }),
    );
  }
  if (probe.pages > 1) {
    f.push(finding('warning', 'DOCTOR_ANIMATED', `Animated (${probe.pages} frames): only the first frame is used.`, { subject, fix: 'Extract the best frame as a still photo if the first is not it.' }));
  }
  const bucket = assignBucket(size[0], size[1], buckets, list);
  if (bucket.upscaled && bucket.scale > DOCTOR_THRESHOLDS.upscaleWarning) {
    const strong = bucket.scale > DOCTOR_THRESHOLDS.upscaleStrong;
    f.push(
      finding('warning', strong ? 'DOCTOR_LOW_RESOLUTION' : 'DOCTOR_SMALL', `${formatSize(size)} is smaller than its ${formatSize(bucket.bucket)} bucket: the trainer enlarges it ${bucket.scale.toFixed(2)}x, and enlarged photos lose detail (P17).`, {
        subject,
        fix: strong ? 'Replace it with a larger original, or drop it: low-resolution photos blur the likeness.' : 'Use a larger original if you have one.',
        data: { scale: bucket.scale },
      }),
    );
  } else if (buckets.noUpscale && buckets.enableBucket) {
    const area = bucket.bucket[0] * bucket.bucket[1];
    const target = buckets.resolution[0] * buckets.resolution[1];
    if (area < target * 0.5) {
      f.push(
        finding('warning', 'DOCTOR_SMALL', `Trained at ${formatSize(bucket.bucket)}, ${pct(area / target)} of the ${formatSize(buckets.resolution)} area (bucket_no_upscale keeps small photos small).`, {
          subject,
          fix: 'Use a larger original if you have one.',
        }),
      );
    }
  }
  if (bucket.cropFraction > DOCTOR_THRESHOLDS.cropNote) {
    const [cx, cy] = bucket.cropped;
    const where = cx > 0 ? `${Math.floor(cx / 2)} px from the left and right` : `${Math.floor(cy / 2)} px from the top and bottom`;
    const heavy = bucket.cropFraction > DOCTOR_THRESHOLDS.cropWarning;
    f.push(
      finding(heavy ? 'warning' : 'info', heavy ? 'DOCTOR_HEAVY_CROP' : 'DOCTOR_CROP', `Bucketing cuts ${pct(bucket.cropFraction)} of it: resized to ${formatSize(bucket.resized)} then cropped ${where} to ${formatSize(bucket.bucket)} (P18).`, {
        subject,
        fix: heavy ? 'Crop it yourself to a less extreme shape so you choose what stays (e.g. 2:3 or 3:4).' : 'Check nothing important is at the edges.',
        data: { cropFraction: bucket.cropFraction },
      }),
    );
  }
  const stats = analysis?.stats;
  if (stats) {
    if (stats.sharpness < DOCTOR_THRESHOLDS.blurry) {
      f.push(
        finding('warning', 'DOCTOR_BLURRY', `Blurry: sharpness ${stats.sharpness.toFixed(0)}, under ${DOCTOR_THRESHOLDS.blurry} (sharp photos measure 600 and more).`, {
          subject,
          fix: 'Drop it: a blurry photo teaches blur, and the recipe found image quality the biggest factor in likeness.',
          data: { sharpness: stats.sharpness },
        }),
      );
    } else if (stats.sharpness < DOCTOR_THRESHOLDS.soft) {
      f.push(
        finding('warning', 'DOCTOR_SOFT', `Slightly soft: sharpness ${stats.sharpness.toFixed(0)}, under ${DOCTOR_THRESHOLDS.soft}.`, {
          subject,
          fix: 'Keep it only if it shows something the sharper photos do not (an angle, an expression).',
          data: { sharpness: stats.sharpness },
        }),
      );
    }
    if (stats.meanLuma < DOCTOR_THRESHOLDS.darkMeanLuma || stats.darkFraction > DOCTOR_THRESHOLDS.darkFraction) {
      f.push(
        finding('warning', 'DOCTOR_DARK', `Very dark: mean brightness ${stats.meanLuma.toFixed(0)}/255, ${pct(stats.darkFraction)} crushed black.`, {
          subject,
          fix: 'Brighten it, or drop it: features in shadow are not learned.',
        }),
      );
    }
    if (stats.clippedFraction > DOCTOR_THRESHOLDS.clippedFraction) {
      f.push(finding('warning', 'DOCTOR_OVEREXPOSED', `Overexposed: ${pct(stats.clippedFraction)} of it is blown-out white.`, { subject, fix: 'Use a better-exposed photo: blown areas carry no detail.' }));
    }
    if (stats.colorfulness < DOCTOR_THRESHOLDS.grayscaleColorfulness) {
      f.push(
        finding('warning', 'DOCTOR_GRAYSCALE', 'Black-and-white: a few are fine, many make the LoRA produce monochrome or washed-out colours.', {
          subject,
          fix: 'Prefer colour photos; caption it "monochrome" so the style stays tied to that word.',
        }),
      );
    }
  }
  const harm = f.reduce((sum, x) => sum + (HARM[x.code] ?? 0), 0);
  const verdict: PhotoVerdict = f.some((x) => x.severity === 'error') ? 'unusable' : f.some((x) => x.severity === 'warning') ? 'check' : 'ok';
  return { file: photo.file, verdict, harm, findings: f, format: probe.format, size, bucket, ...(stats ? { stats } : {}) };
}

/** Groups exact (same content) and near-duplicate (perceptual hash) photos. */
export function findDuplicates(photos: readonly PhotoRecord[], reports: readonly PhotoReport[]): DuplicateGroup[] {
  const groups: DuplicateGroup[] = [];
  const byHash = new Map<string, string[]>();
  for (const p of photos) byHash.set(p.sha256, [...(byHash.get(p.sha256) ?? []), p.file]);
  const inExact = new Set<string>();
  const rank = (file: string) => {
    const r = reports.find((x) => x.file === file);
    return (r?.size ? r.size[0] * r.size[1] : 0) * (1 + Math.log1p(r?.stats?.sharpness ?? 0));
  };
  const best = (files: string[]) => [...files].sort((a, b) => rank(b) - rank(a) || a.localeCompare(b))[0] as string;
  for (const files of byHash.values()) {
    if (files.length > 1) {
      groups.push({ kind: 'exact', files, keep: best(files) });
      files.slice(1).forEach((x) => inExact.add(x));
    }
  }
  // Union-find over pairs within the pHash distance.
  const candidates = reports.filter((r) => r.stats && !inExact.has(r.file));
  const hashes = candidates.map((c) => hashWords((c.stats as PixelStats).phash));
  const thumbs = candidates.map((c) => thumbValues((c.stats as PixelStats).thumb));
  const parent = candidates.map((_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i] as number)));
  for (let i = 0; i < candidates.length; i++) {
    for (let j = i + 1; j < candidates.length; j++) {
      if (
        hammingWords(hashes[i] as [number, number], hashes[j] as [number, number]) <= DOCTOR_THRESHOLDS.nearDuplicate &&
        thumbValueDistance(thumbs[i] as number[], thumbs[j] as number[]) <= DOCTOR_THRESHOLDS.nearDuplicateColour
      ) {
        parent[root(j)] = root(i);
      }
    }
  }
  const clusters = new Map<number, string[]>();
  candidates.forEach((c, i) => clusters.set(root(i), [...(clusters.get(root(i)) ?? []), c.file]));
  for (const files of clusters.values()) if (files.length > 1) groups.push({ kind: 'near', files, keep: best(files) });
  return groups;
}

function addDuplicateFindings(reports: PhotoReport[], groups: readonly DuplicateGroup[]): PhotoReport[] {
  const extra = new Map<string, Finding>();
  for (const g of groups) {
    for (const file of g.files) {
      if (file === g.keep) continue;
      const others = g.files.filter((x) => x !== file).join(', ');
      extra.set(
        file,
        g.kind === 'exact'
          ? finding('warning', 'DOCTOR_DUPLICATE', `Same file content as ${others}: it counts twice in every epoch (P19).`, { subject: file, fix: `Remove it: tack remove <project> "${file}".` })
          : finding('warning', 'DOCTOR_NEAR_DUPLICATE', `Nearly the same picture as ${others}: together they weigh that shot double (P19).`, {
              subject: file,
              fix: `Keep the best one (${g.keep} is the largest and sharpest) and remove the others.`,
            }),
      );
    }
  }
  return reports.map((r) => {
    const f = extra.get(r.file);
    if (!f) return r;
    return { ...r, findings: [...r.findings, f], harm: r.harm + (HARM[f.code] ?? 0), verdict: r.verdict === 'ok' ? 'check' : r.verdict };
  });
}

/** Checks every photo (decoding each at most once; results are cached by content). */
export async function checkPhotos(paths: ProjectPaths, photos: readonly PhotoRecord[], options: PhotoCheckOptions): Promise<PhotoCheckResult> {
  const list = predefinedBuckets(options.buckets);
  let done = 0;
  const analyses = await mapConcurrent(
    photos,
    options.concurrency ?? 3,
    async (photo) => {
      const analysis = await loadAnalysis(paths, photo);
      options.onProgress?.({ done: ++done, total: photos.length, item: photo.file });
      return analysis;
    },
    options.signal,
  );
  const reports = photos.map((p, i) => photoFindings(p, analyses[i], options.buckets, list));
  const duplicates = findDuplicates(photos, reports);
  return { photos: addDuplicateFindings(reports, duplicates), duplicates };
}

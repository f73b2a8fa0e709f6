/**
 * The WD14 tagger pipeline: find the model files (Hugging Face cache, download, or a local
 * folder), open the ONNX model, check it is shaped like a SmilingWolf tagger, then score
 * photos in batches while the next photos are decoded and preprocessed.
 */
import { access, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileReadError, throwIfCancelled, type ProgressListener } from '../../core/index.js';
import { hubDownload, openOnnxSession, startTaggerInputPool, type HubOptions, type ImageProbe, type OnnxSession } from '../../io/index.js';
import { captionErrors } from '../errors.js';
import { parseSelectedTags, type TagLabel } from './labels.js';
import { resolveTaggerModel, taggerDirCandidates, TAGGER_LABELS_FILE, TAGGER_MODEL_FILE } from './models.js';

export interface TaggerFiles {
  readonly modelFile: string;
  readonly labelsFile: string;
  /** "owner/name" for Hub models, the folder for local ones. */
  readonly source: string;
  /** The Hub commit the files come from (absent for a local folder). */
  readonly commit?: string;
  /** True when something was downloaded now. */
  readonly downloaded: boolean;
}

export interface ResolveTaggerOptions {
  /** A folder holding model.onnx + selected_tags.csv, or the engine's --model_dir layout (<dir>/<owner>_<name>/). */
  readonly modelDir?: string;
  readonly hub?: HubOptions;
  /** Download progress in bytes (model.onnx). */
  readonly onProgress?: ProgressListener;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Finds or downloads the tagger's model.onnx and selected_tags.csv. */
export async function resolveTaggerFiles(model: string, options: ResolveTaggerOptions = {}): Promise<TaggerFiles> {
  const { repo } = resolveTaggerModel(model);
  if (options.modelDir) {
    const candidates = taggerDirCandidates(options.modelDir, repo);
    for (const dir of candidates) {
      if ((await exists(path.join(dir, TAGGER_MODEL_FILE))) && (await exists(path.join(dir, TAGGER_LABELS_FILE)))) {
        return { modelFile: path.join(dir, TAGGER_MODEL_FILE), labelsFile: path.join(dir, TAGGER_LABELS_FILE), source: path.resolve(dir), downloaded: false };
      }
    }
    throw captionErrors.create(
      'TAGGER_MODEL_DIR',
      `Neither ${options.modelDir} nor ${candidates[1]} holds both ${TAGGER_MODEL_FILE} and ${TAGGER_LABELS_FILE}.`,
      `Download both files from https://huggingface.co/${repo}/tree/main into that folder, or remove model_dir to let tack download them.`,
      { details: { modelDir: options.modelDir, repo } },
    );
  }
  const manualHint = `(${TAGGER_MODEL_FILE} and ${TAGGER_LABELS_FILE}), put them in a folder here and run with --model-dir <folder> (or set model_dir in [caption])`;
  const hub: HubOptions = { ...options.hub, manualHint: options.hub?.manualHint ?? manualHint };
  const labels = await hubDownload({ repo, file: TAGGER_LABELS_FILE }, hub);
  const weights = await hubDownload({ repo, file: TAGGER_MODEL_FILE }, { ...hub, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  return { modelFile: weights.path, labelsFile: labels.path, source: repo, commit: weights.commit, downloaded: labels.downloaded || weights.downloaded };
}

export interface Tagger {
  readonly files: TaggerFiles;
  /** Square input side read from the model (448 for the SmilingWolf taggers). */
  readonly size: number;
  /** A batch size the model forces (fixed first dimension), if any. */
  readonly fixedBatch?: number;
  readonly labels: readonly TagLabel[];
  /** Scores per image, one per label, in label order. */
  score(inputs: readonly Float32Array[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

function unsupported(file: string, why: string) {
  return captionErrors.create('TAGGER_UNSUPPORTED_MODEL', `${file} is not shaped like a WD14 tagger: ${why}.`, 'Use a SmilingWolf WD14 tagger (input [N,448,448,3] BGR 0-255, output one score per row of selected_tags.csv).', {
    details: { file },
  });
}

/** Opens the model and checks it against its labels. */
export async function loadTagger(files: TaggerFiles, options: { readonly threads?: number } = {}): Promise<Tagger> {
  let csv: string;
  try {
    csv = await readFile(files.labelsFile, 'utf8');
  } catch (cause) {
    throw fileReadError(files.labelsFile, cause);
  }
  const labels = parseSelectedTags(csv, files.labelsFile);
  const session: OnnxSession = await openOnnxSession(files.modelFile, options);
  const input = session.inputs[0];
  const output = session.outputs.find((o) => o.name === 'predictions_sigmoid') ?? session.outputs[0];
  if (!input || !output || session.inputs.length !== 1) {
    await session.close();
    throw unsupported(files.modelFile, `it has ${session.inputs.length} inputs and ${session.outputs.length} outputs`);
  }
  const [batchDim, h, w, c] = input.shape;
  if (input.shape.length !== 4 || c !== 3) {
    await session.close();
    throw unsupported(files.modelFile, `its input "${input.name}" is [${input.shape.join(', ')}], not [N, H, W, 3] (NCHW taggers are not supported)`);
  }
  const size = typeof h === 'number' ? h : typeof w === 'number' ? w : 448;
  if (typeof h === 'number' && typeof w === 'number' && h !== w) {
    await session.close();
    throw unsupported(files.modelFile, `its input is ${w}x${h}, not square`);
  }
  const tagCount = output.shape[1];
  if (typeof tagCount === 'number' && tagCount !== labels.length) {
    await session.close();
    throw captionErrors.create('TAGGER_BAD_LABELS', `${files.labelsFile} lists ${labels.length} tags but the model scores ${tagCount}.`, 'The CSV belongs to another model: download both files of the same repository again.', {
      details: { labels: labels.length, outputs: tagCount },
    });
  }
  const fixedBatch = typeof batchDim === 'number' && batchDim > 0 ? batchDim : undefined;
  return {
    files,
    size,
    ...(fixedBatch ? { fixedBatch } : {}),
    labels,
    async score(inputs) {
      const per = size * size * 3;
      const n = fixedBatch ?? inputs.length;
      const batch = new Float32Array(n * per);
      inputs.forEach((t, i) => batch.set(t, i * per));
      const result = await session.run({ [input.name]: { data: batch, dims: [n, size, size, 3] } });
      const scores = result[output.name];
      if (!scores || scores.dims.length !== 2 || scores.dims[1] !== labels.length) {
        throw captionErrors.create('TAGGER_BAD_LABELS', `${files.modelFile} returned scores of shape [${scores?.dims.join(', ') ?? ''}] for ${labels.length} labels.`, 'Use the selected_tags.csv that belongs to this model.', {
          details: { file: files.modelFile },
        });
      }
      return inputs.map((_, i) => scores.data.slice(i * labels.length, (i + 1) * labels.length));
    },
    close: () => session.close(),
  };
}

export interface TaggerItem {
  readonly key: string;
  readonly file: string;
  readonly probe: ImageProbe;
}

export type TaggerResult = { readonly kind: 'scores'; readonly scores: Float32Array } | { readonly kind: 'failed'; readonly error: unknown };

export interface RunTaggerOptions {
  readonly batchSize?: number;
  /**
   * Photos decoded while the model runs (default 0). The model uses every core, and decoding
   * next to it slows it down more than the decoding costs (measured on 2 cores: inference took
   * 37 % more CPU time); with 0, each batch is decoded between model runs, spread over the cores.
   */
  readonly prefetch?: number;
  /** Worker threads decoding and preprocessing photos (default: one per core, at most the batch size; 0: main thread). */
  readonly inputThreads?: number;
  readonly signal?: AbortSignal;
  /** Called in input order after each model run with its photos (and photos that failed to decode before it). */
  readonly onBatch: (results: readonly { readonly item: TaggerItem; readonly result: TaggerResult }[]) => Promise<void>;
}

/**
 * Scores every item in batches. Photos are decoded and preprocessed on worker threads (the
 * full-resolution INTER_AREA shrink is the costly part), a batch at a time across the cores;
 * a photo that cannot be decoded is reported and skipped, the others go on.
 */
export async function runTagger(tagger: Tagger, items: readonly TaggerItem[], options: RunTaggerOptions): Promise<void> {
  const batchSize = tagger.fixedBatch ?? Math.max(1, options.batchSize ?? 1);
  const prefetch = Math.max(0, options.prefetch ?? 0);
  const pool = startTaggerInputPool(options.inputThreads ?? Math.min(os.availableParallelism(), batchSize));
  type Prepared = { item: TaggerItem; tensor?: Float32Array; error?: unknown };
  const queue: Promise<Prepared>[] = [];
  let next = 0;
  const request = () => {
    const item = items[next++] as TaggerItem;
    queue.push(
      pool.read(item.file, item.probe, tagger.size).then(
        (tensor) => ({ item, tensor }),
        (error: unknown) => ({ item, error }),
      ),
    );
  };
  try {
    while (next < items.length || queue.length > 0) {
      throwIfCancelled(options.signal);
      // This batch's photos (all at once, so they spread over the workers), plus the prefetch.
      while (queue.length < batchSize + prefetch && next < items.length) request();
      const batch: { item: TaggerItem; tensor: Float32Array; slot: number }[] = [];
      const results: { item: TaggerItem; result: TaggerResult }[] = [];
      while (batch.length < batchSize && queue.length > 0) {
        const prepared = await (queue.shift() as Promise<Prepared>);
        if (prepared.tensor) {
          batch.push({ item: prepared.item, tensor: prepared.tensor, slot: results.length });
          results.push({ item: prepared.item, result: { kind: 'failed', error: undefined } });
        } else {
          results.push({ item: prepared.item, result: { kind: 'failed', error: prepared.error } });
        }
        if (batch.length + queue.length < batchSize && next < items.length) request();
      }
      if (batch.length > 0) {
        const scores = await tagger.score(batch.map((b) => b.tensor));
        batch.forEach((b, i) => (results[b.slot] = { item: b.item, result: { kind: 'scores', scores: scores[i] as Float32Array } }));
      }
      await options.onBatch(results);
    }
  } finally {
    await pool.close();
    // Decodes still in flight end with the pool; their results are dropped.
    await Promise.allSettled(queue);
  }
}

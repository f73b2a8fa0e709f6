/**
 * Sentence captions from a local ONNX model run by transformers.js (@huggingface/transformers,
 * on onnxruntime-node): Florence-2 (its <DETAILED_CAPTION> task) or a vision-encoder-decoder
 * captioner such as vit-gpt2. The model files are fetched with `hubDownload` into the standard
 * Hugging Face cache (resumable, checked) and transformers.js loads them from the snapshot
 * folder with remote loading switched off, so it never touches the network itself.
 */
import { readFile } from 'node:fs/promises';
import { coreErrors, type ProgressListener } from '../core/index.js';
import { hubDownload, type HubOptions } from './hub-download.js';
import type { RawImage as TackRawImage } from './image.js';
import { modelIoErrors } from './model-errors.js';

export type LocalCaptionerFamily = 'florence2' | 'vision-encoder-decoder';

export interface LocalCaptionerOptions {
  readonly repo: string;
  readonly revision?: string;
  /** ONNX weights variant: fp32 (model.onnx), fp16, q8 (model_quantized.onnx) ... */
  readonly dtype?: 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4';
  /** Florence-2 task prompt (default <DETAILED_CAPTION>). */
  readonly task?: string;
  readonly maxNewTokens?: number;
  readonly threads?: number;
  readonly hub?: HubOptions;
  /** Bytes of each file downloaded. */
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

export interface LocalCaptioner {
  readonly family: LocalCaptionerFamily;
  /** The snapshot folder the model was loaded from. */
  readonly dir: string;
  readonly commit: string;
  caption(image: TackRawImage): Promise<string>;
  close(): Promise<void>;
}

const DTYPE_SUFFIX: Record<NonNullable<LocalCaptionerOptions['dtype']>, string> = { fp32: '', fp16: '_fp16', q8: '_quantized', int8: '_int8', uint8: '_uint8', q4: '_q4' };

const SESSIONS: Record<LocalCaptionerFamily, readonly string[]> = {
  florence2: ['vision_encoder', 'embed_tokens', 'encoder_model', 'decoder_model_merged'],
  'vision-encoder-decoder': ['encoder_model', 'decoder_model_merged'],
};

const REQUIRED_JSON = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];
const OPTIONAL_JSON = ['generation_config.json', 'special_tokens_map.json', 'processor_config.json'];

// Minimal shapes of the transformers.js API used here (its bundled types are large).
interface TjsModule {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; useFSCache: boolean; useBrowserCache: boolean; localModelPath: string };
  RawImage: new (data: Uint8Array, width: number, height: number, channels: number) => unknown;
  pipeline(task: string, model: string, options: Record<string, unknown>): Promise<TjsPipeline>;
  AutoProcessor: { from_pretrained(path: string, options?: Record<string, unknown>): Promise<TjsFlorenceProcessor> };
  AutoTokenizer: { from_pretrained(path: string, options?: Record<string, unknown>): Promise<TjsTokenizer> };
  Florence2ForConditionalGeneration: { from_pretrained(path: string, options?: Record<string, unknown>): Promise<TjsModel> };
}
type TjsPipeline = ((image: unknown, options?: Record<string, unknown>) => Promise<{ generated_text: string }[]>) & { dispose(): Promise<void> };
interface TjsFlorenceProcessor {
  construct_prompts(task: string): string[];
  post_process_generation(text: string, task: string, size: [number, number]): Record<string, unknown>;
  (image: unknown, prompts: string[]): Promise<Record<string, unknown>>;
}
interface TjsTokenizer {
  batch_decode(ids: unknown, options: Record<string, unknown>): string[];
}
interface TjsModel {
  generate(inputs: Record<string, unknown>): Promise<unknown>;
  dispose(): Promise<void>;
}

let tjs: Promise<TjsModule> | undefined;
function loadTransformers(): Promise<TjsModule> {
  tjs ??= import('@huggingface/transformers').then((m) => {
    const mod = m as unknown as TjsModule;
    // Everything is fetched by hubDownload; transformers.js only reads local folders.
    mod.env.allowRemoteModels = false;
    mod.env.allowLocalModels = true;
    mod.env.useFSCache = false;
    mod.env.useBrowserCache = false;
    return mod;
  });
  return tjs;
}

function failed(what: string, cause: unknown) {
  const reason = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0];
  return modelIoErrors.create('LOCAL_CAPTIONER_FAILED', `${what}: ${reason}.`, 'Check that the model is a transformers.js ONNX export (an onnx/ folder with encoder_model/decoder_model_merged files), or use sentence_backend = "endpoint".', {
    cause,
  });
}

/** Downloads (or finds in the cache) the files of a transformers.js captioning model. */
export async function fetchLocalCaptionerFiles(options: LocalCaptionerOptions): Promise<{ dir: string; commit: string; family: LocalCaptionerFamily }> {
  const base = { repo: options.repo, ...(options.revision ? { revision: options.revision } : {}) };
  const hub: HubOptions = { ...options.hub, ...(options.signal ? { signal: options.signal } : {}) };
  const config = await hubDownload({ ...base, file: 'config.json' }, hub);
  let modelType: string | undefined;
  try {
    modelType = (JSON.parse(await readFile(config.path, 'utf8')) as { model_type?: string }).model_type;
  } catch (cause) {
    throw failed(`${options.repo}/config.json is not valid JSON`, cause);
  }
  const family: LocalCaptionerFamily | undefined = modelType === 'florence2' ? 'florence2' : modelType === 'vision-encoder-decoder' ? 'vision-encoder-decoder' : undefined;
  if (!family) {
    throw modelIoErrors.create('LOCAL_CAPTIONER_FAILED', `${options.repo} is a "${modelType ?? 'unknown'}" model; tack's local captioner runs Florence-2 and vision-encoder-decoder models.`, 'Use florence-2-base, florence-2-large or vit-gpt2, or sentence_backend = "endpoint".', {
      details: { repo: options.repo, modelType },
    });
  }
  for (const file of REQUIRED_JSON) await hubDownload({ ...base, file }, hub);
  for (const file of OPTIONAL_JSON) {
    await hubDownload({ ...base, file }, hub).catch((error: unknown) => {
      if ((error as { code?: string }).code !== 'HUB_NOT_FOUND') throw error;
    });
  }
  const suffix = DTYPE_SUFFIX[options.dtype ?? 'fp32'];
  for (const session of SESSIONS[family]) {
    await hubDownload({ ...base, file: `onnx/${session}${suffix}.onnx` }, { ...hub, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  }
  return { dir: config.snapshotDir, commit: config.commit, family };
}

/** Loads a local captioner, downloading its files first when needed. */
export async function openLocalCaptioner(options: LocalCaptionerOptions): Promise<LocalCaptioner> {
  const { dir, commit, family } = await fetchLocalCaptionerFiles(options);
  if (options.signal?.aborted) throw coreErrors.create('CORE_CANCELLED', 'Stopped by the user.', 'Run the same command again.');
  const t = await loadTransformers();
  const modelOptions = {
    dtype: options.dtype ?? 'fp32',
    device: 'cpu',
    local_files_only: true,
    ...(options.threads ? { session_options: { intraOpNumThreads: options.threads, interOpNumThreads: 1 } } : {}),
  };
  const maxNewTokens = options.maxNewTokens ?? 96;
  if (family === 'vision-encoder-decoder') {
    let captioner: TjsPipeline;
    try {
      captioner = await t.pipeline('image-to-text', dir, modelOptions);
    } catch (cause) {
      throw failed(`Loading ${options.repo} failed`, cause);
    }
    return {
      family,
      dir,
      commit,
      async caption(image) {
        try {
          const out = await captioner(new t.RawImage(image.data, image.width, image.height, image.channels), { max_new_tokens: maxNewTokens, num_beams: 1, do_sample: false });
          return out[0]?.generated_text ?? '';
        } catch (cause) {
          throw failed(`${options.repo} failed on an image`, cause);
        }
      },
      close: () => captioner.dispose(),
    };
  }
  let model: TjsModel;
  let processor: TjsFlorenceProcessor;
  let tokenizer: TjsTokenizer;
  try {
    model = await t.Florence2ForConditionalGeneration.from_pretrained(dir, modelOptions);
    processor = await t.AutoProcessor.from_pretrained(dir, { local_files_only: true });
    tokenizer = await t.AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  } catch (cause) {
    throw failed(`Loading ${options.repo} failed`, cause);
  }
  const task = options.task ?? '<DETAILED_CAPTION>';
  return {
    family,
    dir,
    commit,
    async caption(image) {
      try {
        const raw = new t.RawImage(image.data, image.width, image.height, image.channels);
        const inputs = await processor(raw, processor.construct_prompts(task));
        // Greedy decoding: transformers.js's beam search samples candidates rather than searching.
        const ids = await model.generate({ ...inputs, max_new_tokens: maxNewTokens, num_beams: 1, do_sample: false });
        const text = tokenizer.batch_decode(ids, { skip_special_tokens: false })[0] ?? '';
        const result = processor.post_process_generation(text, task, [image.height, image.width]);
        const answer = result[task];
        return typeof answer === 'string' ? answer : '';
      } catch (cause) {
        throw failed(`${options.repo} failed on an image`, cause);
      }
    },
    close: () => model.dispose(),
  };
}

/** The captioning settings of a run: [caption] in tack.toml with command-line overrides. */
import path from 'node:path';
import { hashBytes } from '../core/index.js';
import type { HubOptions } from '../io/index.js';
import type { ProjectConfig, ProjectPaths } from '../project/index.js';
import { captionErrors } from './errors.js';
import type { Captioner } from './rules.js';
import type { SentenceSettings } from './sentence.js';
import type { TagEdit } from './store.js';
import { parseTagReplacements, type RatingPlacement, type Wd14PostOptions } from './wd14/postprocess.js';

export interface CaptionOverrides {
  readonly model?: string;
  readonly threshold?: number;
  readonly characterThreshold?: number;
  readonly batchSize?: number;
  readonly threads?: number;
  readonly modelDir?: string;
  readonly sentenceBackend?: 'local' | 'endpoint';
  readonly sentenceModel?: string;
  readonly endpointUrl?: string;
  readonly endpointModel?: string;
  readonly offline?: boolean;
}

export interface CaptionSettings {
  readonly captioner: Captioner;
  readonly model: string;
  readonly post: Wd14PostOptions;
  readonly batchSize: number;
  readonly threads: number;
  readonly modelDir?: string;
  readonly hub: HubOptions;
  readonly sentence: SentenceSettings;
}

/** Combines tack.toml and overrides; relative model_dir is resolved against the project. */
export function resolveCaptionSettings(
  config: ProjectConfig,
  paths: ProjectPaths,
  options: { readonly captioner?: Captioner; readonly overrides?: CaptionOverrides; readonly env?: NodeJS.ProcessEnv; readonly signal?: AbortSignal } = {},
): CaptionSettings {
  const c = config.caption;
  const o = options.overrides ?? {};
  const env = options.env ?? process.env;
  const threads = o.threads ?? c.threads;
  const modelDir = o.modelDir ?? c.model_dir;
  const apiKey = c.endpoint_api_key_env ? env[c.endpoint_api_key_env] : undefined;
  if (c.endpoint_api_key_env && !apiKey) {
    throw captionErrors.create('CAPTION_BAD_OPTION', `endpoint_api_key_env names ${c.endpoint_api_key_env}, but that environment variable is not set.`, `Set it (export ${c.endpoint_api_key_env}=...) or empty endpoint_api_key_env for servers without a key.`, {
      details: { variable: c.endpoint_api_key_env },
    });
  }
  const generalThreshold = o.threshold ?? c.threshold;
  return {
    captioner: options.captioner ?? config.captioner,
    model: o.model ?? c.model,
    post: {
      generalThreshold,
      characterThreshold: o.characterThreshold ?? c.character_threshold,
      removeUnderscore: c.remove_underscore,
      characterTagExpand: c.character_tag_expand,
      tagReplacements: parseTagReplacements(c.tag_replacements),
      undesiredTags: c.undesired_tags,
      alwaysFirstTags: c.always_first_tags,
      ratingTags: c.rating_tags as RatingPlacement,
      characterTagsFirst: c.character_tags_first,
    },
    batchSize: o.batchSize ?? c.batch_size,
    threads,
    ...(modelDir ? { modelDir: path.resolve(paths.root, modelDir) } : {}),
    hub: {
      env,
      ...(c.hub_url ? { endpoint: c.hub_url } : {}),
      ...(o.offline ? { offline: true } : {}),
      idleTimeoutMs: c.download_timeout_ms,
      ...(options.signal ? { signal: options.signal } : {}),
    },
    sentence: {
      backend: o.sentenceBackend ?? c.sentence_backend,
      localModel: o.sentenceModel ?? c.sentence_model,
      endpointUrl: o.endpointUrl ?? c.endpoint_url,
      endpointModel: o.endpointModel ?? c.endpoint_model,
      ...(apiKey ? { apiKey } : {}),
      timeoutMs: c.endpoint_timeout_ms,
      retries: c.endpoint_retries,
      prompt: c.prompt,
      threads,
      className: config.class,
    },
  };
}

/** Identifies everything a caption is derived from, so a change of any of it regenerates tack's captions. */
export function captionSettingsKey(parts: { readonly captioner: Captioner; readonly modelKey?: string; readonly post?: Wd14PostOptions; readonly token: string; readonly className: string; readonly edits: readonly TagEdit[] }): string {
  return hashBytes(
    JSON.stringify({
      captioner: parts.captioner,
      modelKey: parts.modelKey ?? null,
      post: parts.captioner === 'wd14' ? parts.post : null,
      token: parts.token,
      className: parts.className,
      edits: parts.edits.map((e) => e.id),
    }),
  ).slice(0, 24);
}

/**
 * Sentence captions (the recipe's "BLIP is better in some cases", recipe.md 2): one sentence
 * per photo from a local transformers.js model or an OpenAI-compatible vision chat endpoint,
 * cleaned into a single training caption line.
 */
import { hashBytes } from '../core/index.js';
import {
  decodeForCaptioner,
  describeImageWithChat,
  encodeForVisionModel,
  isValidRepoId,
  openLocalCaptioner,
  type HubOptions,
  type ImageProbe,
  type LocalCaptioner,
} from '../io/index.js';
import { captionErrors } from './errors.js';
import { classSentenceWordFor } from './rules.js';

/** Local sentence models by name (transformers.js ONNX exports on the Hub). */
export const LOCAL_SENTENCE_MODELS: Readonly<Record<string, string>> = {
  'florence-2-base': 'onnx-community/Florence-2-base-ft',
  'florence-2-large': 'onnx-community/Florence-2-large-ft',
  'vit-gpt2': 'Xenova/vit-gpt2-image-captioning',
};

export function resolveSentenceModel(name: string): string {
  const repo = LOCAL_SENTENCE_MODELS[name] ?? (isValidRepoId(name) ? name : undefined);
  if (!repo) {
    throw captionErrors.create('CAPTION_BAD_OPTION', `"${name}" is not a local sentence model.`, `Use one of ${Object.keys(LOCAL_SENTENCE_MODELS).join(', ')} or a Hugging Face repo id (owner/name).`, {
      details: { sentenceModel: name },
    });
  }
  return repo;
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

/**
 * The instruction for vision chat models. Training captions describe what changes from photo
 * to photo (clothes, pose, place, light, framing) and leave out the subject's permanent looks,
 * so the trigger token learns those.
 */
export function buildSentencePrompt(className: string): { system: string; prompt: string } {
  const word = classSentenceWordFor(className);
  const subject = `${article(word)} ${word}`;
  return {
    system: `You write captions for training an image generation model on photos of one specific ${word}. Each caption is one plain sentence.`,
    prompt: [
      `Write one sentence of 15 to 40 words that captions this photo for training.`,
      `Refer to the main subject only as "${subject}"; never guess a name, age, ethnicity or identity.`,
      'Describe what can change between photos: clothing, pose, expression, action, framing (close-up, half body, full body), camera angle, setting and background, lighting and photo style.',
      "Do not describe the subject's permanent features (face shape, eye colour, hair colour, skin).",
      'Do not start with "The image" or "This photo". Answer with the caption only, no quotes, no lists.',
    ].join(' '),
  };
}

const PREAMBLES = [
  /^(?:caption|description)\s*:\s*/i,
  /^(?:in\s+)?(?:this|the)\s+(?:image|photo|photograph|picture)\s*(?:,\s*)?(?:we can see|there is|there are|shows|depicts|features|captures|is of|contains)?\s*/i,
  /^(?:the|this)\s+(?:image|photo|photograph|picture)\s+(?:shows|depicts|features|captures|is of)\s*/i,
  /^(?:here is|here's)\s+(?:a|the)\s+caption\s*:?\s*/i,
];

/** One clean line from a model's answer: no quotes, markdown, preamble or line breaks. */
export function cleanSentence(text: string): string {
  let s = text.replace(/<\/?s>|<pad>/g, ' ').replace(/\*\*|__|`/g, '');
  const firstParagraph = s.split(/\n\s*\n/).find((p) => p.trim() !== '') ?? '';
  s = firstParagraph.replace(/\s+/g, ' ').trim();
  s = s.replace(/^[-*•]\s+/, '').replace(/^["'“‘]+|["'”’]+$/g, '').trim();
  for (let i = 0; i < 2; i++) for (const p of PREAMBLES) s = s.replace(p, '').trim();
  if (s.length > 0) s = s[0]?.toLowerCase() === s[0] ? s : (s[0] as string).toLowerCase() + s.slice(1);
  // "A woman ..." reads naturally after "xanrms, " in lower case; proper nouns are rare here.
  return s.replace(/\s+([,.;:!?])/g, '$1').trim();
}

export interface SentenceSettings {
  readonly backend: 'local' | 'endpoint';
  readonly localModel: string;
  readonly endpointUrl: string;
  readonly endpointModel: string;
  readonly apiKey?: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly prompt: string;
  readonly threads: number;
  readonly className: string;
}

export interface SentenceCaptioner {
  /** Key of this model's output in raw/<stem>.json. */
  readonly modelKey: string;
  readonly model: string;
  readonly promptSha256: string;
  describe(file: string, probe: ImageProbe): Promise<string>;
  close(): Promise<void>;
}

/** The key under which a sentence model's output is kept (known before the model is loaded). */
export function sentenceModelKey(settings: SentenceSettings): { modelKey: string; model: string; promptSha256: string } {
  const prompt = settings.prompt || JSON.stringify(buildSentencePrompt(settings.className));
  const promptSha256 = hashBytes(prompt).slice(0, 16);
  if (settings.backend === 'endpoint') {
    return { modelKey: `sentence:endpoint:${settings.endpointModel}:${promptSha256}`, model: settings.endpointModel, promptSha256 };
  }
  const repo = resolveSentenceModel(settings.localModel);
  return { modelKey: `sentence:local:${repo}`, model: repo, promptSha256 };
}

export async function openSentenceCaptioner(settings: SentenceSettings, options: { readonly hub?: HubOptions; readonly signal?: AbortSignal; readonly onDownload?: import('../core/index.js').ProgressListener }): Promise<SentenceCaptioner> {
  const key = sentenceModelKey(settings);
  if (settings.backend === 'endpoint') {
    if (!settings.endpointModel) {
      throw captionErrors.create('CAPTION_BAD_OPTION', 'Sentence captions through an endpoint need a model name: endpoint_model is empty.', 'Set endpoint_model in [caption] of tack.toml (e.g. "qwen2.5vl:7b" for Ollama) or pass --endpoint-model.');
    }
    const { system, prompt } = settings.prompt ? { system: undefined, prompt: settings.prompt } : buildSentencePrompt(settings.className);
    return {
      ...key,
      async describe(file, probe) {
        const imageJpeg = await encodeForVisionModel(file, probe);
        const result = await describeImageWithChat(
          { ...(system ? { system } : {}), prompt, imageJpeg },
          {
            baseUrl: settings.endpointUrl,
            model: settings.endpointModel,
            timeoutMs: settings.timeoutMs,
            retries: settings.retries,
            ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
          },
        );
        return result.text;
      },
      close: async () => undefined,
    };
  }
  const captioner: LocalCaptioner = await openLocalCaptioner({
    repo: key.model,
    threads: settings.threads,
    ...(options.hub ? { hub: options.hub } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onDownload ? { onProgress: options.onDownload } : {}),
  });
  return {
    ...key,
    async describe(file, probe) {
      return captioner.caption(await decodeForCaptioner(file, probe, 768));
    },
    close: () => captioner.close(),
  };
}

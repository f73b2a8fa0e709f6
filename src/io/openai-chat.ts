/**
 * One image in, one text out, through any OpenAI-compatible chat completions endpoint with
 * vision (Ollama, LM Studio, vLLM, llama.cpp server, OpenAI itself): POST
 * <base>/chat/completions with the image as a base64 data URL in an "image_url" content part.
 * Timeouts per request, retries with backoff on network errors, timeouts, 429 and 5xx; other
 * HTTP errors and answers that are not chat completions fail at once with the server's words.
 */
import { coreErrors } from '../core/index.js';
import { modelIoErrors } from './model-errors.js';

export interface VisionChatOptions {
  /** API base URL, e.g. http://127.0.0.1:11434/v1 (the path /chat/completions is appended). */
  readonly baseUrl: string;
  readonly model: string;
  readonly apiKey?: string;
  readonly timeoutMs?: number;
  /** Extra attempts after a failure that may pass (default 2). */
  readonly retries?: number;
  readonly retryDelayMs?: number;
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly signal?: AbortSignal;
}

export interface VisionChatRequest {
  readonly system?: string;
  readonly prompt: string;
  readonly imageJpeg: Uint8Array;
}

export interface VisionChatResult {
  readonly text: string;
  /** The model name the server reports. */
  readonly model: string;
  readonly attempts: number;
}

class Retryable extends Error {
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'timeout' | 'http',
    readonly status?: number,
  ) {
    super(message);
  }
}

function completionsUrl(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return base.endsWith('/chat/completions') ? base : `${base}/chat/completions`;
}

function serverMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: string | { message?: string }; message?: string };
    const error = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message ?? parsed.message;
    if (error) return error;
  } catch {
    // not JSON: show the start of the text
  }
  return body.replace(/\s+/g, ' ').trim().slice(0, 200);
}

function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const parts = content.map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
    return parts || undefined;
  }
  return undefined;
}

async function attempt(url: string, body: string, options: VisionChatOptions): Promise<{ text: string; model: string }> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...(options.apiKey ? { Authorization: `Bearer ${options.apiKey}` } : {}) },
      body,
      signal: AbortSignal.any(signals),
    });
    text = await response.text();
  } catch (error) {
    if (options.signal?.aborted) throw coreErrors.create('CORE_CANCELLED', 'Stopped by the user.', 'Run the same command again: captions already written are kept.');
    if ((error as Error).name === 'TimeoutError') throw new Retryable(`no answer within ${Math.round(timeoutMs / 1000)} s`, 'timeout');
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Retryable(cause?.code ?? cause?.message ?? (error as Error).message, 'unreachable');
  }
  if (response.status === 429 || response.status >= 500) throw new Retryable(`HTTP ${response.status}: ${serverMessage(text)}`, 'http', response.status);
  if (!response.ok) {
    const message = serverMessage(text);
    const hint =
      response.status === 401 || response.status === 403
        ? 'Check the API key: set endpoint_api_key_env in [caption] to the name of the environment variable that holds it.'
        : response.status === 404
          ? `Check endpoint_model ("${options.model}") and endpoint_url; with Ollama, fetch the model first: ollama pull ${options.model}`
          : 'Check endpoint_url and endpoint_model in [caption].';
    throw modelIoErrors.create('CHAT_HTTP_ERROR', `${url} answered HTTP ${response.status}: ${message}`, hint, { details: { url, status: response.status, model: options.model } });
  }
  let parsed: { choices?: { message?: { content?: unknown } }[]; model?: string };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw modelIoErrors.create('CHAT_BAD_RESPONSE', `${url} did not answer with JSON (it began "${text.slice(0, 60).replace(/\s+/g, ' ')}").`, 'endpoint_url must be the OpenAI-compatible API base, usually ending in /v1 (Ollama: http://127.0.0.1:11434/v1).', {
      details: { url },
    });
  }
  const content = contentText(parsed.choices?.[0]?.message?.content);
  if (content === undefined || content.trim() === '') {
    throw modelIoErrors.create('CHAT_BAD_RESPONSE', `${url} answered without a caption (no choices[0].message.content).`, 'Check that endpoint_model is a vision model (e.g. qwen2.5vl, llava) and that the server speaks the OpenAI chat format.', {
      details: { url, model: options.model },
    });
  }
  return { text: content, model: parsed.model ?? options.model };
}

/** Asks the endpoint to describe one image. */
export async function describeImageWithChat(request: VisionChatRequest, options: VisionChatOptions): Promise<VisionChatResult> {
  const url = completionsUrl(options.baseUrl);
  const image = `data:image/jpeg;base64,${Buffer.from(request.imageJpeg).toString('base64')}`;
  const body = JSON.stringify({
    model: options.model,
    messages: [
      ...(request.system ? [{ role: 'system', content: request.system }] : []),
      { role: 'user', content: [{ type: 'text', text: request.prompt }, { type: 'image_url', image_url: { url: image } }] },
    ],
    max_tokens: options.maxTokens ?? 200,
    temperature: options.temperature ?? 0.2,
    stream: false,
  });
  const retries = options.retries ?? 2;
  let delay = options.retryDelayMs ?? 1000;
  let last: Retryable | undefined;
  for (let i = 0; i <= retries; i++) {
    if (i > 0) {
      await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
    try {
      const result = await attempt(url, body, options);
      return { ...result, attempts: i + 1 };
    } catch (error) {
      if (!(error instanceof Retryable)) throw error;
      last = error;
    }
  }
  const tries = `${retries + 1} attempt${retries === 0 ? '' : 's'}`;
  if (last?.kind === 'unreachable') {
    throw modelIoErrors.create('CHAT_UNREACHABLE', `The vision chat endpoint ${options.baseUrl} cannot be reached (${last.message}, ${tries}).`, 'Start the server (Ollama: `ollama serve`; LM Studio: start the local server) or fix endpoint_url in [caption].', {
      details: { url, reason: last.message },
    });
  }
  if (last?.kind === 'timeout') {
    throw modelIoErrors.create('CHAT_TIMEOUT', `The vision chat endpoint ${options.baseUrl} gave ${last.message} (${tries}).`, 'Raise endpoint_timeout_ms in [caption] (the first request also loads the model), or use a smaller model.', {
      details: { url, timeoutMs: options.timeoutMs ?? 120_000 },
    });
  }
  throw modelIoErrors.create('CHAT_HTTP_ERROR', `${url} kept failing: ${last?.message ?? 'unknown error'} (${tries}).`, 'Check the server log; the server may be overloaded or the model may not fit in memory.', {
    details: { url, status: last?.status },
  });
}

/** Small JSON-over-HTTP helpers for the web UI backends (A1111/Forge, ComfyUI). */
import { throwIfCancelled } from '../core/index.js';
import { evalErrors } from './errors.js';

export interface HttpOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

function joinUrl(base: string, route: string): string {
  return `${base.replace(/\/+$/, '')}${route}`;
}

async function request(base: string, route: string, init: RequestInit, what: string, options: HttpOptions): Promise<Response> {
  throwIfCancelled(options.signal);
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(joinUrl(base, route), { ...init, signal });
  } catch (cause) {
    throwIfCancelled(options.signal);
    const reason = timeout.aborted ? `no answer within ${Math.round((options.timeoutMs ?? 30_000) / 1000)} s` : ((cause as { cause?: { code?: string } }).cause?.code ?? (cause instanceof Error ? cause.message : String(cause)));
    throw evalErrors.create('EVAL_BACKEND_UNREACHABLE', `${what} at ${base} does not answer (${reason}).`, `Start it (A1111/Forge with --api) or fix the address in [samples] of tack.toml.`, {
      cause,
      details: { url: joinUrl(base, route) },
    });
  }
  if (!response.ok) {
    const body = (await response.text().catch(() => '')).slice(0, 300);
    throw evalErrors.create('EVAL_BACKEND_FAILED', `${what} answered ${response.status} ${response.statusText} to ${route}${body ? `: ${body}` : ''}.`, 'Check the web UI console for the cause.', {
      details: { url: joinUrl(base, route), status: response.status },
    });
  }
  return response;
}

export async function getJson<T>(base: string, route: string, what: string, options: HttpOptions = {}): Promise<T> {
  const response = await request(base, route, { method: 'GET' }, what, options);
  return (await response.json()) as T;
}

export async function postJson<T>(base: string, route: string, body: unknown, what: string, options: HttpOptions = {}): Promise<T> {
  const response = await request(base, route, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, what, options);
  const text = await response.text();
  return (text ? JSON.parse(text) : {}) as T;
}

export async function getBytes(base: string, route: string, what: string, options: HttpOptions = {}): Promise<Uint8Array> {
  const response = await request(base, route, { method: 'GET' }, what, options);
  return new Uint8Array(await response.arrayBuffer());
}

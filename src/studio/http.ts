/**
 * The one place that turns tack's errors into HTTP statuses (the CLI's exit codes have their
 * own one place, cli/exit-codes.ts). An error response is the same `{error: {code, category,
 * message, hint, details}}` document a failed command prints with --json.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { toTackError, type TackError } from '../core/index.js';
import { studioErrors } from './errors.js';

export function httpStatusFor(error: TackError): ContentfulStatusCode {
  if (error.code.endsWith('_NOT_FOUND')) return 404;
  if (error.code === 'STUDIO_PATH_REFUSED') return 403;
  switch (error.category) {
    case 'usage':
      return 400;
    case 'input':
      return 422;
    case 'environment':
      return 503;
    case 'cancelled':
      return 409;
    default:
      return 500;
  }
}

export function errorResponse(c: Context, thrown: unknown): Response {
  const error = toTackError(thrown);
  if (error.category === 'internal' && process.env.TACK_DEBUG) console.error(error.cause ?? error);
  return c.json({ error: error.toJSON() }, httpStatusFor(error));
}

/** The request's JSON body as an object; STUDIO_BAD_REQUEST when it is not one. */
export async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw studioErrors.create('STUDIO_BAD_REQUEST', 'The request body is not JSON.', 'Send a JSON object.');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw studioErrors.create('STUDIO_BAD_REQUEST', 'The request body must be a JSON object.', 'Send a JSON object.');
  return body as Record<string, unknown>;
}

export function stringField(body: Record<string, unknown>, key: string, options: { readonly optional?: boolean } = {}): string | undefined {
  const value = body[key];
  if (value === undefined && options.optional) return undefined;
  if (typeof value !== 'string' || value === '') throw studioErrors.create('STUDIO_BAD_REQUEST', `"${key}" must be a non-empty string.`, `Send {"${key}": "..."}.`, { details: { field: key } });
  return value;
}

export function stringList(body: Record<string, unknown>, key: string): string[] {
  const value = body[key];
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw studioErrors.create('STUDIO_BAD_REQUEST', `"${key}" must be a list of names.`, `Send {"${key}": ["..."]}.`, { details: { field: key } });
  }
  return value as string[];
}

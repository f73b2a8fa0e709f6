/**
 * The studio serves files from the user's disk and can start trainings, so every request is
 * checked, in this order:
 *   1. Host must be this server's own name and port (127.0.0.1, localhost, [::1], or the
 *      --host given): a page on another site that rebinds its DNS name to 127.0.0.1 sends its
 *      own Host and is refused (DNS rebinding).
 *   2. Origin, when sent, must be this server; a request that changes anything must carry
 *      Origin (browsers always send it then) or the token in an Authorization header (scripts):
 *      a form or fetch from another site is refused (CSRF).
 *   3. The token: printed once in the URL (?token=...), exchanged at once for an HttpOnly,
 *      SameSite=Strict cookie and removed from the address bar; or `Authorization: Bearer`.
 * Every response gets a strict Content-Security-Policy: no inline script, nothing from other
 * origins, no framing.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export interface SecurityOptions {
  readonly token: string;
  /** The port the server listens on (known after listen when 0 was asked for). */
  readonly port: () => number;
  /** Host names this server answers to, besides the loopback names. */
  readonly extraHosts?: readonly string[];
}

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export const APP_CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function cookieName(port: number): string {
  // Cookies are not separated by port: two studios on one machine need two names.
  return `tack_studio_${port}`;
}

function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function refuse(c: Context, status: 401 | 403, message: string, hint: string) {
  if (c.req.path.startsWith('/api/')) return c.json({ error: { code: status === 401 ? 'STUDIO_UNAUTHORIZED' : 'STUDIO_FORBIDDEN', category: 'usage', message, hint, details: {} } }, status);
  // The message can quote a request header: escaped, never markup.
  const text = (t: string) => t.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return c.html(`<!doctype html><meta charset="utf-8"><title>tack studio</title><p>${text(message)}</p><p>${text(hint)}</p>`, status);
}

/** The checks above as one middleware. */
export function securityMiddleware(options: SecurityOptions): MiddlewareHandler {
  const hosts = new Set([...LOOPBACK, ...(options.extraHosts ?? [])].map((h) => h.toLowerCase()));
  return async (c, next) => {
    const port = options.port();
    const host = (c.req.header('host') ?? '').toLowerCase();
    const hostOk = [...hosts].some((h) => host === `${h}:${port}`);
    if (!hostOk) return refuse(c, 403, `Host "${host}" is not this studio.`, `Open http://127.0.0.1:${port}/ instead.`);
    const origin = c.req.header('origin');
    if (origin !== undefined && ![...hosts].some((h) => origin.toLowerCase() === `http://${h}:${port}`)) {
      return refuse(c, 403, `Requests from ${origin} are refused.`, 'Only the studio\'s own pages may use its API.');
    }
    const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    if (!SAFE.has(c.req.method) && origin === undefined && bearer === undefined) {
      return refuse(c, 403, 'A request that changes something must come from the studio\'s page.', 'Reload the studio page.');
    }
    const name = cookieName(port);
    const query = c.req.query('token');
    if (query !== undefined && SAFE.has(c.req.method) && !c.req.path.startsWith('/api/')) {
      if (!sameToken(query, options.token)) return refuse(c, 401, 'This link\'s token is not valid (tack studio makes a new one each time it starts).', 'Open the link tack studio printed in its terminal.');
      setCookie(c, name, options.token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      // The token leaves the address bar (and the history) at once.
      const url = new URL(c.req.url);
      url.searchParams.delete('token');
      return c.redirect(`${url.pathname}${url.search}${url.hash}`, 302);
    }
    if (!sameToken(getCookie(c, name), options.token) && !sameToken(bearer, options.token)) {
      return refuse(c, 401, 'This studio needs its token.', 'Open the link tack studio printed in its terminal (it ends with ?token=...).');
    }
    await next();
  };
}

/** Headers every response carries (a route may set its own, stricter CSP: reports are sandboxed). */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    if (!h.has('content-security-policy')) h.set('content-security-policy', APP_CSP);
    h.set('x-content-type-options', 'nosniff');
    h.set('referrer-policy', 'no-referrer');
    h.set('x-frame-options', 'DENY');
    h.set('cross-origin-opener-policy', 'same-origin');
    h.set('cross-origin-resource-policy', 'same-origin');
  };
}

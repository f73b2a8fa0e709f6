/**
 * The studio for tests, as users run it: `tack studio --port 0 --no-open` from the built CLI
 * (so job workers, restarts and the printed link are real), and a small client that talks to
 * it like its page does (token in a cookie, Origin on every change) or like a script (Bearer).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT, TACK_BIN } from './cli.js';

export interface LiveStudio {
  readonly child: ChildProcess;
  readonly url: string;
  readonly base: string;
  readonly port: number;
  readonly token: string;
  output(): string;
  /** Ctrl-C, and wait for the process to end. */
  stop(): Promise<number | null>;
}

/** Starts `tack studio` on a free port and waits for the link it prints. */
export async function spawnStudio(roots: readonly string[], env: NodeJS.ProcessEnv, extra: readonly string[] = []): Promise<LiveStudio> {
  const child = spawn(process.execPath, [TACK_BIN, 'studio', ...roots, '--port', '0', '--no-open', ...extra], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tack studio printed no link: ${out}`)), 60_000);
    const check = () => {
      const match = /(http:\/\/\S+\?token=\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stdout?.on('data', check);
    child.on('close', () => reject(new Error(`tack studio exited: ${out}`)));
  });
  const parsed = new URL(url);
  return {
    child,
    url,
    base: `${parsed.protocol}//${parsed.host}`,
    port: Number(parsed.port),
    token: parsed.searchParams.get('token') as string,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

export interface StudioResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** A client that behaves like the studio's own page (cookie + Origin). */
export function studioClient(studio: Pick<LiveStudio, 'base' | 'token' | 'port'>) {
  const cookie = `tack_studio_${studio.port}=${studio.token}`;
  const request = async <T = Record<string, unknown>>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<StudioResponse<T>> => {
    const raw = body instanceof Uint8Array || typeof body === 'string';
    const response = await fetch(`${studio.base}${url}`, {
      method,
      redirect: 'manual',
      headers: { cookie, origin: studio.base, ...(body !== undefined && !raw ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body === undefined ? {} : { body: raw ? (body as NonNullable<RequestInit['body']>) : JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: images, HTML */
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  };
  return {
    get: <T = Record<string, unknown>>(url: string, headers?: Record<string, string>) => request<T>('GET', url, undefined, headers),
    post: <T = Record<string, unknown>>(url: string, body: unknown = {}, headers?: Record<string, string>) => request<T>('POST', url, body, headers),
    put: <T = Record<string, unknown>>(url: string, body: unknown) => request<T>('PUT', url, body),
    delete: <T = Record<string, unknown>>(url: string) => request<T>('DELETE', url),
    request,
  };
}

export type StudioClient = ReturnType<typeof studioClient>;

/** Screenshots of the browser tests go here (git ignores it). */
export async function screenshotDir(name: string): Promise<string> {
  const dir = path.join(REPO_ROOT, 'test-output', name);
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * `tack studio`, started fast: bin/tack.js comes here before loading the rest of tack, so the
 * page answers within a fraction of a second of the command; the library and the CLI (the
 * studio's documents are CLI commands) load in the background once the server listens. Only
 * the options are parsed here; anything unusual (--help, a bad option) goes through the full
 * CLI so its messages are the usual ones.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
// io/process.js directly, not io/index.js: the index would load sharp and more on the fast path.
import { openInDefaultApp } from '../io/process.js';
import { DEFAULT_STUDIO_PORT, startStudio, type RunningStudio, type StudioRuntime } from '../studio/index.js';

export interface StudioArgs {
  readonly roots: readonly string[];
  readonly port: number;
  readonly host: string;
  readonly open: boolean;
}

/** The studio's options, or undefined when the full CLI should handle the command line. */
export function parseStudioArgs(argv: readonly string[], cwd: string): StudioArgs | undefined {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { port: { type: 'string' }, host: { type: 'string' }, 'no-open': { type: 'boolean' } } });
    const port = values.port === undefined ? DEFAULT_STUDIO_PORT : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535 || (values.port !== undefined && values.port.trim() === '')) return undefined;
    return { roots: (positionals.length ? positionals : ['.']).map((p) => path.resolve(cwd, p)), port, host: values.host ?? '127.0.0.1', open: !values['no-open'] };
  } catch {
    return undefined;
  }
}

export interface Announce {
  print(text: string): void;
  warn(text: string): void;
}

/** Prints the link (and a warning off loopback) and opens the browser. */
export function announceStudio(studio: RunningStudio, args: StudioArgs, version: string, out: Announce): void {
  if (!['127.0.0.1', 'localhost', '::1'].includes(args.host)) {
    out.warn(`warning: the studio listens on ${args.host}: other machines that can reach this address can use it (with the token). Use it only on a network you trust.`);
  }
  out.print(`tack studio ${version}: ${studio.url}`);
  out.print(`Projects from ${args.roots.join(', ')}. Jobs keep running when you close this; Ctrl-C stops the studio.`);
  if (args.open) openInDefaultApp(studio.url);
}

/** Starts the studio, prints the link and serves until `signal` aborts. */
export async function serveStudio(args: StudioArgs, runtime: StudioRuntime | (() => Promise<StudioRuntime>), version: string, out: Announce, signal: AbortSignal): Promise<void> {
  const studio = await startStudio({ roots: args.roots, port: args.port, host: args.host, runtime });
  announceStudio(studio, args, version, out);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await studio.close();
  out.warn('tack studio stopped (running jobs go on: tack jobs).');
}

/** The fast path of bin/tack.js: returns the exit code, or undefined to run the full CLI instead. */
export async function bootStudio(argv: readonly string[]): Promise<number | undefined> {
  const args = parseStudioArgs(argv, process.cwd());
  if (!args) return undefined;
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  const version = await import('./version.js').then((m) => m.TACK_VERSION);
  const runtime = async () => (await import('./studio-runtime.js')).studioRuntime(process.env, process.cwd());
  const out = { print: (t: string) => void process.stdout.write(`${t}\n`), warn: (t: string) => void process.stderr.write(`${t}\n`) };
  try {
    await serveStudio(args, runtime, version, out, controller.signal);
    return 0;
  } catch (error) {
    const e = error as { code?: string; message?: string; hint?: string; category?: string };
    process.stderr.write(`error[${e.code ?? 'CORE_INTERNAL'}]: ${e.message}\n  hint: ${e.hint ?? 'Run with TACK_DEBUG=1 for details.'}\n`);
    return e.category === 'environment' ? 4 : 1;
  }
}

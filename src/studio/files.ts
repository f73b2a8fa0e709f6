/**
 * Serving files from a project folder, safely: the studio serves a user's disk, so a path from
 * a request is only ever resolved inside one registered project. Refused: absolute paths, any
 * ".." segment (also when it arrives percent-encoded, "%2e%2e", since the router decodes before
 * we see it), NUL bytes, and anything whose real path (symlinks resolved) leaves the project.
 * Only known file types are served, each with a fixed content type and nosniff.
 */
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { studioErrors } from './errors.js';

/** Content types by extension; anything else is refused. */
const TYPES: Readonly<Record<string, { type: string; download?: boolean }>> = {
  '.jpg': { type: 'image/jpeg' },
  '.jpeg': { type: 'image/jpeg' },
  '.png': { type: 'image/png' },
  '.webp': { type: 'image/webp' },
  '.gif': { type: 'image/gif' },
  '.avif': { type: 'image/avif' },
  '.bmp': { type: 'image/bmp' },
  '.html': { type: 'text/html; charset=utf-8' },
  '.txt': { type: 'text/plain; charset=utf-8' },
  '.log': { type: 'text/plain; charset=utf-8' },
  '.toml': { type: 'text/plain; charset=utf-8' },
  '.json': { type: 'application/json; charset=utf-8' },
  '.jsonl': { type: 'text/plain; charset=utf-8' },
  '.safetensors': { type: 'application/octet-stream', download: true },
  '.zip': { type: 'application/zip', download: true },
};

const refused = (what: string) =>
  studioErrors.create('STUDIO_PATH_REFUSED', `The path "${what}" is outside the project.`, 'Only files inside the project folder are served.', { details: { path: what } });

/**
 * The real path of `relative` inside `root` (itself a real path). Throws STUDIO_PATH_REFUSED
 * for a path that leaves it, STUDIO_NOT_FOUND when there is no such file.
 */
export async function resolveInside(root: string, relative: string): Promise<string> {
  if (relative.includes('\0') || path.isAbsolute(relative) || /^[a-z]:/i.test(relative)) throw refused(relative);
  const parts = relative.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..' || /%2e|%2f|%5c/i.test(p))) throw refused(relative);
  const joined = path.join(root, ...parts);
  let real: string;
  try {
    real = await fsp.realpath(joined);
  } catch {
    throw studioErrors.create('STUDIO_NOT_FOUND', `${parts.join('/')} does not exist in the project.`, 'The file may have been moved or deleted; reload the page.', { details: { path: parts.join('/') } });
  }
  if (real !== root && !real.startsWith(root + path.sep)) throw refused(relative);
  return real;
}

export interface ServedFile {
  readonly body: ReadableStream<Uint8Array>;
  readonly headers: Record<string, string>;
}

/** Opens a file for serving (streamed), with its content type; refuses types the studio does not serve. */
export async function openServedFile(file: string): Promise<ServedFile> {
  const ext = path.extname(file).toLowerCase();
  const kind = TYPES[ext];
  if (!kind) throw studioErrors.create('STUDIO_PATH_REFUSED', `Files of type "${ext || '(none)'}" are not served.`, 'The studio serves images, reports, logs and LoRA files.', { details: { file: path.basename(file) } });
  const stat = await fsp.stat(file);
  if (!stat.isFile()) throw studioErrors.create('STUDIO_NOT_FOUND', `${path.basename(file)} is not a file.`, 'Pick a file, not a folder.');
  const headers: Record<string, string> = { 'content-type': kind.type, 'content-length': String(stat.size), 'cache-control': 'no-cache' };
  if (kind.download) headers['content-disposition'] = `attachment; filename="${path.basename(file).replace(/[^\w.-]/g, '_')}"`;
  // An HTML report is shown in a sandbox of its own: no script of it ever runs with the
  // studio's origin, whatever a caption or file name inside it contains.
  if (ext === '.html') headers['content-security-policy'] = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'";
  return { body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>, headers };
}

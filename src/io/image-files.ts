/**
 * Finding image files by name: what tack add imports from a folder and what tack score scores
 * (recursively, in name order, hidden files and folders skipped).
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { throwIfCancelled } from '../core/index.js';
import { IMPORTABLE_EXTENSIONS } from './image.js';

/** Whether the file name has an image extension tack reads. */
export function isImageFileName(name: string): boolean {
  return IMPORTABLE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

export interface FindImageFilesOptions {
  readonly signal?: AbortSignal;
  /** Called with the name of each other (non-image, non-hidden) file. */
  readonly onOther?: (name: string) => void;
}

/** The image files under `dir`, recursively, in name order; hidden entries are skipped. */
export async function findImageFiles(dir: string, options: FindImageFilesOptions = {}, out: string[] = []): Promise<string[]> {
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    throwIfCancelled(options.signal);
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await findImageFiles(full, options, out);
    else if (entry.isFile() && isImageFileName(entry.name)) out.push(full);
    else if (entry.isFile()) options.onOther?.(entry.name);
  }
  return out;
}

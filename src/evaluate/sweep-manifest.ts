/**
 * runs/<id>/evaluation/sweep/<backend>/sweep.json: the images a sweep rendered, one per
 * (epoch, strength, prompt, seed). Written after every image, so an interrupted sweep resumes
 * where it stopped and `tack evaluate` scores whatever is there.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { readJson, writeJsonAtomic } from '../core/index.js';

export type SweepBackend = 'sd-scripts' | 'a1111' | 'comfyui';

export interface SweepImage {
  /** File name inside the backend's sweep folder. */
  readonly file: string;
  readonly epoch: number;
  readonly strength: number;
  readonly promptIndex: number;
  readonly seed: number;
  readonly prompt: string;
  readonly negative: string;
  readonly createdAt: string;
}

export interface SweepManifest {
  readonly version: 1;
  readonly backend: SweepBackend;
  readonly images: readonly SweepImage[];
}

export function sweepDir(evaluationDir: string, backend: SweepBackend): string {
  return path.join(evaluationDir, 'sweep', backend);
}

export function sweepImageName(epoch: number, strength: number, promptIndex: number, seed: number): string {
  return `e${String(epoch).padStart(6, '0')}_s${strength.toFixed(2)}_p${String(promptIndex).padStart(2, '0')}_${seed}.png`;
}

export async function readSweepManifest(evaluationDir: string, backend: SweepBackend): Promise<SweepManifest> {
  const m = await readJson<SweepManifest | null>(path.join(sweepDir(evaluationDir, backend), 'sweep.json'), null).catch(() => null);
  return m && m.version === 1 && Array.isArray(m.images) ? m : { version: 1, backend, images: [] };
}

export async function writeSweepManifest(evaluationDir: string, manifest: SweepManifest): Promise<void> {
  await writeJsonAtomic(path.join(sweepDir(evaluationDir, manifest.backend), 'sweep.json'), manifest);
}

/** Every sweep of the run, with absolute image paths, for images that still exist. */
export async function listSweepImages(evaluationDir: string): Promise<Array<SweepImage & { readonly backend: SweepBackend; readonly path: string }>> {
  const out: Array<SweepImage & { backend: SweepBackend; path: string }> = [];
  for (const backend of ['sd-scripts', 'a1111', 'comfyui'] as const) {
    const manifest = await readSweepManifest(evaluationDir, backend);
    for (const image of manifest.images) {
      const file = path.join(sweepDir(evaluationDir, backend), image.file);
      if (await fsp.stat(file).then((s) => s.isFile()).catch(() => false)) out.push({ ...image, backend, path: file });
    }
  }
  return out;
}

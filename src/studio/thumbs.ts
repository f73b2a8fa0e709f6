/**
 * Photo thumbnails for the studio's grid: made once with sharp (orientation applied, any format
 * tack reads, HEIC included) and kept in tack's data folder by the photo's content hash, so a
 * renamed or re-imported photo reuses its thumbnail and the grid loads from disk. A few are
 * made at a time; a second request for one being made waits for it.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { pathExists, writeFileAtomic } from '../core/index.js';
import { makeThumbnail } from '../io/index.js';

export const THUMB_SIDE_PX = 320;
export const PREVIEW_SIDE_PX = 2048;

export class ThumbnailCache {
  private readonly inFlight = new Map<string, Promise<string>>();
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly dir: string,
    private readonly concurrency = 2,
  ) {}

  /** The cached JPEG of `file` (content hash `sha256`) fitting in side x side, made if needed. */
  async get(file: string, sha256: string, side = THUMB_SIDE_PX): Promise<string> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('thumbnail key must be a sha256');
    const target = path.join(this.dir, sha256.slice(0, 2), `${sha256}-${side}.jpg`);
    if (await pathExists(target)) return target;
    const key = `${sha256}-${side}`;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const made = this.make(file, target, side).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, made);
    return made;
  }

  private async make(file: string, target: string, side: number): Promise<string> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      const jpeg = await makeThumbnail(file, side, side, side > THUMB_SIDE_PX ? 88 : 78);
      await fsp.mkdir(path.dirname(target), { recursive: true });
      // A thumbnail can always be made again: no fsync.
      await writeFileAtomic(target, jpeg, { durable: false });
      return target;
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

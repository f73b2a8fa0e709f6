/**
 * Test photos for the benchmarks: N JPEGs of 4000x3000 (a 12 MP phone photo), each a different
 * window of one large blurred-noise image (distinct content, realistic JPEG sizes), re-tinted,
 * with every tenth stored sideways with EXIF orientation 6. Cached in `dir`: made again only
 * when the folder does not hold exactly N photos.
 */
import { existsSync, linkSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

export interface BenchPhotoOptions {
  /** Only this many distinct photos; the rest are hard links to them (decoding cost is per file read). */
  readonly distinct?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export function benchPhotoName(i: number): string {
  return `photo-${String(i).padStart(4, '0')}.jpg`;
}

export async function makeBenchPhotos(dir: string, n: number, options: BenchPhotoOptions = {}): Promise<void> {
  if (existsSync(dir) && readdirSync(dir).length === n) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const W = 6400;
  const H = 4800;
  // mulberry32: a full 2^32 period, so no two windows of the base repeat each other's pixels.
  const noise = Buffer.alloc(W * H * 3);
  let s = 12345;
  for (let i = 0; i < noise.length; i++) {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    noise[i] = 64 + (((t ^ (t >>> 14)) >>> 0) % 128);
  }
  const base = await sharp(noise, { raw: { width: W, height: H, channels: 3 } }).blur(2).raw().toBuffer();
  const distinct = Math.min(n, options.distinct ?? n);
  for (let i = 0; i < n; i++) {
    const file = path.join(dir, benchPhotoName(i));
    if (i >= distinct) {
      linkSync(path.join(dir, benchPhotoName(i % distinct)), file);
      continue;
    }
    let image = sharp(base, { raw: { width: W, height: H, channels: 3 } })
      .extract({ left: (i * 337) % (W - 4000), top: (i * 211) % (H - 3000), width: 4000, height: 3000 })
      .linear(0.8 + (i % 7) * 0.05, (i % 5) * 6);
    image = i % 10 === 0 ? image.jpeg({ quality: 90 }).withMetadata({ orientation: 6 }) : image.jpeg({ quality: 90 });
    await image.toFile(file);
    if ((i + 1) % 50 === 0) options.onProgress?.(i + 1, distinct);
  }
}

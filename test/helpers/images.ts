/** Test photos made with sharp: small, varied, with known content. */
import { writeFile } from 'node:fs/promises';
import zlib from 'node:zlib';
import sharp, { type CreateRaw, type Sharp } from 'sharp';

/**
 * A photo-like test image: a gradient background, a few coloured shapes placed by the seed
 * (so different seeds are different pictures) and fine grain (so it measures sharp).
 */
export async function makePhoto(width: number, height: number, options: { seed?: number; grain?: number } = {}): Promise<Sharp> {
  const seed = options.seed ?? 1;
  let state = seed * 7919 + 1;
  const rand = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const shapes = Array.from({ length: 5 }, () => ({
    x0: rand() * 0.7,
    y0: rand() * 0.7,
    w: 0.1 + rand() * 0.3,
    h: 0.1 + rand() * 0.3,
    color: [rand() * 255, rand() * 255, rand() * 255],
  }));
  const base = [rand() * 200 + 30, rand() * 200 + 30, rand() * 200 + 30];
  const raw = Buffer.alloc(width * height * 3);
  const grain = options.grain ?? 24;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      let color = [(base[0] as number) + u * 40, (base[1] as number) - v * 40, (base[2] as number) + (u - v) * 30];
      for (const s of shapes) if (u >= s.x0 && u < s.x0 + s.w && v >= s.y0 && v < s.y0 + s.h) color = s.color;
      const n = (rand() - 0.5) * grain;
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) raw[i + c] = Math.max(0, Math.min(255, (color[c] as number) + n));
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

export async function writeJpeg(file: string, width: number, height: number, options: { seed?: number; orientation?: number; quality?: number } = {}): Promise<void> {
  let image = (await makePhoto(width, height, options)).jpeg({ quality: options.quality ?? 90 });
  if (options.orientation) image = image.withMetadata({ orientation: options.orientation });
  await image.toFile(file);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** A valid-looking PNG whose header claims width x height; its data is tiny (a header bomb). */
export async function writeHeaderBombPng(file: string, width = 40000, height = 40000): Promise<void> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  await writeFile(file, Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(1024))), pngChunk('IEND', Buffer.alloc(0))]));
}

/** A 2-frame animated GIF: a red frame then a blue one. */
export async function writeAnimatedGif(file: string, width = 64, height = 48): Promise<void> {
  const frame = (r: number, g: number, b: number) => {
    const buf = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) buf.set([r, g, b, 255], i * 4);
    return buf;
  };
  const frames = Buffer.concat([frame(220, 30, 30), frame(30, 30, 220)]);
  await sharp(frames, { raw: { width, height: height * 2, channels: 4, pageHeight: height } as CreateRaw }).gif({ loop: 0, delay: [100, 100] }).toFile(file);
}

/** The mean colour of a region of an image file (orientation applied), for pixel checks. */
export async function meanColor(file: string, region: { left: number; top: number; width: number; height: number }): Promise<[number, number, number]> {
  const { data, info } = await sharp(file).autoOrient().extract(region).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += info.channels) for (let c = 0; c < 3; c++) sum[c] = (sum[c] as number) + (data[i + c] as number);
  const n = data.length / info.channels;
  return [Math.round((sum[0] as number) / n), Math.round((sum[1] as number) / n), Math.round((sum[2] as number) / n)];
}

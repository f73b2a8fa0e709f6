/**
 * Reading images. This file and bmp.ts are the only places that decode pixels: sharp (libvips)
 * for JPEG, PNG, WebP, AVIF, TIFF and GIF; heic-decode (libheif with libde265, as WebAssembly)
 * for iPhone HEIC, whose HEVC codec sharp's prebuilt libvips does not include; bmp.ts for BMP,
 * which libvips does not read.
 *
 * The format is taken from the file's first bytes, never from its extension, so a text file
 * named .jpg is reported as such. Sizes are checked from the header before any decoding.
 */
import { open as openFile, readFile, stat } from 'node:fs/promises';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { fileReadError } from '../core/index.js';
import { BmpError, decodeBmp, readBmpHeader } from './bmp.js';
import { imageErrors } from './errors.js';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'bmp' | 'tiff' | 'heic' | 'avif';

/** Formats sd-scripts picks up from an image folder (P2: others are silently skipped). */
export const ENGINE_READABLE_FORMATS: ReadonlySet<ImageFormat> = new Set(['jpeg', 'png', 'webp', 'bmp']);
export const IMPORTABLE_EXTENSIONS = ['.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.bmp', '.dib', '.tif', '.tiff', '.heic', '.heif', '.hif', '.avif'];

/** Any photo above this is refused from its header: 268 MP is libvips' own default limit (16383²). */
export const MAX_INPUT_PIXELS = 268_402_689;

export interface ImageProbe {
  readonly format: ImageFormat;
  /** Size as stored in the file. */
  readonly width: number;
  readonly height: number;
  /** EXIF orientation 1-8 (1 = none). HEIC rotation is applied by the decoder, so it is 1. */
  readonly orientation: number;
  /** Size after the orientation is applied: what a viewer shows and what tack prepares. */
  readonly orientedWidth: number;
  readonly orientedHeight: number;
  readonly channels: number;
  readonly hasAlpha: boolean;
  /** Bits per channel sample (8 or 16 for photos). */
  readonly bitDepth: number;
  /** libvips' colour space name: srgb, b-w (greyscale), cmyk, rgb16, grey16 ... */
  readonly colorSpace: string;
  /** Frames in an animation (GIF, animated WebP); 1 for stills. */
  readonly pages: number;
  readonly sizeBytes: number;
}

export interface RawImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3 | 4;
}

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1']);

/** What the first bytes say the file is; `other` names a recognised non-photo kind. */
export function sniffFormat(head: Uint8Array): { format?: ImageFormat; other?: string } {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return { format: 'jpeg' };
  if (head.length >= 8 && head[0] === 0x89 && ascii(1, 4) === 'PNG') return { format: 'png' };
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return { format: 'gif' };
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return { format: 'webp' };
  if (ascii(0, 2) === 'BM' && head.length >= 26) return { format: 'bmp' };
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return { format: 'tiff' };
  if (ascii(4, 8) === 'ftyp') {
    const boxSize = Math.min(head.length, (head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!);
    const brands = [ascii(8, 12)];
    for (let i = 16; i + 4 <= boxSize; i += 4) brands.push(ascii(i, i + 4));
    if (brands.includes('avif') || brands.includes('avis')) return { format: 'avif' };
    if (brands.some((b) => HEIF_BRANDS.has(b))) return { format: 'heic' };
    return { other: `an ISO media file (${brands[0]?.trim()}), e.g. a video` };
  }
  if ((head[0] === 0xff && head[1] === 0x0a) || ascii(4, 8) === 'JXL ') return { other: 'a JPEG XL image' };
  if (ascii(0, 4) === '8BPS') return { other: 'a Photoshop document' };
  if (ascii(0, 4) === '%PDF') return { other: 'a PDF document' };
  if (ascii(0, 2) === 'PK') return { other: 'a ZIP archive' };
  const text = ascii(0, Math.min(head.length, 64)).trimStart().toLowerCase();
  if (text.startsWith('<svg') || text.startsWith('<?xml')) return { other: 'an SVG/XML drawing' };
  if (text.startsWith('<!doctype html') || text.startsWith('<html')) return { other: 'an HTML page (a saved web page, not the image)' };
  if (head.length > 0 && [...head.subarray(0, 64)].every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127))) return { other: 'a text file' };
  return {};
}

async function readHead(file: string, bytes = 256): Promise<Uint8Array> {
  let handle;
  try {
    handle = await openFile(file, 'r');
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } catch (cause) {
    throw fileReadError(file, cause);
  } finally {
    await handle?.close();
  }
}

function tooLarge(file: string, width: number, height: number) {
  const mp = ((width * height) / 1e6).toFixed(0);
  return imageErrors.create(
    'IMAGE_TOO_LARGE',
    `${file} claims to be ${width}x${height} (${mp} MP), above tack's limit of ${(MAX_INPUT_PIXELS / 1e6).toFixed(0)} MP.`,
    'The header is probably damaged; if the image is real, downscale it to about 4000 px on the long side.',
    { details: { file, width, height } },
  );
}

function corrupt(file: string, reason: string, cause?: unknown) {
  return imageErrors.create('IMAGE_CORRUPT', `${file} cannot be decoded: ${reason}.`, 'Re-export or re-download the photo; if it opens in a viewer, save it again as JPEG.', {
    cause,
    details: { file, reason },
  });
}

function cleanSharpMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.replace(/^Input (file|buffer) /, '').trim();
}

const SWAPS_AXES = new Set([5, 6, 7, 8]);

/** Reads the header only (no pixel decoding, except HEIC, whose rotation the decoder applies). */
export async function probeImage(file: string): Promise<ImageProbe> {
  let sizeBytes: number;
  try {
    sizeBytes = (await stat(file)).size;
  } catch (cause) {
    throw fileReadError(file, cause);
  }
  if (sizeBytes === 0) {
    throw imageErrors.create('IMAGE_EMPTY', `${file} is empty (0 bytes).`, 'The copy or download did not finish: copy the photo again.', { details: { file } });
  }
  const head = await readHead(file);
  const sniffed = sniffFormat(head);
  if (!sniffed.format) {
    const what = sniffed.other ?? 'not an image format tack recognises';
    const unsupported = sniffed.other && !sniffed.other.includes('text') && !sniffed.other.includes('HTML');
    throw imageErrors.create(
      unsupported ? 'IMAGE_UNSUPPORTED' : 'IMAGE_NOT_AN_IMAGE',
      `${file} is ${what}, not a photo.`,
      unsupported ? 'Export it as JPEG or PNG first.' : 'Remove it from the folder, or replace it with the real photo.',
      { details: { file, detected: sniffed.other ?? null } },
    );
  }
  const format = sniffed.format;
  if (format === 'bmp') {
    try {
      const h = readBmpHeader(head.length >= 54 ? head : await readFile(file));
      if (h.width * h.height > MAX_INPUT_PIXELS) throw tooLarge(file, h.width, h.height);
      return { format, width: h.width, height: h.height, orientation: 1, orientedWidth: h.width, orientedHeight: h.height, channels: h.hasAlpha ? 4 : 3, hasAlpha: h.hasAlpha, bitDepth: 8, colorSpace: 'srgb', pages: 1, sizeBytes };
    } catch (error) {
      if (error instanceof BmpError) throw corrupt(file, error.message, error);
      throw error;
    }
  }
  let meta: Metadata;
  try {
    meta = await sharp(file, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
  } catch (error) {
    const message = cleanSharpMessage(error);
    if (/pixel limit/i.test(message)) {
      const dims = await sharp(file, { limitInputPixels: false }).metadata().catch(() => undefined);
      throw tooLarge(file, dims?.width ?? 0, dims?.height ?? 0);
    }
    throw corrupt(file, message, error);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width <= 0 || height <= 0) throw corrupt(file, 'the header has no image size');
  if (width * height > MAX_INPUT_PIXELS) throw tooLarge(file, width, height);
  const depth = meta.depth === 'ushort' || meta.depth === 'short' ? 16 : meta.depth === 'float' || meta.depth === 'double' ? 32 : 8;
  if (format === 'heic') {
    const raw = await decodeHeicFile(file);
    return { format, width: raw.width, height: raw.height, orientation: 1, orientedWidth: raw.width, orientedHeight: raw.height, channels: 3, hasAlpha: false, bitDepth: depth, colorSpace: 'srgb', pages: 1, sizeBytes };
  }
  const orientation = meta.orientation && meta.orientation >= 1 && meta.orientation <= 8 ? meta.orientation : 1;
  const swap = SWAPS_AXES.has(orientation);
  return {
    format,
    width,
    height,
    orientation,
    orientedWidth: swap ? height : width,
    orientedHeight: swap ? width : height,
    channels: meta.channels ?? 3,
    hasAlpha: Boolean(meta.hasAlpha),
    bitDepth: depth,
    colorSpace: meta.space ?? 'srgb',
    pages: meta.pages ?? 1,
    sizeBytes,
  };
}

async function decodeHeicFile(file: string): Promise<RawImage> {
  let buffer: Buffer;
  try {
    buffer = await readFile(file);
  } catch (cause) {
    throw fileReadError(file, cause);
  }
  try {
    // Loaded on first use: the WebAssembly decoder costs ~150 ms to start and most photos are not HEIC.
    const { default: decodeHeic } = await import('heic-decode');
    const image = await decodeHeic({ buffer });
    const rgba = new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
    return { data: rgba, width: image.width, height: image.height, channels: 4 };
  } catch (error) {
    throw corrupt(file, `HEIC decoding failed (${cleanSharpMessage(error)})`, error);
  }
}

/**
 * A sharp pipeline over the image with the EXIF orientation applied, whatever the format.
 * Decoding errors surface when the pipeline runs; wrap them with `imageDecodeError`.
 */
export async function openImage(file: string, probe?: ImageProbe): Promise<Sharp> {
  const info = probe ?? (await probeImage(file));
  if (info.format === 'heic') {
    const raw = await decodeHeicFile(file);
    return sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: 4 } }).removeAlpha();
  }
  if (info.format === 'bmp') {
    try {
      const bmp = decodeBmp(await readFile(file));
      const image = sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: 4 } });
      return bmp.hasAlpha ? image : image.removeAlpha();
    } catch (error) {
      if (error instanceof BmpError) throw corrupt(file, error.message, error);
      throw error;
    }
  }
  // failOn 'truncated' rejects cut-off files (the engine's PIL raises "image file is truncated")
  // while tolerating the harmless warnings many cameras trigger.
  return sharp(file, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'truncated', pages: 1 }).autoOrient();
}

/** Turns an error thrown while running a pipeline from `openImage` into IMAGE_CORRUPT. */
export function imageDecodeError(file: string, error: unknown) {
  if (error && typeof error === 'object' && 'code' in error && typeof (error as { code: unknown }).code === 'string' && String((error as { code: string }).code).startsWith('IMAGE_')) {
    return error;
  }
  return corrupt(file, cleanSharpMessage(error), error);
}

export interface DecodeOptions {
  /** Shrink so the long side is at most this (never enlarge). */
  readonly maxSide?: number;
  /** Background for transparent pixels (default white). */
  readonly background?: string;
}

/** Decodes to 8-bit sRGB, 3 channels, orientation applied, optionally shrunk. */
export async function decodeRgb(file: string, probe?: ImageProbe, options: DecodeOptions = {}): Promise<RawImage> {
  const image = await openImage(file, probe);
  try {
    let pipeline = image;
    if (options.maxSide) pipeline = pipeline.resize({ width: options.maxSide, height: options.maxSide, fit: 'inside', withoutEnlargement: true });
    const { data, info } = await pipeline
      .flatten({ background: options.background ?? '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
  } catch (error) {
    throw imageDecodeError(file, error);
  }
}

export interface EncodeForTrainingOptions {
  readonly format: 'jpeg' | 'png';
  /**
   * JPEG quality (default 95). Chroma stays 4:2:0 like the camera's own JPEGs: the trainer
   * downsizes photos far more than that. Huffman tables are not optimised: that second pass
   * costs a third of the encode time to save a tenth of the file size, which training never sees.
   */
  readonly quality?: number;
  readonly background?: string;
}

/**
 * Re-encodes a photo so the engine reads it as the user sees it: orientation baked in, 8-bit
 * sRGB (CMYK and 16-bit converted), transparency flattened, no EXIF left to misread.
 */
export async function encodeForTraining(file: string, probe: ImageProbe, options: EncodeForTrainingOptions): Promise<{ data: Buffer; width: number; height: number }> {
  const image = await openImage(file, probe);
  try {
    let pipeline = image.flatten({ background: options.background ?? '#ffffff' }).toColourspace('srgb').removeAlpha();
    pipeline =
      options.format === 'jpeg'
        ? pipeline.jpeg({ quality: options.quality ?? 95, chromaSubsampling: '4:2:0', optimiseCoding: false })
        : pipeline.png({ compressionLevel: 6 });
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  } catch (error) {
    throw imageDecodeError(file, error);
  }
}

/** Encodes raw pixels (tests, contact sheets, demo assets). */
export async function encodeRaw(raw: RawImage, format: 'jpeg' | 'png', quality = 92): Promise<Buffer> {
  const image = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
  return format === 'jpeg' ? image.jpeg({ quality }).toBuffer() : image.png().toBuffer();
}

/** libvips threads per image. Two photos are processed at once on 2 cores, so 1 each. */
export function configureImageThreads(threads: number): void {
  sharp.concurrency(threads);
}

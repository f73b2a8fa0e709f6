/**
 * Images as captioning models take them, always decoded through `openImage` so the EXIF
 * orientation is applied (the engine's tagger ignores it, P1; tack tags photos as the user sees
 * them and as `tack prepare` writes them).
 */
import { taggerTensorFromRgb } from './engine-resize.js';
import { compositeOnWhite } from './pil-image.js';
import { decodeRgb, imageDecodeError, openImage, type ImageProbe, type RawImage } from './image.js';

/** Decodes to 8-bit sRGB RGB at full size, with transparency composited onto white the way the engine's tagger does. */
export async function decodeForTagger(file: string, probe: ImageProbe): Promise<RawImage> {
  const image = await openImage(file, probe);
  try {
    const { data, info } = await image.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (info.channels === 4) return { data: compositeOnWhite(bytes, info.width * info.height), width: info.width, height: info.height, channels: 3 };
    if (info.channels === 3) return { data: bytes, width: info.width, height: info.height, channels: 3 };
    // Grey without alpha after toColourspace is unusual; expand to RGB.
    const rgb = new Uint8Array(info.width * info.height * 3);
    for (let p = 0; p < info.width * info.height; p++) rgb.fill(bytes[p * info.channels] as number, p * 3, p * 3 + 3);
    return { data: rgb, width: info.width, height: info.height, channels: 3 };
  } catch (error) {
    throw imageDecodeError(file, error);
  }
}

/**
 * One WD14 tagger input: padded to a square with white, resized to `size` with the engine's
 * interpolation rule, BGR, float32 0-255, HWC (see engine-resize.ts).
 */
export async function readTaggerInput(file: string, probe: ImageProbe, size: number, out?: Float32Array): Promise<Float32Array> {
  const rgb = await decodeForTagger(file, probe);
  return taggerTensorFromRgb(rgb.data, rgb.width, rgb.height, size, out);
}

/** A JPEG of the photo for a vision chat model: orientation applied, long side at most `maxSide`. */
export async function encodeForVisionModel(file: string, probe: ImageProbe, maxSide = 1024, quality = 90): Promise<Buffer> {
  const image = await openImage(file, probe);
  try {
    return await image
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .jpeg({ quality })
      .toBuffer();
  } catch (error) {
    throw imageDecodeError(file, error);
  }
}

/** RGB pixels of the photo, long side at most `maxSide` (for local captioning models). */
export function decodeForCaptioner(file: string, probe: ImageProbe, maxSide = 1024): Promise<RawImage> {
  return decodeRgb(file, probe, { maxSide });
}

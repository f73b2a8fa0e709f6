/**
 * Perceptual difference hash (dHash, 64 bits): the image in grey, squeezed to 9x8, one bit per
 * "is this pixel brighter than its right neighbour". Resizing, JPEG recompression and mild
 * colour shifts leave it nearly unchanged, so a small Hamming distance means "the same picture":
 * tack uses it to flag samples that reproduce a training photo. The mirrored hash catches copies
 * of horizontally flipped training images (flip_aug).
 */
import sharp from 'sharp';
import type { RgbPixels } from './face-types.js';

export interface ImageHash {
  /** 16 hex digits. */
  readonly hash: string;
  readonly mirrored: string;
}

function bits(grey: Uint8Array, mirrored: boolean): string {
  let out = '';
  let nibble = 0;
  let count = 0;
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const xa = mirrored ? 8 - x : x;
      const xb = mirrored ? 7 - x : x + 1;
      const bit = (grey[y * 9 + xa] as number) > (grey[y * 9 + xb] as number) ? 1 : 0;
      nibble = (nibble << 1) | bit;
      if (++count % 4 === 0) {
        out += nibble.toString(16);
        nibble = 0;
      }
    }
  }
  return out;
}

export async function differenceHash(image: RgbPixels): Promise<ImageHash> {
  const grey = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .greyscale()
    .resize(9, 8, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer();
  const g = new Uint8Array(grey.buffer, grey.byteOffset, 72);
  return { hash: bits(g, false), mirrored: bits(g, true) };
}

/** Number of differing bits between two hex hashes of equal length. */
export function hammingDistance(a: string, b: string): number {
  let d = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    let x = parseInt(a[i] as string, 16) ^ parseInt(b[i] as string, 16);
    while (x) {
      d += x & 1;
      x >>= 1;
    }
  }
  return d + 4 * Math.abs(a.length - b.length);
}

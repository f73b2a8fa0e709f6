/**
 * Face test images made from the public-domain face photos in the repository's fixtures
 * (test/fixtures/faces: person A and person B, two photos each): edited copies that keep
 * the identity (crop, scale, mirror, colour shift, JPEG recompression, a 30-degree turn) and a picture without
 * any face.
 */
import path from 'node:path';
import sharp from 'sharp';
import { FIXTURES } from './cli.js';

export const FACE_FIXTURES = path.join(FIXTURES, 'faces');
export type FacePhoto = 'person-a-1' | 'person-a-2' | 'person-b-1' | 'person-b-2';
export const FACE_EDITS = ['original', 'crop', 'scale', 'mirror', 'colour', 'jpeg', 'turn30'] as const;
export type FaceEdit = (typeof FACE_EDITS)[number];

export function facePhoto(name: FacePhoto): string {
  return path.join(FACE_FIXTURES, `${name}.jpg`);
}

/** An edited copy of a fixture photo, as PNG (or JPEG for the jpeg edit), long side about `maxSide`. */
export async function editedFace(name: FacePhoto, edit: FaceEdit, options: { maxSide?: number; width?: number; height?: number } = {}): Promise<Buffer> {
  const maxSide = options.maxSide ?? 640;
  let image = sharp(facePhoto(name)).rotate();
  const meta = await sharp(await image.clone().toBuffer()).metadata();
  const w = meta.width as number;
  const h = meta.height as number;
  if (edit === 'crop') image = sharp(await image.extract({ left: Math.round(w * 0.08), top: Math.round(h * 0.04), width: Math.round(w * 0.84), height: Math.round(h * 0.7) }).toBuffer());
  if (edit === 'mirror') image = image.flop();
  if (edit === 'colour') image = image.modulate({ saturation: 1.35, hue: 18, brightness: 1.08 }).linear(1.1, -12);
  // A head turned 30 degrees in the picture plane (the corners filled grey).
  if (edit === 'turn30') image = sharp(await image.rotate(30, { background: { r: 128, g: 128, b: 128 } }).toBuffer());
  const side = Math.round(edit === 'scale' ? maxSide * 0.5 : maxSide);
  image = image.resize(options.width && options.height ? { width: options.width, height: options.height, fit: 'cover', position: 'north' } : { width: side, height: side, fit: 'inside' });
  if (edit === 'jpeg') return image.jpeg({ quality: 35 }).toBuffer();
  return image.png().toBuffer();
}

/** A sample-sized picture with no face: a blurred landscape of coloured bands. */
export async function noFaceImage(width = 384, height = 640): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = y < height / 2 ? 110 + (x % 40) : 60;
      raw[i + 1] = y < height / 2 ? 160 : 120 + ((x * y) % 30);
      raw[i + 2] = y < height / 2 ? 220 : 50;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).blur(2).png().toBuffer();
}

/**
 * A training whose samples have real faces: the subject's photos are person A (public-domain
 * fixture photos, edited copies), and the fake trainer copies each epoch's "samples" from a
 * folder (FAKE_SD_SCRIPTS_SAMPLES_FROM, files <epoch>_<prompt>.png), so likeness can be scored
 * against a known answer: person B is a stranger, person A is the subject.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { editedFace, noFaceImage, type FacePhoto } from './faces.js';

/** Four photos of person A (edited copies of one photo; samples show the other one), as JPEG files in `dir`. */
export async function writeSubjectPhotos(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const out: string[] = [];
  for (const [photo, edit] of [['person-a-1', 'original'], ['person-a-1', 'crop'], ['person-a-1', 'colour'], ['person-a-1', 'jpeg']] as const) {
    const file = path.join(dir, `${photo}-${edit}.jpg`);
    await writeFile(file, await sharp(await editedFace(photo, edit, { maxSide: 768 })).jpeg({ quality: 90 }).toBuffer());
    out.push(file);
  }
  return out;
}

/** What each epoch's samples show, written as <epoch>_<prompt>.png for the fake trainer. */
export async function writeFaceSamples(dir: string, epochs: ReadonlyArray<FacePhoto | 'no-face'>, perEpoch = 6): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let e = 1; e <= epochs.length; e++) {
    const content = epochs[e - 1] as FacePhoto | 'no-face';
    const png = content === 'no-face' ? await noFaceImage(256, 384) : await sharp(await editedFace(content, 'mirror', { width: 256, height: 384 })).png().toBuffer();
    for (let p = 0; p < perEpoch; p++) await writeFile(path.join(dir, `${e}_${p}.png`), png);
  }
}

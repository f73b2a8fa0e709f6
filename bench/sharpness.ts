/**
 * Calibration of the doctor's blur thresholds: the sharpness score of photos blurred by known
 * amounts, measured the way `tack doctor` measures (long side ANALYSIS_SIDE_PX), and at 1024 px
 * for comparison. The blur is a Gaussian of the given sigma in pixels of a 1024 px version of
 * the photo (about what the trainer sees), applied to the full-size photo.
 *
 *   node --import tsx bench/sharpness.ts [photo ...]
 *
 * Without arguments it uses the public-domain face photos in test/fixtures/faces when they
 * are there, and the bundled demo photos (drawings with grain). Prints a table
 * of scores and, per blur level, the range over the photos, so the thresholds in
 * src/dataset/doctor.ts can be checked against real numbers.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { ANALYSIS_SIDE_PX, measurePixels } from '../src/dataset/analyze.js';
import { DOCTOR_THRESHOLDS } from '../src/dataset/doctor.js';
import { decodeRgb } from '../src/io/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SIGMAS = [0, 0.5, 1, 1.5, 2, 3];

function defaultPhotos(): string[] {
  const out: string[] = [];
  const faces = path.join(here, '..', 'test', 'fixtures', 'faces');
  if (existsSync(faces)) for (const f of readdirSync(faces).sort()) if (f.endsWith('.jpg')) out.push(path.join(faces, f));
  const demo = path.join(here, '..', 'assets', 'demo');
  for (const f of ['ana-portrait-01.jpg', 'ana-closeup-04.jpg', 'ana-fullbody-05.jpg', 'IMG_2041.jpg']) out.push(path.join(demo, f));
  return out;
}

async function score(file: string, side: number): Promise<number> {
  const raw = await decodeRgb(file, undefined, { maxSide: side });
  return measurePixels(raw.data, raw.width, raw.height).sharpness;
}

const photos = process.argv.slice(2).length ? process.argv.slice(2) : defaultPhotos();
const tmp = path.join(os.tmpdir(), `tack-sharpness-${process.pid}`);
mkdirSync(tmp, { recursive: true });
const sides = [...new Set([ANALYSIS_SIDE_PX, 1024])];
const bySigma = new Map<number, number[][]>();
console.log(`sharpness (top-quarter Laplacian variance) by blur sigma, in px at 1024; columns: ${sides.map((s) => `at ${s} px`).join(' / ')}`);
console.log(`${'photo'.padEnd(26)}${SIGMAS.map((s) => `sigma ${s}`.padStart(16)).join('')}`);
for (const photo of photos) {
  const meta = await sharp(photo).metadata();
  const long = Math.max(meta.width ?? 0, meta.height ?? 0);
  const cells: string[] = [];
  for (const sigma of SIGMAS) {
    const file = path.join(tmp, `${path.parse(photo).name}-${sigma}.png`);
    const real = (sigma * Math.max(long, 1024)) / 1024;
    let image = sharp(photo).autoOrient();
    if (real >= 0.3) image = image.blur(real);
    await image.png({ compressionLevel: 1 }).toFile(file);
    const scores = await Promise.all(sides.map((s) => score(file, s)));
    const list = bySigma.get(sigma) ?? [];
    list.push(scores);
    bySigma.set(sigma, list);
    cells.push(scores.map((v) => v.toFixed(0)).join(' / ').padStart(16));
  }
  console.log(`${path.basename(photo).slice(0, 25).padEnd(26)}${cells.join('')}`);
}
rmSync(tmp, { recursive: true, force: true });
console.log('\nrange over the photos:');
for (const [sigma, list] of bySigma) {
  const ranges = sides.map((_, k) => {
    const v = list.map((s) => s[k] as number);
    return `${Math.min(...v).toFixed(0)}-${Math.max(...v).toFixed(0)}`;
  });
  console.log(`  sigma ${String(sigma).padEnd(4)} ${ranges.map((r, k) => `at ${sides[k]} px: ${r.padEnd(12)}`).join('  ')}`);
}
console.log(`\nthresholds at ${ANALYSIS_SIDE_PX} px: blurry under ${DOCTOR_THRESHOLDS.blurry}, soft under ${DOCTOR_THRESHOLDS.soft}`);

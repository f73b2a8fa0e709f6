/**
 * Makes the sample photos bundled for `tack demo` (assets/demo/): drawings of a fictional
 * person rendered as photo-like JPEGs, including the problems tack is built to catch (a phone
 * photo stored sideways, an iPhone HEIC, a blurry shot, a small one, a near-duplicate, a
 * panorama). Run once by maintainers: node --import tsx scripts/make-demo-photos.ts
 * The HEIC needs heif-enc (Debian: apt-get install libheif-examples).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';

const OUT = path.resolve('assets/demo');

interface Scene {
  readonly width: number;
  readonly height: number;
  readonly sky: [string, string];
  readonly shirt: string;
  /** Head height as a share of the frame height (framing: close-up is large). */
  readonly head: number;
  readonly headX: number;
  readonly headY: number;
  readonly seed: number;
}

function person(s: Scene): string {
  const h = s.height * s.head;
  const w = h * 0.78;
  const cx = s.width * s.headX;
  const cy = s.height * s.headY;
  const shoulders = w * 2.6;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${s.width}" height="${s.height}">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0.3" y2="1"><stop offset="0" stop-color="${s.sky[0]}"/><stop offset="1" stop-color="${s.sky[1]}"/></linearGradient>
    <radialGradient id="skin" cx="0.45" cy="0.4" r="0.7"><stop offset="0" stop-color="#f1c7a5"/><stop offset="1" stop-color="#c98f6b"/></radialGradient>
  </defs>
  <rect width="100%" height="100%" fill="url(#bg)"/>
  <circle cx="${s.width * 0.15}" cy="${s.height * 0.2}" r="${s.width * 0.08}" fill="#ffffff" opacity="0.25"/>
  <rect x="${s.width * 0.7}" y="${s.height * 0.55}" width="${s.width * 0.25}" height="${s.height * 0.45}" fill="#30402a" opacity="0.35"/>
  <path d="M ${cx - shoulders / 2} ${s.height} Q ${cx - shoulders / 2} ${cy + h * 0.75} ${cx} ${cy + h * 0.7} Q ${cx + shoulders / 2} ${cy + h * 0.75} ${cx + shoulders / 2} ${s.height} Z" fill="${s.shirt}"/>
  <rect x="${cx - w * 0.18}" y="${cy + h * 0.35}" width="${w * 0.36}" height="${h * 0.45}" fill="#d9a07e"/>
  <ellipse cx="${cx}" cy="${cy - h * 0.08}" rx="${w * 0.62}" ry="${h * 0.6}" fill="#3b2416"/>
  <ellipse cx="${cx}" cy="${cy}" rx="${w / 2}" ry="${h / 2}" fill="url(#skin)"/>
  <ellipse cx="${cx - w * 0.18}" cy="${cy - h * 0.05}" rx="${w * 0.07}" ry="${h * 0.035}" fill="#2b1d14"/>
  <ellipse cx="${cx + w * 0.18}" cy="${cy - h * 0.05}" rx="${w * 0.07}" ry="${h * 0.035}" fill="#2b1d14"/>
  <path d="M ${cx - w * 0.28} ${cy - h * 0.13} q ${w * 0.1} ${-h * 0.04} ${w * 0.2} 0 M ${cx + w * 0.08} ${cy - h * 0.13} q ${w * 0.1} ${-h * 0.04} ${w * 0.2} 0" stroke="#3b2416" stroke-width="${h * 0.015}" fill="none"/>
  <path d="M ${cx} ${cy - h * 0.02} l ${-w * 0.05} ${h * 0.14} l ${w * 0.07} 0" stroke="#a86e50" stroke-width="${h * 0.012}" fill="none"/>
  <path d="M ${cx - w * 0.15} ${cy + h * 0.22} q ${w * 0.15} ${h * 0.07} ${w * 0.3} 0" stroke="#9e4a48" stroke-width="${h * 0.02}" fill="none"/>
  <ellipse cx="${cx - w * 0.4}" cy="${cy + h * 0.05}" rx="${w * 0.08}" ry="${h * 0.12}" fill="#c98f6b"/>
</svg>`;
}

/** Renders the scene and adds sensor-like grain so it measures like a sharp photo. */
async function render(scene: Scene): Promise<Sharp> {
  const base = await sharp(Buffer.from(person(scene))).removeAlpha().raw().toBuffer();
  let state = scene.seed;
  const rand = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < base.length; i++) {
    const noise = (rand() + rand() + rand() - 1.5) * 6;
    base[i] = Math.max(0, Math.min(255, base[i]! + noise));
  }
  return sharp(base, { raw: { width: scene.width, height: scene.height, channels: 3 } });
}

async function main(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const portrait = { width: 1344, height: 1792 };
  const scenes: Record<string, Scene> = {
    'ana-portrait-01': { ...portrait, sky: ['#8fb8de', '#dfe9f2'], shirt: '#7a2f3b', head: 0.28, headX: 0.5, headY: 0.36, seed: 1 },
    'ana-portrait-02': { ...portrait, sky: ['#d9c7a7', '#f3ead9'], shirt: '#2f4f7a', head: 0.3, headX: 0.46, headY: 0.35, seed: 2 },
    'ana-halfbody-03': { width: 1792, height: 1344, sky: ['#9fc59a', '#e6f0dc'], shirt: '#c9a13b', head: 0.25, headX: 0.42, headY: 0.33, seed: 3 },
    'ana-closeup-04': { width: 1400, height: 1400, sky: ['#b49bc9', '#ece3f2'], shirt: '#333333', head: 0.5, headX: 0.5, headY: 0.42, seed: 4 },
    'ana-fullbody-05': { ...portrait, sky: ['#f0b27a', '#fbe6d0'], shirt: '#1f6f6a', head: 0.12, headX: 0.55, headY: 0.2, seed: 5 },
    'IMG_2041': { ...portrait, sky: ['#7fa7c9', '#cfe0ee'], shirt: '#5a3a7a', head: 0.26, headX: 0.52, headY: 0.37, seed: 6 },
    'IMG_2044': { width: 1008, height: 1344, sky: ['#c9a0a0', '#f1e1e1'], shirt: '#3a5a2a', head: 0.27, headX: 0.5, headY: 0.38, seed: 7 },
    'ana-blurry-08': { ...portrait, sky: ['#5a6e4a', '#c9d6b0'], shirt: '#d0d0d0', head: 0.2, headX: 0.38, headY: 0.3, seed: 8 },
    'ana-small-09': { width: 480, height: 640, sky: ['#c9c9a0', '#f1f1e1'], shirt: '#2a2a7a', head: 0.3, headX: 0.5, headY: 0.38, seed: 9 },
    'ana-panorama-10': { width: 2400, height: 800, sky: ['#6f9fd0', '#d6e6f5'], shirt: '#8a2a2a', head: 0.4, headX: 0.3, headY: 0.42, seed: 10 },
  };
  const jpeg = { quality: 88, mozjpeg: true };
  for (const [name, scene] of Object.entries(scenes)) {
    const image = await render(scene);
    if (name === 'IMG_2041') {
      // A phone photo: pixels stored landscape with EXIF orientation 6 (shows upright in viewers).
      await image.rotate(-90).jpeg(jpeg).withMetadata({ orientation: 6 }).toFile(path.join(OUT, `${name}.jpg`));
    } else if (name === 'IMG_2044') {
      const file = path.join(OUT, `${name}.jpg`);
      await image.jpeg({ quality: 95 }).toFile(file);
      execFileSync('heif-enc', ['-q', '70', '-o', path.join(OUT, `${name}.heic`), file]);
      rmSync(file);
    } else if (name === 'ana-blurry-08') {
      await sharp(await image.png().toBuffer()).blur(6).jpeg(jpeg).toFile(path.join(OUT, `${name}.jpg`));
    } else {
      await image.jpeg(jpeg).toFile(path.join(OUT, `${name}.jpg`));
    }
  }
  // A near-duplicate: the first portrait saved again smaller and more compressed.
  await sharp(path.join(OUT, 'ana-portrait-01.jpg')).resize(1200).jpeg({ quality: 70 }).toFile(path.join(OUT, 'ana-portrait-01 (copy).jpg'));
  writeFileSync(path.join(OUT, 'ana-portrait-02.txt'), 'xanrms, 1girl, solo, brown hair, blue shirt, looking at viewer, score_9, simple background\n');
  writeFileSync(
    path.join(OUT, 'LICENSE.md'),
    `# Demo photos\n\nThe images in this folder are drawings of a fictional person, generated by tack's own\nscript \`scripts/make-demo-photos.ts\` (shapes, gradients and synthetic grain). No real person or\nphotograph is depicted. They are dedicated to the public domain under CC0 1.0\n(https://creativecommons.org/publicdomain/zero/1.0/): copy, change and redistribute them freely.\n\nSome are made faulty on purpose so \`tack demo\` shows what \`tack doctor\` catches: IMG_2041.jpg is\nstored sideways with an EXIF orientation flag, IMG_2044.heic is an iPhone-format HEIC,\nana-blurry-08.jpg is blurred, ana-small-09.jpg is small, ana-panorama-10.jpg is very wide and\n"ana-portrait-01 (copy).jpg" is a near-duplicate. ana-portrait-02.txt is a caption with a Pony\nquality tag that \`tack prepare\` removes.\n`,
  );
}

await main();

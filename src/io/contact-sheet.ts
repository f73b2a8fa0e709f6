/**
 * Contact sheets and thumbnails for evaluation reports: a grid of images with row and column
 * labels and a coloured badge under each image, drawn with sharp (labels are SVG text rendered
 * by libvips' librsvg with the system's sans-serif font).
 */
import sharp, { type OverlayOptions } from 'sharp';
import { imageDecodeError, openImage } from './image.js';

export interface SheetCell {
  /** Image file, or undefined for an empty cell (not rendered yet). */
  readonly file?: string;
  readonly badge?: string;
  /** CSS colour of the badge background. */
  readonly badgeColor?: string;
}

export interface ContactSheetOptions {
  readonly title: string;
  /** A second line under the title (e.g. the recommendation). */
  readonly subtitle?: string;
  readonly rowLabels: readonly string[];
  readonly columnLabels: readonly string[];
  /** rows x columns cells, row-major. */
  readonly cells: ReadonlyArray<readonly SheetCell[]>;
  /** Rows to frame (e.g. the recommended epoch). */
  readonly highlightRows?: readonly number[];
  readonly thumbWidth?: number;
  readonly thumbHeight?: number;
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);

function svgText(width: number, height: number, body: string): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${body}</svg>`);
}

/** A thumbnail that fits in width x height (JPEG), orientation applied. */
export async function makeThumbnail(file: string, width: number, height: number, quality = 80): Promise<Buffer> {
  const image = await openImage(file);
  try {
    return await image.resize(width, height, { fit: 'inside', withoutEnlargement: true }).flatten({ background: '#ffffff' }).jpeg({ quality }).toBuffer();
  } catch (error) {
    throw imageDecodeError(file, error);
  }
}

export async function renderContactSheet(options: ContactSheetOptions): Promise<Buffer> {
  const tw = options.thumbWidth ?? 160;
  const th = options.thumbHeight ?? 267;
  const gap = 8;
  const badgeH = 22;
  const labelW = 150;
  const titleH = options.subtitle ? 60 : 40;
  const headerH = 28;
  const rows = options.rowLabels.length;
  const cols = options.columnLabels.length;
  const width = labelW + cols * (tw + gap) + gap;
  const height = titleH + headerH + rows * (th + badgeH + gap) + gap;
  const layers: OverlayOptions[] = [];
  // About 0.6 em per character: cut long lines rather than let them run off the sheet.
  const fit = (t: string, px: number) => (t.length * px * 0.6 > width - 2 * gap ? `${t.slice(0, Math.max(8, Math.floor((width - 2 * gap) / (px * 0.6)) - 1))}…` : t);
  let text = `<rect width="100%" height="100%" fill="#ffffff"/><text x="${gap}" y="27" font-family="sans-serif" font-size="20" font-weight="bold" fill="#111">${escapeXml(fit(options.title, 20))}</text>`;
  if (options.subtitle) text += `<text x="${gap}" y="50" font-family="sans-serif" font-size="14" fill="#1f5130">${escapeXml(fit(options.subtitle, 14))}</text>`;
  options.columnLabels.forEach((label, c) => {
    const x = labelW + gap + c * (tw + gap);
    text += `<text x="${x + tw / 2}" y="${titleH + 18}" text-anchor="middle" font-family="sans-serif" font-size="12" fill="#333">${escapeXml(label.length > Math.floor(tw / 7) ? `${label.slice(0, Math.floor(tw / 7) - 1)}…` : label)}</text>`;
  });
  for (let r = 0; r < rows; r++) {
    const y = titleH + headerH + r * (th + badgeH + gap);
    if (options.highlightRows?.includes(r)) text += `<rect x="2" y="${y - 4}" width="${width - 4}" height="${th + badgeH + 8}" fill="#e8f6ec" stroke="#1f8a45" stroke-width="3"/>`;
    text += `<text x="${gap}" y="${y + th / 2}" font-family="sans-serif" font-size="14" font-weight="bold" fill="#111">${escapeXml(options.rowLabels[r] ?? '')}</text>`;
    for (let c = 0; c < cols; c++) {
      const cell = options.cells[r]?.[c];
      const x = labelW + gap + c * (tw + gap);
      if (!cell?.file) {
        text += `<rect x="${x}" y="${y}" width="${tw}" height="${th}" fill="#f0f0f0" stroke="#ccc"/><text x="${x + tw / 2}" y="${y + th / 2}" text-anchor="middle" font-family="sans-serif" font-size="12" fill="#888">not rendered</text>`;
        continue;
      }
      if (cell.badge) {
        text += `<rect x="${x}" y="${y + th + 2}" width="${tw}" height="${badgeH - 4}" rx="4" fill="${escapeXml(cell.badgeColor ?? '#555')}"/><text x="${x + tw / 2}" y="${y + th + 15}" text-anchor="middle" font-family="sans-serif" font-size="12" font-weight="bold" fill="#fff">${escapeXml(cell.badge)}</text>`;
      }
    }
  }
  layers.push({ input: svgText(width, height, text), left: 0, top: 0 });
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const cell = options.cells[r]?.[c];
      if (!cell?.file) continue;
      const thumb = await sharp(await makeThumbnail(cell.file, tw, th)).toBuffer({ resolveWithObject: true });
      const x = labelW + gap + c * (tw + gap) + Math.floor((tw - thumb.info.width) / 2);
      const y = titleH + headerH + r * (th + badgeH + gap) + Math.floor((th - thumb.info.height) / 2);
      layers.push({ input: thumb.data, left: x, top: y });
    }
  }
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } }).composite(layers).png({ compressionLevel: 6 }).toBuffer();
}

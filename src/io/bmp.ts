/**
 * A small BMP reader: libvips (sharp) has no BMP loader, and BMP is one of the five formats the
 * engine reads (sd-scripts.md 1.5). Handles the Windows headers (40/52/56/108/124 bytes) and the
 * OS/2 12-byte header; 1/4/8-bit palettes, 16/24/32-bit, BI_RGB and BI_BITFIELDS; bottom-up and
 * top-down. RLE-compressed and JPEG/PNG-in-BMP files are reported as unsupported.
 */

export interface BmpHeader {
  readonly width: number;
  readonly height: number;
  readonly bitsPerPixel: number;
  readonly compression: number;
  readonly topDown: boolean;
  readonly headerSize: number;
  readonly dataOffset: number;
  readonly hasAlpha: boolean;
}

export class BmpError extends Error {
  constructor(
    message: string,
    readonly kind: 'corrupt' | 'unsupported',
  ) {
    super(message);
  }
}

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

export function readBmpHeader(buf: Uint8Array): BmpHeader {
  if (buf.length < 26 || buf[0] !== 0x42 || buf[1] !== 0x4d) throw new BmpError('not a BMP file', 'corrupt');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  let width: number;
  let rawHeight: number;
  let bitsPerPixel: number;
  let compression = BI_RGB;
  if (headerSize === 12) {
    width = view.getUint16(18, true);
    rawHeight = view.getInt16(20, true);
    bitsPerPixel = view.getUint16(24, true);
  } else if (headerSize >= 40 && buf.length >= 14 + 40) {
    width = view.getInt32(18, true);
    rawHeight = view.getInt32(22, true);
    bitsPerPixel = view.getUint16(28, true);
    compression = view.getUint32(30, true);
  } else {
    throw new BmpError(`unknown BMP header size ${headerSize}`, 'unsupported');
  }
  if (width <= 0 || rawHeight === 0) throw new BmpError(`invalid BMP size ${width}x${rawHeight}`, 'corrupt');
  let hasAlpha = false;
  if (bitsPerPixel === 32 && (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) && headerSize >= 56 && buf.length >= 14 + 56) {
    hasAlpha = view.getUint32(14 + 52, true) !== 0;
  }
  return { width, height: Math.abs(rawHeight), bitsPerPixel, compression, topDown: rawHeight < 0, headerSize, dataOffset, hasAlpha };
}

function maskShift(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

/** Decodes to RGBA (4 channels, 8 bits). */
export function decodeBmp(buf: Uint8Array): { data: Uint8Array; width: number; height: number; hasAlpha: boolean } {
  const h = readBmpHeader(buf);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const { width, height, bitsPerPixel: bpp } = h;
  if (h.compression !== BI_RGB && h.compression !== BI_BITFIELDS && h.compression !== BI_ALPHABITFIELDS) {
    throw new BmpError(`BMP compression ${h.compression} (RLE or embedded JPEG/PNG) is not supported`, 'unsupported');
  }
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw new BmpError(`${bpp}-bit BMP is not supported`, 'unsupported');
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (h.dataOffset + stride * height > buf.length) throw new BmpError('the BMP file is truncated', 'corrupt');

  let palette: Uint8Array | undefined;
  if (bpp <= 8) {
    const entrySize = h.headerSize === 12 ? 3 : 4;
    const count = Math.min(1 << bpp, Math.floor((h.dataOffset - 14 - h.headerSize) / entrySize));
    palette = new Uint8Array(256 * 3);
    for (let i = 0; i < count; i++) {
      const p = 14 + h.headerSize + i * entrySize;
      palette[i * 3] = buf[p + 2] as number;
      palette[i * 3 + 1] = buf[p + 1] as number;
      palette[i * 3 + 2] = buf[p] as number;
    }
  }
  let masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0x00ff0000, 0x0000ff00, 0x000000ff, 0];
  if (h.compression === BI_BITFIELDS || h.compression === BI_ALPHABITFIELDS) {
    const at = h.headerSize >= 52 ? 14 + 40 : 14 + h.headerSize;
    masks = [view.getUint32(at, true), view.getUint32(at + 4, true), view.getUint32(at + 8, true), h.hasAlpha || h.compression === BI_ALPHABITFIELDS ? view.getUint32(at + 12, true) : 0];
  }
  const fields = masks.map(maskShift);
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const row = h.dataOffset + (h.topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (palette) {
        const bitPos = x * bpp;
        const byte = buf[row + (bitPos >> 3)] as number;
        const index = (byte >> (8 - bpp - (bitPos & 7))) & ((1 << bpp) - 1);
        out[o] = palette[index * 3] as number;
        out[o + 1] = palette[index * 3 + 1] as number;
        out[o + 2] = palette[index * 3 + 2] as number;
        out[o + 3] = 255;
      } else if (bpp === 24 && h.compression === BI_RGB) {
        const p = row + x * 3;
        out[o] = buf[p + 2] as number;
        out[o + 1] = buf[p + 1] as number;
        out[o + 2] = buf[p] as number;
        out[o + 3] = 255;
      } else {
        const pixel = bpp === 16 ? view.getUint16(row + x * 2, true) : view.getUint32(row + x * 4, true);
        for (let c = 0; c < 4; c++) {
          const f = fields[c] as { shift: number; max: number };
          out[o + c] = f.max === 0 ? 255 : Math.round((((pixel & (masks[c] as number)) >>> f.shift) * 255) / f.max);
        }
      }
    }
  }
  return { data: out, width, height, hasAlpha: h.hasAlpha };
}

/** Writes a 24-bit (or 32-bit with alpha) BI_RGB bottom-up BMP; used by tests and fixtures. */
export function encodeBmp(rgba: Uint8Array, width: number, height: number, bitsPerPixel: 24 | 32 = 24): Uint8Array {
  const stride = Math.floor((bitsPerPixel * width + 31) / 32) * 4;
  const size = 54 + stride * height;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  view.setUint32(2, size, true);
  view.setUint32(10, 54, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, bitsPerPixel, true);
  view.setUint32(34, stride * height, true);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const p = row + x * (bitsPerPixel / 8);
      out[p] = rgba[i + 2] as number;
      out[p + 1] = rgba[i + 1] as number;
      out[p + 2] = rgba[i] as number;
      if (bitsPerPixel === 32) out[p + 3] = rgba[i + 3] as number;
    }
  }
  return out;
}

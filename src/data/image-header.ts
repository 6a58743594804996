// Pure, browser-safe size probes of PNG and JPEG files: width, height and colour from the first bytes
// (PNG's IHDR, JPEG's start-of-frame marker), so a folder's images are measured and checked against
// the memory cap before any is decoded.

export interface ImageHeader {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  /** 1 when the picture is gray (PNG colour types 0 and 4, one-component JPEG), else 3. */
  channels: 1 | 3;
  /** PNG with an alpha channel (types 4 and 6): the alpha is dropped. */
  alpha: boolean;
  /** Bits per sample (PNG 1, 2, 4, 8 or 16; JPEG 8 or 12). */
  bitDepth: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && PNG_SIGNATURE.every((v, i) => b[i] === v);
}

export function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

const u32be = (b: Uint8Array, o: number) => b[o]! * 16777216 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
const u16be = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;

/** PNG_HEAD bytes hold the signature and the whole IHDR chunk. */
export const PNG_HEAD = 33;

export function pngHeader(b: Uint8Array, source: string): ImageHeader {
  if (b.length < PNG_HEAD) throw new Error(`${source}: PNG file of ${b.length} bytes ends before its IHDR header`);
  if (u32be(b, 8) !== 13 || String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!) !== 'IHDR') {
    throw new Error(`${source}: PNG file does not start with an IHDR chunk; the file is corrupt`);
  }
  const width = u32be(b, 16), height = u32be(b, 20), bitDepth = b[24]!, colour = b[25]!;
  if (width === 0 || height === 0) throw new Error(`${source}: PNG header claims ${width}×${height} pixels; expected at least 1×1`);
  if (![0, 2, 3, 4, 6].includes(colour)) throw new Error(`${source}: PNG colour type ${colour} is invalid; expected 0, 2, 3, 4 or 6`);
  return { format: 'png', width, height, channels: colour === 0 || colour === 4 ? 1 : 3, alpha: colour === 4 || colour === 6, bitDepth };
}

/**
 * The JPEG's frame size from its start-of-frame marker, or undefined when `b` ends before it (read
 * more of the file); throws when the markers are corrupt.
 */
export function jpegHeader(b: Uint8Array, source: string): ImageHeader | undefined {
  let o = 2;
  while (o + 4 <= b.length) {
    if (b[o] !== 0xff) throw new Error(`${source}: JPEG marker expected at byte ${o}, found 0x${b[o]!.toString(16)}; the file is corrupt`);
    const marker = b[o + 1]!;
    if (marker === 0xff) { o++; continue; } // fill byte
    if (marker === 0xd9 || marker === 0xda) throw new Error(`${source}: JPEG has no start-of-frame marker before its image data`);
    const len = u16be(b, o + 2);
    if (len < 2) throw new Error(`${source}: JPEG segment 0x${marker.toString(16)} at byte ${o} has length ${len}; the file is corrupt`);
    // SOF0..SOF15 except DHT (c4), JPG (c8) and DAC (cc).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (o + 10 > b.length) return undefined;
      const bitDepth = b[o + 4]!, height = u16be(b, o + 5), width = u16be(b, o + 7), components = b[o + 9]!;
      if (width === 0 || height === 0) throw new Error(`${source}: JPEG frame claims ${width}×${height} pixels; expected at least 1×1 (a DNL height is not supported)`);
      if (components !== 1 && components !== 3 && components !== 4) throw new Error(`${source}: JPEG has ${components} colour components; expected 1, 3 or 4`);
      return { format: 'jpeg', width, height, channels: components === 1 ? 1 : 3, alpha: false, bitDepth };
    }
    o += 2 + len;
  }
  return undefined;
}

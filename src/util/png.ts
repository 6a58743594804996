// Minimal PNG encoder for 8-bit grayscale and RGB images: signature, IHDR, one IDAT, IEND,
// each chunk with its CRC-32; scanlines use filter 0 (None). Browser-safe: the zlib compressor is
// a parameter (./png-node passes node:zlib's deflateSync); the default stores data uncompressed.

/** Row-major 8-bit pixels; `channels` 1 (gray, the default) or 3 (RGB, interleaved). */
export interface PngImage {
  width: number;
  height: number;
  pixels: Uint8Array;
  channels?: 1 | 3;
}

/** Compresses bytes into a zlib stream (RFC 1950): header, deflate data, Adler-32. */
export type ZlibCompress = (data: Uint8Array) => Uint8Array;

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
/** PNG limits each dimension to 2^31 − 1; far beyond anything this project draws. */
const PNG_MAX_SIDE = 0x7fffffff;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309 / PNG / zlib polynomial). Pass a previous result as `crc` to continue a running CRC. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Adler-32 checksum as used at the end of a zlib stream. */
export function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  // 5552 is the largest run that cannot overflow before the modulo (zlib's NMAX).
  for (let i = 0; i < bytes.length; ) {
    const end = Math.min(i + 5552, bytes.length);
    for (; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** A valid zlib stream made of uncompressed ("stored") deflate blocks: no dependencies, no compression. */
export function zlibStore(data: Uint8Array): Uint8Array {
  const MAX_BLOCK = 0xffff;
  const blocks = Math.max(1, Math.ceil(data.length / MAX_BLOCK));
  const out = new Uint8Array(2 + blocks * 5 + data.length + 4);
  // CMF 0x78 (deflate, 32K window), FLG 0x01 (fastest; 0x7801 % 31 == 0).
  out[0] = 0x78;
  out[1] = 0x01;
  let o = 2;
  for (let b = 0; b < blocks; b++) {
    const start = b * MAX_BLOCK;
    const len = Math.min(MAX_BLOCK, data.length - start);
    out[o++] = b === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00
    out[o++] = len & 0xff;
    out[o++] = len >>> 8;
    out[o++] = ~len & 0xff;
    out[o++] = (~len >>> 8) & 0xff;
    out.set(data.subarray(start, start + len), o);
    o += len;
  }
  new DataView(out.buffer).setUint32(o, adler32(data), false);
  return out;
}

function checkImage(image: PngImage): { width: number; height: number; channels: 1 | 3 } {
  const { width, height, pixels } = image;
  const channels = image.channels ?? 1;
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > PNG_MAX_SIDE) {
      throw new Error(`encodePng: ${name} ${v} is invalid; expected an integer in 1..${PNG_MAX_SIDE}`);
    }
  }
  if (channels !== 1 && channels !== 3) {
    throw new Error(`encodePng: channels ${String(channels)} is unsupported; expected 1 (gray) or 3 (RGB)`);
  }
  const expected = width * height * channels;
  if (pixels.length !== expected) {
    throw new Error(
      `encodePng: ${pixels.length} pixel bytes for a ${width}×${height} image with ${channels} channel(s); expected ${expected}`,
    );
  }
  return { width, height, channels };
}

/** Writes one chunk (length, type, data, CRC over type + data) at `o`; returns the offset after it. */
function writeChunk(out: Uint8Array, o: number, type: string, data: Uint8Array): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(o, data.length, false);
  for (let i = 0; i < 4; i++) out[o + 4 + i] = type.charCodeAt(i);
  out.set(data, o + 8);
  view.setUint32(o + 8 + data.length, crc32(out.subarray(o + 4, o + 8 + data.length)), false);
  return o + 12 + data.length;
}

/**
 * Encodes an 8-bit grayscale or RGB image as a PNG file. `compress` must produce a zlib stream
 * (node:zlib's deflateSync does); the default `zlibStore` is valid but uncompressed.
 */
export function encodePng(image: PngImage, compress: ZlibCompress = zlibStore): Uint8Array {
  const { width, height, channels } = checkImage(image);
  const stride = width * channels;
  // Each scanline: filter type byte 0 (None) then the raw row.
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    raw.set(image.pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const idat = compress(raw);

  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width, false);
  hv.setUint32(4, height, false);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 1 ? 0 : 2; // colour type: 0 grayscale, 2 truecolour
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace

  const out = new Uint8Array(PNG_SIGNATURE.length + 12 * 3 + ihdr.length + idat.length);
  out.set(PNG_SIGNATURE, 0);
  let o = PNG_SIGNATURE.length;
  o = writeChunk(out, o, 'IHDR', ihdr);
  o = writeChunk(out, o, 'IDAT', idat);
  writeChunk(out, o, 'IEND', new Uint8Array(0));
  return out;
}

// Node decoders of one PNG (pngjs) or JPEG (jpeg-js) file into 8-bit HWC pixels with 1 (gray) or 3
// (RGB) channels, checked against the size its header claimed: pngjs inflates no more than its IHDR
// size needs, jpeg-js is held to the header's pixel count. Alpha is dropped; 16-bit PNG samples are
// reduced to 8 bits (pngjs's rescale); gray pictures in a colour set are repeated into R, G and B.
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { ImageHeader } from './image-header';

/**
 * Decodes `bytes` (whose header is `header`) into `out` at `offset`: width × height × `channels`
 * bytes. Throws naming `source` when the file is corrupt or its pixels disagree with its header.
 */
export function decodeImageInto(bytes: Uint8Array, header: ImageHeader, channels: 1 | 3, out: Uint8Array, offset: number, source: string): void {
  let rgba: Uint8Array, width: number, height: number, stride: number;
  try {
    if (header.format === 'png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      ({ width, height } = png);
      rgba = png.data;
      stride = 4;
    } else {
      const mp = (header.width * header.height) / 1e6;
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, maxResolutionInMP: mp + 0.01, maxMemoryUsageInMB: Math.max(64, Math.ceil(mp * 16)) });
      ({ width, height } = img);
      rgba = img.data;
      stride = 3;
    }
  } catch (e) {
    throw new Error(`${source}: cannot decode the ${header.format.toUpperCase()} image: ${(e as Error).message}`, { cause: e });
  }
  if (width !== header.width || height !== header.height) {
    throw new Error(`${source}: decoded ${width}×${height} pixels, but its header claims ${header.width}×${header.height}`);
  }
  const n = width * height;
  if (rgba.length < n * stride) throw new Error(`${source}: decoded ${rgba.length} bytes, fewer than ${width}×${height} pixels need`);
  if (channels === 1) for (let p = 0; p < n; p++) out[offset + p] = rgba[p * stride]!;
  else {
    for (let p = 0; p < n; p++) {
      out[offset + 3 * p] = rgba[p * stride]!;
      out[offset + 3 * p + 1] = rgba[p * stride + 1]!;
      out[offset + 3 * p + 2] = rgba[p * stride + 2]!;
    }
  }
}

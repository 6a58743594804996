// PNG files for the CLI (Node only), written with pngjs: 8-bit grayscale or RGB, filter 0 on every
// scanline, zlib level 9. The image is checked first, so a wrong size is refused with its numbers.
import { writeFile } from 'node:fs/promises';
import { PNG } from 'pngjs';

/** Row-major 8-bit pixels; `channels` 1 (gray, the default) or 3 (RGB, interleaved). */
export interface PngImage {
  width: number;
  height: number;
  pixels: Uint8Array;
  channels?: 1 | 3;
}

/** PNG limits each dimension to 2^31 − 1; far beyond anything this project draws. */
const PNG_MAX_SIDE = 0x7fffffff;

function checkImage(image: PngImage): 1 | 3 {
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
    throw new Error(`encodePng: ${pixels.length} pixel bytes for a ${width}×${height} image with ${channels} channel(s); expected ${expected}`);
  }
  return channels;
}

/** zlib-compressed PNG bytes for an 8-bit grayscale or RGB image. */
export function encodePngNode(image: PngImage): Uint8Array {
  const channels = checkImage(image);
  const colorType = channels === 1 ? 0 : 2;
  const png = new PNG({ width: image.width, height: image.height, colorType, inputColorType: colorType, inputHasAlpha: false, bitDepth: 8 });
  png.data = Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength);
  return new Uint8Array(PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false, bitDepth: 8, filterType: 0, deflateLevel: 9 }));
}

/** Encodes `image` as PNG and writes it to `path`. */
export async function writePng(path: string, image: PngImage): Promise<void> {
  await writeFile(path, encodePngNode(image));
}

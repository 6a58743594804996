// Node-only half of the PNG encoder: compresses with node:zlib's deflateSync (level 9) and writes
// files with node:fs; the chunk layout and CRCs live in the browser-safe ./png.
import { writeFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import { encodePng, type PngImage } from './png';

/** zlib-compressed PNG bytes for an 8-bit grayscale or RGB image. */
export function encodePngNode(image: PngImage): Uint8Array {
  return encodePng(image, (data) => deflateSync(data, { level: 9 }));
}

/** Encodes `image` as PNG and writes it to `path`. */
export async function writePng(path: string, image: PngImage): Promise<void> {
  await writeFile(path, encodePngNode(image));
}

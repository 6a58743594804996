// The page's reader of dropped files (demo/data-read.ts) in Node, over Blobs, with the Node image
// decoders standing in for the browser's: loose colour PNGs, a zip of PNG and JPEG with class
// folders, a truncated file, mixed sizes (the majority kept, the odd ones named), .npy and .npz
// arrays, a CIFAR batch, files of no known format, and the memory cap refusing before decoding.
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { zipSync } from 'fflate';
import { readDataFiles, type DataFile } from '../../demo/data-read';
import { decodeImageInto } from '../../src/data/image-decode-node';
import { encodeNpy } from '../../src/data/npy';
import { encodeCifar10 } from '../../src/data/cifar';

const decode = decodeImageInto;

/** A w×h RGB picture whose pixels are a function of (i, x, y, channel): every image different, R ≠ G. */
function rgb(i: number, w: number, h: number): Uint8Array {
  return Uint8Array.from({ length: w * h * 3 }, (_, k) => (i * 37 + (k % 3) * 80 + Math.floor(k / 3) * 5) % 256);
}

function png(i: number, w: number, h: number): Uint8Array {
  const p = new PNG({ width: w, height: h });
  const px = rgb(i, w, h);
  for (let q = 0; q < w * h; q++) {
    p.data[4 * q] = px[3 * q]!; p.data[4 * q + 1] = px[3 * q + 1]!; p.data[4 * q + 2] = px[3 * q + 2]!; p.data[4 * q + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(p));
}

function jpg(i: number, w: number, h: number): Uint8Array {
  const px = rgb(i, w, h), data = new Uint8Array(w * h * 4);
  for (let q = 0; q < w * h; q++) { data.set(px.subarray(3 * q, 3 * q + 3), 4 * q); data[4 * q + 3] = 255; }
  return new Uint8Array(jpeg.encode({ data, width: w, height: h }, 95).data);
}

const file = (path: string, bytes: Uint8Array): DataFile => ({ path, blob: new Blob([bytes as BlobPart]) });

describe('demo data reader', () => {
  it('reads loose colour PNGs as uint8 HWC, in path order, without labels', async () => {
    const files = Array.from({ length: 12 }, (_, i) => file(`img${String(i).padStart(2, '0')}.png`, png(i, 6, 5)));
    const r = await readDataFiles(files.reverse(), { decode });
    expect(r.set.count).toBe(12);
    expect(r.set.shape).toEqual({ height: 5, width: 6, channels: 3 });
    expect(r.set.pixels).toBeInstanceOf(Uint8Array);
    expect(Array.from(r.set.pixels.subarray(0, 90))).toEqual(Array.from(rgb(0, 6, 5)));
    expect(Array.from(r.set.pixels.subarray(11 * 90, 12 * 90))).toEqual(Array.from(rgb(11, 6, 5)));
    expect(r.set.labels).toBeUndefined();
    expect(r.problems).toEqual([]);
  });

  it('reads a zip of PNG and JPEG images in class folders, labels by folder', async () => {
    const entries: Record<string, Uint8Array> = {};
    for (let i = 0; i < 4; i++) entries[`set/cat/${i}.png`] = png(i, 8, 8);
    for (let i = 0; i < 3; i++) entries[`set/dog/${i}.jpg`] = jpg(10 + i, 8, 8);
    entries['set/.DS_Store'] = new Uint8Array([0, 1, 2]);
    const r = await readDataFiles([file('pets.zip', zipSync(entries))], { decode });
    expect(r.set.count).toBe(7);
    expect(r.set.shape).toEqual({ height: 8, width: 8, channels: 3 });
    expect(r.set.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(r.set.labels!)).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect(Array.from(r.set.pixels.subarray(0, 192))).toEqual(Array.from(rgb(0, 8, 8)));
    // JPEG is lossy: the decoded pixels are near the encoded ones.
    const j = r.set.pixels.subarray(4 * 192, 5 * 192), want = rgb(10, 8, 8);
    const worst = Math.max(...Array.from(j, (v, k) => Math.abs(v - want[k]!)));
    expect(worst, 'worst JPEG pixel error at quality 95').toBeLessThan(40);
    expect(r.problems).toEqual([]);
    expect(r.notes.join(' ')).toMatch(/2 classes/);
  });

  it('keeps the size most images share and names the odd and the broken files', async () => {
    const good = Array.from({ length: 9 }, (_, i) => file(`a/${i}.png`, png(i, 8, 8)));
    const odd = file('a/odd.png', png(99, 10, 8));
    const cut = png(5, 8, 8);
    const truncated = file('a/cut.png', cut.subarray(0, cut.length - 30));
    const junk = file('a/notes.txt', new TextEncoder().encode('hello, not an image'));
    const j = jpg(3, 8, 8), cutJpeg = file('a/cut.jpg', j.subarray(0, j.length - 40));
    const r = await readDataFiles([...good, odd, truncated, junk, cutJpeg], { decode });
    expect(r.set.count).toBe(9);
    expect(r.set.shape).toEqual({ height: 8, width: 8, channels: 3 });
    const text = r.problems.join('\n');
    expect(text).toMatch(/odd\.png \(10×8\)/);
    expect(text).toMatch(/cut\.png: the PNG has no IEND chunk at its end; the file is truncated/);
    expect(text).toMatch(/cut\.jpg: the JPEG has no end-of-image marker at its end; the file is truncated/);
    expect(text).toMatch(/notes\.txt: not an image or a data file \(first bytes 68 65 6c/);
  });

  it('reads .npy (uint8 N×H×W×C) and an .npz with labels', async () => {
    const px = Uint8Array.from({ length: 5 * 4 * 4 * 3 }, (_, k) => (k * 7) % 256);
    const r = await readDataFiles([file('x.npy', encodeNpy(px, [5, 4, 4, 3]))], { decode });
    expect(r.set.count).toBe(5);
    expect(r.set.shape).toEqual({ height: 4, width: 4, channels: 3 });
    expect(Array.from(r.set.pixels)).toEqual(Array.from(px));
    const f = Float32Array.from({ length: 6 * 3 * 3 }, (_, k) => (k % 10) / 10);
    const npz = zipSync({ 'x_train.npy': encodeNpy(f, [6, 3, 3]), 'y_train.npy': encodeNpy(Uint8Array.from([0, 1, 2, 0, 1, 2]), [6]), 'x_test.npy': encodeNpy(f, [6, 3, 3]) });
    const z = await readDataFiles([file('data.npz', npz)], { decode });
    expect(z.set.shape).toEqual({ height: 3, width: 3, channels: 1 });
    expect(z.set.pixels).toBeInstanceOf(Float32Array);
    expect(Array.from(z.set.labels!)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(z.notes.join(' ')).toMatch(/x_test\.npy/);
  });

  it('refuses a truncated .npy by name, and reads a CIFAR-10 batch told by its content', async () => {
    const npy = encodeNpy(new Uint8Array(4 * 8 * 8), [4, 8, 8]);
    await expect(readDataFiles([file('short.npy', npy.subarray(0, npy.length - 10))], { decode })).rejects.toThrow(/short\.npy: truncated/);
    const pixels = Uint8Array.from({ length: 3 * 3072 }, (_, k) => k % 251);
    const r = await readDataFiles([file('batch.dat', encodeCifar10(pixels, Uint8Array.from([3, 1, 4])))], { decode });
    expect(r.set.shape).toEqual({ height: 32, width: 32, channels: 3 });
    expect(Array.from(r.set.labels!)).toEqual([3, 1, 4]);
    expect(Array.from(r.set.pixels.subarray(0, 64))).toEqual(Array.from(pixels.subarray(0, 64)));
  });

  it('refuses images over the memory cap before decoding any', async () => {
    let decoded = 0;
    const files = Array.from({ length: 4 }, (_, i) => file(`${i}.png`, png(i, 16, 16)));
    await expect(readDataFiles(files, { decode: (...a) => { decoded++; decode(...a); }, maxBytes: 2000 })).rejects.toThrow(/4 images of 16×16×3 uint8 = 3\.0 KiB in memory, over the \?maxData cap of 2\.0 KiB/);
    expect(decoded).toBe(0);
  });

  it('says what it found when nothing is usable', async () => {
    await expect(readDataFiles([file('a.txt', new Uint8Array([1, 2, 3]))], { decode })).rejects.toThrow(/no images could be read from 1 file: a\.txt: not an image/);
  });
});

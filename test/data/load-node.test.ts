// Tests for the Node data loader (src/data/load-node.ts and its folder / zip plans) on files made
// here: every format and layout (image folders with and without class folders, zips, .npz, CIFAR
// and IDX folders, a train/test folder), and the hostile ones: mixed image sizes and layouts named
// file by file, truncated and lying files, devices, caps refused before reading.
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CIFAR_PIXELS, encodeCifar10 } from '../../src/data/cifar';
import { loadImages } from '../../src/data/load-node';
import { MemoryCapError } from '../../src/data/memory-cap';
import { encodeNpy } from '../../src/data/npy';
import { encodePngNode } from '../../src/util/png-node';
import { rng } from '../util/random';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-load-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const r = rng(3);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
const gray = (w: number, h: number, px = bytes(w * h)) => ({ png: encodePngNode({ width: w, height: h, pixels: px }), px });
const rgb = (w: number, h: number, px = bytes(w * h * 3)) => ({ png: encodePngNode({ width: w, height: h, channels: 3, pixels: px }), px });

async function files(name: string, entries: Record<string, Uint8Array>): Promise<string> {
  const root = join(dir, name);
  for (const [p, b] of Object.entries(entries)) {
    await mkdir(join(root, p, '..'), { recursive: true });
    await writeFile(join(root, p), b);
  }
  return root;
}

describe('image folders', () => {
  it('images directly in a folder: no labels, sorted by name, pixels exact', async () => {
    const a = gray(3, 2), b = gray(3, 2);
    const d = await files('plain', { 'b.png': b.png, 'a.png': a.png, '.hidden.png': new Uint8Array(3), 'notes.txt': new TextEncoder().encode('hi') });
    const got = await loadImages(d);
    expect(got.train.count).toBe(2);
    expect(got.train.labels).toBeUndefined();
    expect(got.train.shape).toEqual({ height: 2, width: 3, channels: 1 });
    expect(Array.from(got.train.pixels)).toEqual([...a.px, ...b.px]);
    expect(got.notes.join('\n')).toMatch(/skipped notes\.txt/);
    expect(got.test).toBeUndefined();
  });

  it('class sub-folders give labels in sorted order; gray among colour is repeated into RGB; alpha dropped', async () => {
    const c = rgb(2, 2), g = gray(2, 2);
    const rgba = new PNG({ width: 2, height: 2 });
    const px = bytes(16);
    rgba.data = Buffer.from(px);
    const d = await files('classes', { 'dog/1.png': c.png, 'cat/1.png': g.png, 'cat/2.png': PNG.sync.write(rgba) });
    const got = await loadImages(d);
    expect(got.train.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(got.train.labels!)).toEqual([0, 0, 1]);
    expect(got.train.shape.channels).toBe(3);
    expect(Array.from(got.train.pixels.subarray(0, 3))).toEqual([g.px[0], g.px[0], g.px[0]]);
    expect(Array.from(got.train.pixels.subarray(12, 15))).toEqual([px[0], px[1], px[2]]);
    expect(Array.from(got.train.pixels.subarray(24))).toEqual(Array.from(c.px));
    expect(got.notes.join('\n')).toMatch(/1 gray image among colour ones repeated into R, G and B/);
    expect(got.notes.join('\n')).toMatch(/the alpha channel of 1 image dropped/);
  });

  it('reads JPEG too (a lossy format: close to what was encoded)', async () => {
    const w = 8, h = 8, px = new Uint8Array(w * h * 4).fill(200);
    const d = await files('jpeg', { 'x.jpg': new Uint8Array(jpeg.encode({ width: w, height: h, data: Buffer.from(px) }, 95).data) });
    const got = await loadImages(d);
    expect(got.train.shape).toEqual({ height: 8, width: 8, channels: 3 });
    expect(Math.abs(got.train.pixels[0]! - 200)).toBeLessThan(4);
  });

  it('refuses images of different sizes, naming the odd files and their sizes', async () => {
    const d = await files('mixed', { 'a.png': gray(4, 4).png, 'b.png': gray(4, 4).png, 'c.png': gray(4, 4).png, 'odd.png': gray(5, 3).png, 'sub/../wide.png': gray(9, 4).png });
    await expect(loadImages(d)).rejects.toThrow(/mixed: images of different sizes: 3 are 4×4 but 2 are not: odd\.png \(5×3\), wide\.png \(9×4\); every image must have one size/);
  });

  it('refuses images both in and outside class folders, and folders more than one deep', async () => {
    const d = await files('layout', { 'top.png': gray(2, 2).png, 'cat/a.png': gray(2, 2).png });
    await expect(loadImages(d)).rejects.toThrow(/holds both images in class folders \(cat\/\) and images outside any \(top\.png\)/);
    const z = join(dir, 'deep.zip');
    await writeFile(z, zipSync({ 'cat/x/a.png': gray(2, 2).png, 'dog/b.png': gray(2, 2).png }));
    await expect(loadImages(z)).rejects.toThrow(/images more than one folder down \(cat\/x\/a\.png\)/);
  });

  it('a truncated or lying PNG is named; a device in the folder is refused by name', async () => {
    const good = gray(4, 4).png;
    const d = await files('broken', { 'a.png': good, 'b.png': good.subarray(0, good.length - 20) });
    await expect(loadImages(d)).rejects.toThrow(/broken\/b\.png: cannot decode the PNG image/);
    // IHDR says 4×4 (and the CRC is fixed up), but the data is for 8×8: pngjs inflates no further than 4×4 needs.
    const big = gray(8, 8).png.slice();
    const v = new DataView(big.buffer);
    v.setUint32(16, 4); v.setUint32(20, 4);
    const crc = (await import('../../src/data/zip')).crc32(big.subarray(12, 29));
    v.setUint32(29, crc);
    const l = await files('lying', { 'a.png': big });
    await expect(loadImages(l)).rejects.toThrow(/lying\/a\.png: cannot decode the PNG image/);
    const dev = await files('dev', { 'a.png': good });
    await symlink('/dev/zero', join(dev, 'b.png'));
    await expect(loadImages(dev)).rejects.toThrow(/dev\/b\.png is a character device; expected a regular file/);
  });
});

describe('archives and arrays', () => {
  it('a zip of class folders under one top folder; an .npz with Keras names; np.savez positional names', async () => {
    const a = rgb(3, 3), b = rgb(3, 3);
    const z = join(dir, 'set.zip');
    await writeFile(z, zipSync({ 'set/': new Uint8Array(0), 'set/one/a.png': a.png, 'set/two/b.png': b.png, '__MACOSX/set/._a.png': new Uint8Array(4) }));
    const got = await loadImages(z);
    expect(got.train.classNames).toEqual(['one', 'two']);
    expect(Array.from(got.train.pixels)).toEqual([...a.px, ...b.px]);

    const x = bytes(4 * 5 * 5), y = Uint8Array.from([1, 0, 3, 2]), xt = bytes(2 * 5 * 5);
    const npz = join(dir, 'keras.npz');
    await writeFile(npz, zipSync({ 'x_train.npy': encodeNpy(x, [4, 5, 5]), 'y_train.npy': encodeNpy(y, [4]), 'x_test.npy': [encodeNpy(xt, [2, 5, 5]), { level: 6 }], 'y_test.npy': encodeNpy(y.subarray(0, 2), [2]) }));
    const k = await loadImages(npz);
    expect(Array.from(k.train.labels!)).toEqual([1, 0, 3, 2]);
    expect(Array.from(k.train.pixels)).toEqual(Array.from(x));
    expect(Array.from(k.test!.pixels)).toEqual(Array.from(xt));

    const pos = join(dir, 'pos.npz');
    const f = Float32Array.from({ length: 3 * 2 * 2 * 3 }, () => r());
    await writeFile(pos, zipSync({ 'arr_0.npy': encodeNpy(f, [3, 2, 2, 3]), 'arr_1.npy': encodeNpy(Uint8Array.from([5, 6, 7]), [3]) }));
    const p = await loadImages(pos);
    expect(p.train.pixels).toBeInstanceOf(Float32Array);
    expect(Array.from(p.train.pixels)).toEqual(Array.from(f));
    expect(Array.from(p.train.labels!)).toEqual([5, 6, 7]);
  });

  it('an .npz whose entry disagrees with its array header, or whose labels do not match, is refused by name', async () => {
    const npz = zipSync({ 'x.npy': encodeNpy(bytes(8), [2, 2, 2]), 'y.npy': encodeNpy(Uint8Array.from([1, 2, 3]), [3]) });
    await writeFile(join(dir, 'count.npz'), npz);
    await expect(loadImages(join(dir, 'count.npz'))).rejects.toThrow(/count\.npz: y\.npy holds 3 labels for the 2 images of x\.npy/);
    const odd = zipSync({ 'a.npy': encodeNpy(bytes(8), [2, 2, 2]), 'b.npy': encodeNpy(bytes(8), [2, 2, 2]) });
    await writeFile(join(dir, 'names.npz'), odd);
    await expect(loadImages(join(dir, 'names.npz'))).rejects.toThrow(/an \.npz with arrays a, b; expected one images array named x_train/);
  });

  it('.npy straight from a file; a lying header is refused before the data is read', async () => {
    const x = bytes(3 * 4 * 4 * 3);
    await writeFile(join(dir, 'x.npy'), encodeNpy(x, [3, 4, 4, 3]));
    expect(Array.from((await loadImages(join(dir, 'x.npy'))).train.pixels)).toEqual(Array.from(x));
    const cut = encodeNpy(x, [3, 4, 4, 3]);
    await writeFile(join(dir, 'cut.npy'), cut.subarray(0, cut.length - 1));
    await expect(loadImages(join(dir, 'cut.npy'))).rejects.toThrow(/cut\.npy: truncated: shape \(3, 4, 4, 3\) needs 144 data bytes after the 128-byte header, the file has 143/);
  });

  it('CIFAR batches: data_batch_* train, test_batch test, class names from batches.meta.txt', async () => {
    const px = bytes(5 * CIFAR_PIXELS), lab = Uint8Array.from([0, 1, 2, 3, 4]);
    const d = await files('cifar', {
      'data_batch_2.bin': encodeCifar10(px.subarray(3 * CIFAR_PIXELS), lab.subarray(3)),
      'data_batch_1.bin': encodeCifar10(px.subarray(0, 3 * CIFAR_PIXELS), lab.subarray(0, 3)),
      'test_batch.bin': encodeCifar10(px.subarray(0, CIFAR_PIXELS), lab.subarray(0, 1)),
      'batches.meta.txt': new TextEncoder().encode('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n'),
    });
    const got = await loadImages(d);
    expect(Array.from(got.train.labels!)).toEqual([0, 1, 2, 3, 4]);
    expect(Buffer.compare(Buffer.from(got.train.pixels as Uint8Array), Buffer.from(px))).toBe(0);
    expect(got.test!.count).toBe(1);
    expect(got.train.classNames![9]).toBe('truck');
  });

  it('an IDX folder as MNIST ships it (gzipped), and a single IDX file', async () => {
    const idx = (dims: number[], data: Uint8Array) => {
      const h = Buffer.alloc(4 + 4 * dims.length);
      h.writeUInt32BE(dims.length === 3 ? 0x803 : 0x801, 0);
      dims.forEach((v, i) => h.writeUInt32BE(v, 4 + 4 * i));
      return new Uint8Array(Buffer.concat([h, data]));
    };
    const px = bytes(3 * 4 * 4);
    const d = await files('idx', {
      'train-images-idx3-ubyte.gz': gzipSync(idx([3, 4, 4], px)), 'train-labels-idx1-ubyte': idx([3], Uint8Array.from([7, 8, 9])),
      't10k-images-idx3-ubyte': idx([1, 4, 4], px.subarray(0, 16)),
    });
    const got = await loadImages(d);
    expect(got.describe).toBe(`IDX files in ${d}`);
    expect(Array.from(got.train.labels!)).toEqual([7, 8, 9]);
    expect(got.test!.labels).toBeUndefined();
    expect(Array.from(got.train.pixels)).toEqual(Array.from(px));
    expect((await loadImages(join(d, 't10k-images-idx3-ubyte'))).train.count).toBe(1);
    await expect(loadImages(join(d, 'train-labels-idx1-ubyte'))).rejects.toThrow(/is an IDX labels file \(1 dim\); pass the images file/);
  });

  it('a folder with train and test entries is split by them; one kind of data per folder', async () => {
    const d = await files('split', { 'train.npy': encodeNpy(bytes(2 * 9), [2, 3, 3]), 'test/a.png': gray(3, 3).png });
    const got = await loadImages(d);
    expect([got.train.count, got.test!.count]).toEqual([2, 1]);
    const m = await files('kinds', { 'a.png': gray(2, 2).png, 'data_batch_1.bin': encodeCifar10(bytes(CIFAR_PIXELS), Uint8Array.from([1])) });
    await expect(loadImages(m)).rejects.toThrow(/kinds mixes CIFAR batches \(data_batch_1\.bin\) and images \(a\.png\); expected one kind of data/);
    const bad = await files('badsplit', { 'train.npy': encodeNpy(bytes(2 * 9), [2, 3, 3]), 'test.npy': encodeNpy(bytes(2 * 4), [2, 2, 2]) });
    await expect(loadImages(bad)).rejects.toThrow(/the test images .* are 2×2×1 but the training images .* are 3×3×1; expected one shape/);
    await expect(loadImages(join(dir, 'nowhere'))).rejects.toThrow(/nowhere: no such file or folder; expected PNG or JPEG images/);
    await writeFile(join(dir, 'text.bin'), new TextEncoder().encode('plain text'));
    await expect(loadImages(join(dir, 'text.bin'))).rejects.toThrow(/text\.bin is no data format this reader knows \(first bytes 70 6c 61 69 6e 20 74 65\)/);
  });
});

describe('the memory cap: refused from headers, by name, before anything is read', () => {
  it('names the file, what it claims and the cap, for every format', async () => {
    const cap = { maxBytes: 1000, capName: '--max-memory' };
    await writeFile(join(dir, 'big.npy'), encodeNpy(new Float32Array(300), [3, 10, 10]));
    await expect(loadImages(join(dir, 'big.npy'), cap)).rejects.toThrow(/big\.npy claims 3 images of 10×10×1 float32 = 1\.2 KiB in memory, over the --max-memory cap of 1000 bytes; refused before reading it/);
    // A sparse giant: a 4-GiB CIFAR batch made with truncate holds no data on disk.
    const sparse = join(dir, 'sparse-cifar', 'data_batch_1.bin');
    await mkdir(join(sparse, '..'));
    await writeFile(sparse, encodeCifar10(bytes(CIFAR_PIXELS), Uint8Array.from([1])));
    await truncate(sparse, 3073 * 1_400_000);
    const e = await loadImages(join(dir, 'sparse-cifar')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MemoryCapError);
    expect((e as Error).message).toMatch(/data_batch_1\.bin claims 1400000 images of 32×32×3 uint8 with labels = 4\.01 GiB in memory, over the maxBytes cap of 512\.0 MiB/);
    // A PNG whose header claims 60000 × 60000 pixels.
    const huge = gray(2, 2).png.slice();
    new DataView(huge.buffer).setUint32(16, 60000);
    new DataView(huge.buffer).setUint32(20, 60000);
    await writeFile(join(dir, 'huge.png'), huge);
    await expect(loadImages(join(dir, 'huge.png'))).rejects.toThrow(/huge\.png claims 1 image of 60000×60000×1 uint8 = 3\.35 GiB/);
    // Claims add up over a folder's files.
    const two = await files('two', { 'train.npy': encodeNpy(new Uint8Array(600), [6, 10, 10]), 'test.npy': encodeNpy(new Uint8Array(600), [6, 10, 10]) });
    await expect(loadImages(two, cap)).rejects.toThrow(/test\.npy claims 6 images of 10×10×1 uint8 = 600 bytes in memory; with what the data's other files claim, 1\.2 KiB in all, over the --max-memory cap/);
  });
});

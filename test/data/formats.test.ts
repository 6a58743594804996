// Tests for the pure format readers: .npy (src/data/npy.ts) against hand-made headers of every
// version and every refusal, CIFAR batches (cifar.ts), PNG / JPEG header probes (image-header.ts)
// and format detection from content (detect.ts); numpy's own files when a python3 with numpy is here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { CIFAR_PIXELS, decodeCifar, detectCifar, encodeCifar10 } from '../../src/data/cifar';
import { detectFormat } from '../../src/data/detect';
import { jpegHeader, pngHeader } from '../../src/data/image-header';
import { decodeNpyImages, decodeNpyLabels, encodeNpy, parseNpyHeader } from '../../src/data/npy';
import { encodePngNode } from '../../src/util/png-node';
import { rng } from '../util/random';

const r = rng(5);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));

/** A .npy file with a header dictionary written by hand (version 1, 2 or 3). */
function npy(dict: string, data: Uint8Array, version = 1): Uint8Array {
  const lenBytes = version === 1 ? 2 : 4;
  let text = dict;
  while ((6 + 2 + lenBytes + text.length + 1) % 64) text += ' ';
  text += '\n';
  const head = new Uint8Array(8 + lenBytes + text.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  // Little-endian u16 (version 1) or u32 (2, 3) header length.
  for (let k = 0; k < lenBytes; k++) head[8 + k] = (text.length >> (8 * k)) & 0xff;
  for (let i = 0; i < text.length; i++) head[8 + lenBytes + i] = text.charCodeAt(i);
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}

describe('.npy', () => {
  it('reads uint8 and float32 images of 3 and 4 dims, every format version', () => {
    const u8 = bytes(2 * 3 * 4 * 3);
    for (const v of [1, 2, 3]) {
      const set = decodeNpyImages(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 4, 3), }", u8, v), 'a.npy');
      expect([set.count, set.shape.height, set.shape.width, set.shape.channels]).toEqual([2, 3, 4, 3]);
      expect(Array.from(set.pixels)).toEqual(Array.from(u8));
    }
    const f = Float32Array.from({ length: 2 * 5 * 5 }, () => r());
    const set = decodeNpyImages(encodeNpy(f, [2, 5, 5]), 'f.npy');
    expect(set.pixels).toBeInstanceOf(Float32Array);
    expect(set.shape.channels).toBe(1);
    expect(Array.from(set.pixels)).toEqual(Array.from(f));
    expect(parseNpyHeader(encodeNpy(f, [2, 5, 5]), 'f').headerBytes % 64).toBe(0);
  });

  it('refuses every other layout naming the file, what it holds and what to do', () => {
    const h = (descr: string, shape: string, fortran = 'False') => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
    const cases: [Uint8Array, RegExp][] = [
      [npy(h('<f4', '(2, 2, 2)', 'True'), new Uint8Array(32)), /x\.npy: the array is in Fortran order .*expected C order: save np\.ascontiguousarray/],
      [npy(h('<f8', '(2, 2, 2)'), new Uint8Array(64)), /holds float64; images must be uint8 \('\|u1'\) or float32 \('<f4'\): save a\.astype\(np\.float32\)/],
      [npy(h('|O', '(2,)'), new Uint8Array(16)), /holds Python objects \(pickled\).*never unpickled/],
      [npy(h('<i4', '(2, 2, 2)'), new Uint8Array(32)), /holds int32; images must be uint8/],
      [npy(h('>f4', '(2, 2, 2)'), new Uint8Array(32)), /big-endian \('>f4'\); expected little-endian/],
      [npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8)), /structured array/],
      [npy(h('|u1', '(4, 9)'), new Uint8Array(36)), /shape is \(4, 9\); images must be N×H×W or N×H×W×C \(reshape flat rows/],
      [npy(h('|u1', '(2, 3, 8, 8)'), new Uint8Array(384)), /looks channels-first \(N×C×H×W\); expected N×H×W×C: save np\.transpose\(a, \(0, 2, 3, 1\)\)/],
      [npy(h('|u1', '(1, 2, 2, 7)'), new Uint8Array(28)), /has 7 channels; expected 1 to 4/],
      [npy(h('|u1', '(0, 2, 2)'), new Uint8Array(0)), /has a zero dimension/],
      [npy(h('|u1', '(2, 2, 2)'), new Uint8Array(7)), /truncated: shape \(2, 2, 2\) of uint8 needs 8 data bytes after the \d+-byte header, found 7/],
      [npy(h('|u1', '(2, 2, 2)'), new Uint8Array(9)), /1 bytes of trailing garbage after the 8 data bytes/],
      [npy('not a dict', new Uint8Array(0)), /is not a dictionary/],
      [npy(h('|u1', '(2, -1, 2)'), new Uint8Array(0)), /shape entry '-1' that is not a non-negative integer/],
      [Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 0xff, 0xff, 0xff, 0x7f]), /header claims 2147483647 bytes, over the 65536/],
      [Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 9, 0, 0, 0]), /format version 9\.0 is unknown/],
      [Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 200, 0]), /header needs 210 bytes but the file has 10/],
    ];
    for (const [b, re] of cases) expect(() => decodeNpyImages(b, 'x.npy')).toThrow(re);
  });

  it('reads labels of any integer dtype as class indices, refusing values outside 0..255', () => {
    const lab = (descr: string, vals: number[], size: number, shape = `(${vals.length},)`) => {
      const data = new Uint8Array(vals.length * size), v = new DataView(data.buffer);
      vals.forEach((x, i) => (size === 8 ? v.setBigInt64(i * 8, BigInt(x), true) : size === 4 ? v.setInt32(i * 4, x, true) : size === 2 ? v.setInt16(i * 2, x, true) : v.setInt8(i, x)));
      return npy(`{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`, data);
    };
    expect(Array.from(decodeNpyLabels(lab('<i8', [3, 0, 9, 255], 8), 'y'))).toEqual([3, 0, 9, 255]);
    expect(Array.from(decodeNpyLabels(lab('<u2', [7, 1], 2, '(2, 1)'), 'y'))).toEqual([7, 1]);
    expect(Array.from(decodeNpyLabels(lab('|u1', [4], 1), 'y'))).toEqual([4]);
    expect(() => decodeNpyLabels(lab('<i4', [1, -1], 4), 'y.npy')).toThrow(/y\.npy: label 1 is -1; expected a class index from 0 to 255/);
    expect(() => decodeNpyLabels(lab('<i8', [256], 8), 'y')).toThrow(/label 0 is 256/);
    expect(() => decodeNpyLabels(encodeNpy(new Float32Array(2), [2]), 'y')).toThrow(/labels hold float32; expected an integer array/);
    expect(() => decodeNpyLabels(lab('|u1', [1, 2], 1, '(1, 2)'), 'y')).toThrow(/labels have shape \(1, 2\); expected \(N,\) or \(N, 1\)/);
  });

  const python = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!python)('reads the files numpy itself writes (np.save, C order uint8 and float32)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-npy-'));
    try {
      const code = `import numpy as np
x = (np.arange(2*3*4*3) * 7 % 256).astype(np.uint8).reshape(2, 3, 4, 3)
np.save('${dir}/u8.npy', x)
np.save('${dir}/f4.npy', (x[..., 0] / 255).astype(np.float32))`;
      const p = spawnSync('python3', ['-c', code], { encoding: 'utf8' });
      expect(p.status, p.stderr).toBe(0);
      const u8 = decodeNpyImages(readFileSync(join(dir, 'u8.npy')), 'u8.npy');
      expect(u8.shape).toEqual({ height: 3, width: 4, channels: 3 });
      expect(Array.from(u8.pixels.subarray(0, 5))).toEqual([0, 7, 14, 21, 28]);
      const f4 = decodeNpyImages(readFileSync(join(dir, 'f4.npy')), 'f4.npy');
      expect(f4.pixels[1]).toBeCloseTo(21 / 255, 6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('CIFAR batches', () => {
  it('round-trips CHW records to HWC images with labels, and names a corrupt record', () => {
    const px = bytes(3 * CIFAR_PIXELS), labels = Uint8Array.from([9, 0, 4]);
    const file = encodeCifar10(px, labels);
    expect(file.length).toBe(3 * 3073);
    // Record 1's red plane starts right after its label byte; pixel 0's green is 1024 bytes later.
    expect(file[3073 + 1]).toBe(px[CIFAR_PIXELS]);
    expect(file[3073 + 1 + 1024]).toBe(px[CIFAR_PIXELS + 1]);
    const set = decodeCifar(file, 'cifar10', 'b.bin');
    expect(Array.from(set.labels!)).toEqual([9, 0, 4]);
    expect(Buffer.compare(Buffer.from(set.pixels as Uint8Array), Buffer.from(px))).toBe(0);
    const bad = file.slice();
    bad[2 * 3073] = 10;
    expect(() => decodeCifar(bad, 'cifar10', 'b.bin')).toThrow(/b\.bin: record 2 has label byte 0 = 10; expected 0\.\.9/);
    expect(() => decodeCifar(file.subarray(0, 3 * 3073 - 1), 'cifar10', 'b.bin')).toThrow(/9218 bytes is not a whole number of CIFAR-10 records of 3073 bytes/);
  });

  it('CIFAR-100: two label bytes, the fine one kept', () => {
    const rec = new Uint8Array(3074);
    rec[0] = 19; rec[1] = 99;
    expect(detectCifar(3074, rec)).toBe('cifar100');
    expect(Array.from(decodeCifar(rec, 'cifar100', 'c').labels!)).toEqual([99]);
  });
});

describe('image headers and format detection', () => {
  it('PNG: size and colour from IHDR; JPEG: from its start-of-frame marker, wherever it is', () => {
    const gray = encodePngNode({ width: 5, height: 3, pixels: bytes(15) });
    expect(pngHeader(gray, 'g')).toMatchObject({ format: 'png', width: 5, height: 3, channels: 1, alpha: false });
    const rgb = encodePngNode({ width: 2, height: 7, channels: 3, pixels: bytes(42) });
    expect(pngHeader(rgb, 'c')).toMatchObject({ width: 2, height: 7, channels: 3 });
    const j = jpeg.encode({ width: 9, height: 4, data: Buffer.from(bytes(9 * 4 * 4)) }, 90).data;
    expect(jpegHeader(new Uint8Array(j), 'j')).toMatchObject({ format: 'jpeg', width: 9, height: 4, channels: 3 });
    expect(jpegHeader(new Uint8Array(j).subarray(0, 20), 'j')).toBeUndefined();
    expect(() => pngHeader(gray.subarray(0, 20), 'g.png')).toThrow(/g\.png: PNG file of 20 bytes ends before its IHDR/);
    const zero = gray.slice();
    zero.set([0, 0, 0, 0], 16);
    expect(() => pngHeader(zero, 'z.png')).toThrow(/claims 0×3 pixels/);
  });

  it('tells formats from content, not names; CIFAR from its size and label bytes', () => {
    const idx = new Uint8Array(16 + 8);
    idx.set([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2]);
    expect(detectFormat(idx, idx.length)).toBe('idx-images');
    expect(detectFormat(Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 1, 5]), 9)).toBe('idx-labels');
    expect(detectFormat(encodePngNode({ width: 1, height: 1, pixels: new Uint8Array(1) }), 70)).toBe('png');
    expect(detectFormat(encodeNpy(new Uint8Array(8), [2, 2, 2]), 200)).toBe('npy');
    expect(detectFormat(Uint8Array.from([0x50, 0x4b, 3, 4]), 100)).toBe('zip');
    expect(detectFormat(Uint8Array.from([0x1f, 0x8b, 8]), 100)).toBe('gzip');
    const cifar = encodeCifar10(bytes(2 * CIFAR_PIXELS), Uint8Array.from([3, 8]));
    expect(detectFormat(cifar, cifar.length)).toBe('cifar10');
    // A CIFAR record that starts like an IDX header is still CIFAR when the IDX dims do not give the size.
    const tricky = cifar.slice();
    tricky.set([0, 0, 8, 3], 0);
    expect(detectFormat(tricky, tricky.length)).toBe('cifar10');
    // The right size but a label out of range: not CIFAR.
    const notCifar = cifar.slice();
    notCifar[3073] = 200;
    expect(detectFormat(notCifar, notCifar.length)).toBe('unknown');
    expect(detectFormat(new TextEncoder().encode('hello'), 5)).toBe('unknown');
  });
});

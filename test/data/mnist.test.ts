// Tests for the embedded MNIST data set (src/data/mnist.ts): the fixed g % 10 == 9 split,
// label/pixel correctness against the raw package files, and the VAEMNIST pack/unpack format.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateDataset } from '../../src/data/dataset';
import {
  loadEmbeddedMnist,
  MNIST_DIM,
  packMnistU8,
  splitMnist,
  unpackMnistU8,
  type MnistSplit,
} from '../../src/data/mnist';

const digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
const readRaw = (d: number): number[] =>
  (JSON.parse(readFileSync(join(digitsDir, `${d}.json`), 'utf8')) as { data: number[] }).data;

let split: MnistSplit;
let raw: number[][];

beforeAll(async () => {
  split = await loadEmbeddedMnist();
  raw = Array.from({ length: 10 }, (_, d) => readRaw(d));
});

describe('embedded MNIST split', () => {
  it('has 9000 train and 1000 test digits of 28×28', () => {
    expect(split.train.count).toBe(9000);
    expect(split.test.count).toBe(1000);
    for (const ds of [split.train, split.test]) {
      expect(ds.rows).toBe(28);
      expect(ds.cols).toBe(28);
      expect(ds.dim).toBe(784);
      expect(ds.images.length).toBe(ds.count * 784);
      expect(ds.labels.length).toBe(ds.count);
    }
  });

  it('per-digit counts match the g % 10 == 9 rule', () => {
    const expectTest = new Array<number>(10).fill(0);
    const expectTrain = new Array<number>(10).fill(0);
    let g = 0;
    for (let d = 0; d < 10; d++) {
      const n = raw[d]!.length / MNIST_DIM;
      for (let s = 0; s < n; s++, g++) (g % 10 === 9 ? expectTest : expectTrain)[d]!++;
    }
    const count = (labels: Uint8Array) => {
      const c = new Array<number>(10).fill(0);
      for (const l of labels) c[l]!++;
      return c;
    };
    expect(count(split.test.labels)).toEqual(expectTest);
    expect(count(split.train.labels)).toEqual(expectTrain);
    // Labels come out grouped by file, in file order.
    for (const ds of [split.train, split.test]) {
      for (let i = 1; i < ds.count; i++) expect(ds.labels[i]!).toBeGreaterThanOrEqual(ds.labels[i - 1]!);
    }
  });

  it('train[0] is file 0 sample 0 and test[0] is file 0 sample 9', () => {
    const f0 = raw[0]!;
    expect(Array.from(split.train.images.subarray(0, 784))).toEqual(Array.from(Float32Array.from(f0.slice(0, 784))));
    expect(Array.from(split.test.images.subarray(0, 784))).toEqual(
      Array.from(Float32Array.from(f0.slice(9 * 784, 10 * 784))),
    );
    // train[9] skips sample 9: it is sample 10.
    expect(Array.from(split.train.images.subarray(9 * 784, 10 * 784))).toEqual(
      Array.from(Float32Array.from(f0.slice(10 * 784, 11 * 784))),
    );
    expect(split.train.labels[0]).toBe(0);
    expect(split.test.labels[0]).toBe(0);
    expect(split.test.labels[999]).toBe(9);
  });

  it('pixels are in [0, 1] and pass bernoulli validation', () => {
    for (const ds of [split.train, split.test]) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of ds.images) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      expect(hi).toBeGreaterThan(0.9);
      expect(() => validateDataset(ds, { likelihood: 'bernoulli' })).not.toThrow();
    }
  });
});

describe('splitMnist (pure)', () => {
  it('splits synthetic data by global index', () => {
    // 7 samples of digit 0, 6 of digit 1, none of the others: g = 9 (digit 1, sample 2) is test.
    const fake = Array.from({ length: 10 }, (_, d) => {
      const n = d === 0 ? 7 : d === 1 ? 6 : 0;
      return Float32Array.from({ length: n * MNIST_DIM }, (_, i) => Math.floor(i / MNIST_DIM) / 10 + d / 100);
    });
    const s = splitMnist(fake);
    expect(s.test.count).toBe(1);
    expect(s.train.count).toBe(12);
    expect(s.test.labels[0]).toBe(1);
    expect(s.test.images[0]).toBeCloseTo(0.2 + 0.01);
  });

  it('rejects data that is not a multiple of 784', () => {
    const fake = Array.from({ length: 10 }, () => new Float32Array(784));
    fake[3] = new Float32Array(785);
    expect(() => splitMnist(fake)).toThrow(/digit 3 .*785 .*multiple of 784/);
    expect(() => splitMnist(fake.slice(0, 9))).toThrow(/expected 10/);
  });
});

describe('VAEMNIST pack / unpack', () => {
  it('round-trips within half a quantization step, labels exact', () => {
    const bytes = packMnistU8(split);
    expect(bytes.length).toBe(28 + 10000 * 785);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('VAEMNIST');
    const back = unpackMnistU8(bytes);
    for (const key of ['train', 'test'] as const) {
      const a = split[key];
      const b = back[key];
      expect([b.count, b.rows, b.cols, b.dim]).toEqual([a.count, a.rows, a.cols, a.dim]);
      expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
      let maxErr = 0;
      for (let i = 0; i < a.images.length; i++) maxErr = Math.max(maxErr, Math.abs(a.images[i]! - b.images[i]!));
      expect(maxErr).toBeLessThanOrEqual(1 / 255 / 2);
    }
    // Decoded values are exactly k/255 (in float32).
    expect(back.train.images.every((v) => Math.fround(Math.round(v * 255) / 255) === v)).toBe(true);
  });

  it('unpacks from a view with a non-zero byteOffset', () => {
    const bytes = packMnistU8(split);
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(Array.from(unpackMnistU8(padded.subarray(3)).test.labels)).toEqual(Array.from(split.test.labels));
  });

  it('rejects bad headers and sizes clearly', () => {
    const bytes = packMnistU8(split);
    expect(() => unpackMnistU8(bytes.subarray(0, 10))).toThrow(/shorter than the 28-byte VAEMNIST header/);
    const badMagic = bytes.slice();
    badMagic[0] = 0x58;
    expect(() => unpackMnistU8(badMagic)).toThrow(/bad magic .*expected "VAEMNIST"/);
    const badVersion = bytes.slice();
    badVersion[8] = 7;
    expect(() => unpackMnistU8(badVersion)).toThrow(/unsupported version 7/);
    expect(() => unpackMnistU8(bytes.subarray(0, bytes.length - 1))).toThrow(/needs 7850028 bytes, but got 7850027/);
    const badRows = bytes.slice();
    badRows[12] = 0;
    expect(() => unpackMnistU8(badRows)).toThrow(/image size 0×28 is invalid/);
  });

  it('refuses to pack values outside [0, 1]', () => {
    const bad = { train: { ...split.train, images: split.train.images.slice() }, test: split.test };
    bad.train.images[5] = 1.2;
    expect(() => packMnistU8(bad)).toThrow(/train pixel at index 5 is 1\.2.*\[0, 1\]/);
  });
});

// Tests for the general ImageSet (src/data/image-set.ts) and its float Dataset view (dataset.ts):
// batches filled from uint8 bitwise equal to the loaders' k/255, the view never materialized by the
// training path (fillRows, validation, subsets, the digest), the fixed seeded split.
import { describe, expect, it } from 'vitest';
import { datasetView, fillRows, float32Chunks, imageSetOf, isMaterialized, subset, validateDataset, type Dataset } from '../../src/data/dataset';
import { datasetFromIdx } from '../../src/data/idx';
import { fillBatch, makeImageSet, splitImages, splitIndices, takeImages, toFloat32, validateImageSet, type ImageSet } from '../../src/data/image-set';
import { dataDigest } from '../../src/cli/resume-check';
import { rng } from '../util/random';

function u8Set(count: number, h: number, w: number, c: number, seed = 1, labels = true): ImageSet {
  const r = rng(seed);
  const pixels = Uint8Array.from({ length: count * h * w * c }, () => Math.floor(r() * 256));
  return makeImageSet({ count, shape: { height: h, width: w, channels: c }, pixels, labels: labels ? Uint8Array.from({ length: count }, (_, i) => i % 7) : undefined, source: 'test set' });
}

describe('ImageSet', () => {
  it('refuses sizes that disagree, naming the source and the numbers', () => {
    const shape = { height: 2, width: 3, channels: 3 };
    expect(() => makeImageSet({ count: 2, shape, pixels: new Uint8Array(35), source: 'x.npy' })).toThrow(/x\.npy: 35 pixel values; expected 2 images × 2×3×3 = 36/);
    expect(() => makeImageSet({ count: 2, shape, pixels: new Uint8Array(36), labels: new Uint8Array(3), source: 'x' })).toThrow(/3 labels for 2 images/);
    expect(() => makeImageSet({ count: 0, shape, pixels: new Uint8Array(0), source: 'x' })).toThrow(/0 images; expected at least one/);
    expect(() => makeImageSet({ count: 1, shape: { height: 2, width: 0, channels: 1 }, pixels: new Uint8Array(0), source: 'x' })).toThrow(/2×0×1 is invalid/);
  });

  it('fills float batches from uint8 bitwise equal to the IDX loader (k / 255), in the order given', () => {
    const set = u8Set(5, 3, 4, 3);
    const ref = toFloat32(set);
    // datasetFromIdx is the loader every MNIST run used: its floats are the reference.
    const idx = new Uint8Array(16 + set.pixels.length);
    idx.set([0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0, 12]);
    idx.set(set.pixels, 16);
    expect(Buffer.compare(Buffer.from(datasetFromIdx(idx).images.buffer), Buffer.from(ref.buffer))).toBe(0);
    const out = new Float32Array(3 * set.dim + 5);
    const got = fillBatch(set, [4, 0, 4], out);
    expect(got.length).toBe(3 * set.dim);
    for (const [j, i] of [4, 0, 4].entries()) expect(Array.from(got.subarray(j * set.dim, (j + 1) * set.dim))).toEqual(Array.from(ref.subarray(i * set.dim, (i + 1) * set.dim)));
    expect(() => fillBatch(set, [5], out)).toThrow(/index 5 is out of range; expected an integer in \[0, 4\]/);
    expect(() => fillBatch(set, [0, 1], new Float32Array(set.dim))).toThrow(/out holds 36 values; 2 images of 36 need 72/);
  });

  it('float32 sets are used as stored', () => {
    const px = Float32Array.from({ length: 2 * 4 }, (_, i) => i / 10);
    const set = makeImageSet({ count: 2, shape: { height: 2, width: 2, channels: 1 }, pixels: px, source: 'f' });
    expect(toFloat32(set)).toBe(px);
    expect(Array.from(fillBatch(set, [1], new Float32Array(4)))).toEqual(Array.from(px.subarray(4)));
  });

  it('validation: uint8 always fits; float pixels must be finite, and within [0, 1] for Bernoulli', () => {
    expect(() => validateImageSet(u8Set(3, 2, 2, 1), 'bernoulli')).not.toThrow();
    const bad = makeImageSet({ count: 2, shape: { height: 1, width: 2, channels: 1 }, pixels: Float32Array.from([0, 0.5, 1.5, 0]), source: 'a.npy' });
    expect(() => validateImageSet(bad, 'bernoulli')).toThrow(/a\.npy: pixel at index 2 \(image 1, offset 0\) is 1\.5; bernoulli likelihood expects values in \[0, 1\]/);
    expect(() => validateImageSet(bad, 'gaussian')).not.toThrow();
    const nan = makeImageSet({ ...bad, pixels: Float32Array.from([0, NaN, 0, 0]) });
    expect(() => validateImageSet(nan, 'gaussian')).toThrow(/index 1 .* is NaN; expected a finite value/);
  });

  it('takeImages keeps the pixel type and the labels', () => {
    const set = u8Set(6, 2, 2, 3);
    const t = takeImages(set, [5, 1]);
    expect(t.pixels).toBeInstanceOf(Uint8Array);
    expect(Array.from(t.labels!)).toEqual([5, 1]);
    expect(Array.from(t.pixels.subarray(12))).toEqual(Array.from(set.pixels.subarray(12, 24)));
  });
});

describe('splitIndices: the fixed seeded train/test split', () => {
  it('is a partition in source order with max(1, round(N·f)) test images, the same every call', () => {
    for (const [n, f] of [[1000, 0.1], [37, 0.25], [2, 0.1], [11, 0.5]] as const) {
      const { train, test } = splitIndices(n, f);
      expect(test.length).toBe(Math.max(1, Math.round(n * f)));
      expect(train.length + test.length).toBe(n);
      const all = [...train, ...test].sort((a, b) => a - b);
      expect(all).toEqual([...Array(n).keys()]);
      expect([...train]).toEqual([...train].sort((a, b) => a - b));
      expect(splitIndices(n, f)).toEqual({ train, test });
    }
    // Not the first or last images: a shuffle, fixed by the seed.
    const a = splitIndices(1000, 0.1), b = splitIndices(1000, 0.1, 7);
    expect([...a.test]).not.toEqual([...Array(100).keys()]);
    expect([...a.test]).not.toEqual([...b.test]);
    // Pinned: the same images on every machine and every version (a resume's digest check relies on it).
    expect([...splitIndices(20, 0.2).test]).toEqual([4, 8, 11, 16]);
  });

  it('refuses what cannot be split', () => {
    expect(() => splitIndices(1, 0.1)).toThrow(/1 image cannot be split into a training and a test part/);
    expect(() => splitIndices(10, 0)).toThrow(/test fraction 0 is invalid/);
    expect(() => splitIndices(10, 1)).toThrow(/test fraction 1 is invalid/);
  });

  it('splitImages carries pixels and labels into both parts', () => {
    const set = u8Set(40, 2, 2, 1);
    const { train, test } = splitImages(set, 0.25);
    expect(train.count + test.count).toBe(40);
    const { test: idx } = splitIndices(40, 0.25);
    expect(Array.from(test.labels!)).toEqual([...idx].map((i) => set.labels![i]!));
  });
});

describe('datasetView: the float Dataset over a uint8 ImageSet', () => {
  it('has rows H and cols W·C, and batches, validation, subsets and the digest never expand it', () => {
    const set = u8Set(30, 4, 5, 3);
    const view = datasetView(set);
    expect([view.rows, view.cols, view.dim, view.count]).toEqual([4, 15, 60, 30]);
    expect(imageSetOf(view)).toBe(set);
    const out = new Float32Array(3 * 60);
    fillRows(view, [9, 2, 7, 1], 1, 3, out);
    validateDataset(view, { likelihood: 'bernoulli' });
    const sub = subset(view, [3, 4, 5]);
    expect(imageSetOf(sub)!.pixels).toBeInstanceOf(Uint8Array);
    const digest = dataDigest(view);
    expect(isMaterialized(view)).toBe(false);
    expect(isMaterialized(sub)).toBe(false);
    // The same pixels as a plain float Dataset: the same batches and the same digest (resume checks).
    const plain: Dataset = { images: toFloat32(set), labels: set.labels!, count: 30, rows: 4, cols: 15, dim: 60 };
    const ref = new Float32Array(3 * 60);
    fillRows(plain, [9, 2, 7, 1], 1, 3, ref);
    expect(Array.from(out)).toEqual(Array.from(ref));
    expect(dataDigest(plain)).toBe(digest);
    expect(Array.from(subset(plain, [3, 4, 5]).images)).toEqual(Array.from(sub.images));
    // Reading `images` makes the float copy once.
    expect(view.images).toBe(view.images);
    expect(isMaterialized(view)).toBe(true);
  });

  it('a spread copy with new images is a plain Dataset: its batches come from its own images', () => {
    const view = datasetView(u8Set(4, 1, 2, 1));
    const zeros = { ...view, images: new Float32Array(8) };
    expect(imageSetOf(zeros)).toBeUndefined();
    expect(Array.from(fillRows(zeros, [0, 1], 0, 2, new Float32Array(4)))).toEqual([0, 0, 0, 0]);
  });

  it('float32Chunks gives the images in order, in chunks', () => {
    const set = u8Set(7, 1, 3, 1);
    const parts: number[] = [];
    float32Chunks(datasetView(set), (c) => parts.push(...c), 3);
    expect(parts).toEqual(Array.from(toFloat32(set)));
  });

  it('a set without labels gets zeros, as IDX images without a labels file always did', () => {
    expect(Array.from(datasetView(u8Set(3, 1, 1, 1, 2, false)).labels)).toEqual([0, 0, 0]);
  });
});

// Tests for the Dataset helpers in src/data/dataset.ts: validation messages, dynamic
// binarization statistics and subset copying.
import { describe, expect, it } from 'vitest';
import { binarize, subset, validateDataset, type Dataset } from '../../src/data/dataset';
import { rng as mulberry32 } from '../util/random';

function tiny(values: number[], count = 2, rows = 1, cols = 2): Dataset {
  return {
    images: Float32Array.from(values),
    labels: Uint8Array.from({ length: count }, (_, i) => i),
    count,
    rows,
    cols,
    dim: rows * cols,
  };
}

// Small seeded PRNG so statistical checks are reproducible.

describe('validateDataset', () => {
  it('accepts a valid data set for both likelihoods', () => {
    const ds = tiny([0, 0.5, 1, 0.25]);
    expect(() => validateDataset(ds, { likelihood: 'bernoulli' })).not.toThrow();
    expect(() => validateDataset(ds, { likelihood: 'gaussian' })).not.toThrow();
  });

  it('names the first NaN / Inf pixel', () => {
    expect(() => validateDataset(tiny([0, 0.5, NaN, Infinity]), { likelihood: 'gaussian' })).toThrow(
      /index 2 .*NaN.*finite/,
    );
    expect(() => validateDataset(tiny([0, -Infinity, 0, 0]), { likelihood: 'bernoulli' })).toThrow(
      /index 1 .*-Infinity/,
    );
  });

  it('rejects values outside [0, 1] only for bernoulli', () => {
    const ds = tiny([0, 0.5, 1.5, -0.1]);
    expect(() => validateDataset(ds, { likelihood: 'bernoulli' })).toThrow(/index 2 .*1\.5.*bernoulli.*\[0, 1\]/);
    expect(() => validateDataset(ds, { likelihood: 'gaussian' })).not.toThrow();
  });

  it('rejects empty and inconsistent sizes', () => {
    expect(() => validateDataset(tiny([], 0), { likelihood: 'gaussian' })).toThrow(/count is 0/);
    expect(() => validateDataset(tiny([0, 0, 0]), { likelihood: 'gaussian' })).toThrow(/3 values; expected .* = 4/);
    const badLabels = { ...tiny([0, 0, 0, 0]), labels: new Uint8Array(3) };
    expect(() => validateDataset(badLabels, { likelihood: 'gaussian' })).toThrow(/labels has 3 entries/);
    const badDim = { ...tiny([0, 0, 0, 0]), dim: 3 };
    expect(() => validateDataset(badDim, { likelihood: 'gaussian' })).toThrow(/dim is 3/);
  });
});

describe('binarize', () => {
  it('keeps 0 and 1 fixed and matches probabilities on average', () => {
    const n = 20000;
    const img = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) img.set([0, 1, 0.3], i * 3);
    const out = binarize(img, mulberry32(1));
    expect(out).not.toBe(img);
    let ones = 0;
    let wrong = 0; // counted rather than asserted per pixel to keep the test fast
    for (let i = 0; i < n; i++) {
      if (out[i * 3] !== 0 || out[i * 3 + 1] !== 1) wrong++;
      const v = out[i * 3 + 2]!;
      if (v !== 0 && v !== 1) wrong++;
      ones += v;
    }
    expect(wrong).toBe(0);
    expect(ones / n).toBeGreaterThan(0.28);
    expect(ones / n).toBeLessThan(0.32);
    expect(img[2]).toBeCloseTo(0.3); // input untouched
  });
});

describe('subset', () => {
  it('copies the chosen images and labels in order', () => {
    const ds = tiny([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 3);
    const s = subset(ds, [2, 0, 2]);
    expect(s.count).toBe(3);
    expect(Array.from(s.labels)).toEqual([2, 0, 2]);
    expect(Array.from(s.images)).toEqual(Array.from(Float32Array.from([0.5, 0.6, 0.1, 0.2, 0.5, 0.6])));
    expect(() => validateDataset(s, { likelihood: 'bernoulli' })).not.toThrow();
    s.images[0] = 9;
    expect(ds.images[4]).toBeCloseTo(0.5); // a copy, not a view
  });

  it('rejects out-of-range indices', () => {
    expect(() => subset(tiny([0, 0, 0, 0]), [0, 2])).toThrow(/indices\[1\] = 2 .*\[0, 1\]/);
    expect(() => subset(tiny([0, 0, 0, 0]), [0.5])).toThrow(/out of range/);
  });
});

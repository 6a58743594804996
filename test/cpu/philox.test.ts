// The CPU noise generator: Philox4x32-10 against the published known-answer vectors of Random123,
// and the Gaussian it makes has the moments and tails of N(0, 1), four independent normals per call.
import { describe, expect, it } from 'vitest';
import { gaussianGroup, gaussianNoise, mulhi32, philox4x32 } from '../../src/cpu/philox';
import { GROUP_LIMITS, groupMoments } from '../util/normal-groups';

describe('philox4x32-10', () => {
  // Random123's kat_vectors: counter, key -> output.
  const kat: [number[], number[], number[]][] = [
    [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
  ];
  it('reproduces the known-answer vectors', () => {
    for (const [ctr, key, want] of kat) expect(philox4x32(ctr, key)).toEqual(want);
  });

  it('mulhi32 agrees with BigInt', () => {
    const samples = [0, 1, 0xffff, 0x10000, 0xd2511f53, 0xcd9e8d57, 0xffffffff, 0x80000000, 0x12345678];
    for (const a of samples) for (const b of samples) {
      expect(mulhi32(a, b)).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
    }
  });

  it('gives standard normal noise', () => {
    const n = 200_000;
    let s1 = 0, s2 = 0, s4 = 0, beyond3 = 0;
    for (let i = 0; i < n; i++) {
      const e = gaussianNoise(1234, 7, 0, i);
      s1 += e; s2 += e * e; s4 += e ** 4;
      if (Math.abs(e) > 3) beyond3++;
    }
    const mean = s1 / n, variance = s2 / n - mean * mean;
    // Standard errors: mean 1/√n ≈ 0.0022, variance √(2/n) ≈ 0.0032, kurtosis ≈ √(96/n) ≈ 0.022.
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.015);
    expect(Math.abs(s4 / n - 3)).toBeLessThan(0.1);
    // P(|ε| > 3) = 0.0027.
    expect(beyond3 / n).toBeGreaterThan(0.0022);
    expect(beyond3 / n).toBeLessThan(0.0032);
  });

  it('gives four uncorrelated standard normals per Philox call', () => {
    const n = 2 ** 16;
    const eps = new Float64Array(4 * n);
    for (let g = 0; g < n; g++) eps.set(gaussianGroup(99, 3, 1, g), 4 * g);
    const m = groupMoments(eps);
    for (let q = 0; q < 4; q++) {
      expect(Math.abs(m.mean[q]), `mean of n${q}`).toBeLessThan(GROUP_LIMITS.mean);
      expect(Math.abs(m.variance[q] - 1), `variance of n${q}`).toBeLessThan(GROUP_LIMITS.variance);
    }
    for (const [pair, r] of Object.entries(m.corr)) expect(Math.abs(r), `correlation ${pair}`).toBeLessThan(GROUP_LIMITS.corr);
    // Element i = 4g + q is output q of group g.
    for (const i of [0, 1, 2, 3, 4, 7, 41]) expect(gaussianNoise(99, 3, 1, i)).toBe(gaussianGroup(99, 3, 1, Math.floor(i / 4))[i % 4]);
    // Box–Muller: n0, n1 share the radius √(−2 ln u(r0)) of the first two Philox words.
    const r = philox4x32([5, 3, 1, 0], [99, 0]);
    const [n0, n1, n2, n3] = gaussianGroup(99, 3, 1, 5);
    const radius = (w: number) => Math.sqrt(-2 * Math.log(((w >>> 9) + 0.5) / 8388608));
    expect(Math.hypot(n0, n1)).toBeCloseTo(radius(r[0]), 12);
    expect(Math.hypot(n2, n3)).toBeCloseTo(radius(r[2]), 12);
  });

  it('gives different streams for different seeds, steps and streams', () => {
    const a = gaussianNoise(1, 0, 0, 5);
    expect(gaussianNoise(2, 0, 0, 5)).not.toBe(a);
    expect(gaussianNoise(1, 1, 0, 5)).not.toBe(a);
    expect(gaussianNoise(1, 0, 1, 5)).not.toBe(a);
    expect(gaussianNoise(1, 0, 0, 5)).toBe(a);
    expect(gaussianNoise(2 ** 40 + 1, 0, 0, 5)).not.toBe(gaussianNoise(1, 0, 0, 5));
  });
});

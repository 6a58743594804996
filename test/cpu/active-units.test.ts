// Active units (Burda et al. 2016): the variance over the data of each encoder mean, merged over
// chunks exactly (Chan et al.), against the two-pass variance of the whole set; the 0.01 threshold.
import { describe, expect, it } from 'vitest';
import { activeUnits, addMeans, latentMoments } from '../../src/cpu/active-units';
import { rng } from '../util/random';

/** N rows of μ | logvar (Z each): latent u has standard deviation scales[u] around offset u. */
function encoderStats(N: number, scales: number[], seed: number): Float64Array {
  const Z = scales.length, r = rng(seed);
  const out = new Float64Array(N * 2 * Z);
  for (let n = 0; n < N; n++)
    for (let u = 0; u < Z; u++) {
      out[n * 2 * Z + u] = u + scales[u] * Math.sqrt(3) * (2 * r() - 1);
      out[n * 2 * Z + Z + u] = 5 * r() - 4; // logvar: must not matter
    }
  return out;
}

describe('active units', () => {
  const scales = [1, 0.05, 0.3, 0.09, 0.11, 0, 2];
  const Z = scales.length, N = 1001;
  const stats = encoderStats(N, scales, 4);

  it('equals the population variance of the means, in one chunk or many', () => {
    const whole = latentMoments(Z);
    addMeans(whole, stats, N);
    const chunked = latentMoments(Z);
    for (let start = 0; start < N; start += 128) {
      const rows = Math.min(128, N - start);
      addMeans(chunked, stats.subarray(start * 2 * Z), rows);
    }
    const a = activeUnits(whole), b = activeUnits(chunked);
    for (let u = 0; u < Z; u++) {
      let mean = 0;
      for (let n = 0; n < N; n++) mean += stats[n * 2 * Z + u] / N;
      let v = 0;
      for (let n = 0; n < N; n++) v += (stats[n * 2 * Z + u] - mean) ** 2 / N;
      expect(a.variances[u]).toBeCloseTo(v, 12);
      expect(b.variances[u]).toBeCloseTo(v, 12);
    }
    expect(chunked.count).toBe(N);
  });

  it('counts latents whose variance is above 0.01', () => {
    const m = latentMoments(Z);
    addMeans(m, stats, N);
    const a = activeUnits(m);
    // Variances ≈ scale²: 1, 0.0025, 0.09, 0.0081, 0.0121, 0, 4.
    expect(Array.from(a.variances, (v) => v > 0.01)).toEqual([true, false, true, false, true, false, true]);
    expect(a.active).toBe(4);
    expect(activeUnits(m, 0.05).active).toBe(3);
    // A plain N×Z array of means (stride Z) gives the same.
    const means = Float64Array.from({ length: N * Z }, (_, i) => stats[Math.floor(i / Z) * 2 * Z + (i % Z)]);
    const plain = latentMoments(Z);
    addMeans(plain, means, N, Z);
    expect(activeUnits(plain).active).toBe(4);
  });

  it('rejects empty, short and non-finite input', () => {
    expect(() => activeUnits(latentMoments(3))).toThrow(/no encoder means were added/);
    expect(() => addMeans(latentMoments(3), new Float64Array(8), 2)).toThrow(/2 rows of stride 6 need 9 values, got 8/);
    expect(() => addMeans(latentMoments(2), [0, 0, NaN, 0], 2, 2)).toThrow(/encoder mean 0 of row 1 is NaN/);
    expect(() => latentMoments(0)).toThrow(/latent must be a positive integer/);
  });
});

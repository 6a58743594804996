// The one-digit bound's maths (demo/bound-maths.ts), on the CPU: the k grid, KL in closed form
// against the ELBO's CPU twin, the grouped L_k estimate against a direct log-mean-exp, and Jensen's
// ordering on seeded log-weights (the grouped estimate of E[L_k] rises with k on average).
import { describe, expect, it } from 'vitest';
import { boundCurve, klDiag, lkGrid, posteriorSamples, sampleTerms } from '../../demo/bound-maths';
import { elbo } from '../../src/cpu/elbo';
import { logImportanceWeight, logMeanExp } from '../../src/cpu/iwae';
import { gaussianNoise } from '../../src/cpu/philox';

const noise = (seed: number) => (i: number) => gaussianNoise(seed, 0, 77, i);

describe('the one-digit bound', () => {
  it('grids k on 1, 2, 5 per decade up to kMax, kMax included', () => {
    expect(lkGrid(1000)).toEqual([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]);
    expect(lkGrid(100)).toEqual([1, 2, 5, 10, 20, 50, 100]);
    expect(lkGrid(30)).toEqual([1, 2, 5, 10, 20, 30]);
    expect(lkGrid(1)).toEqual([1]);
    expect(() => lkGrid(0)).toThrow(/kMax must be a positive integer, got 0/);
  });

  it('KL in closed form is the ELBO twin’s', () => {
    const Z = 7, D = 11;
    const mu = Float32Array.from({ length: Z }, (_, i) => noise(1)(i));
    const logvar = Float32Array.from({ length: Z }, (_, i) => 0.7 * noise(2)(i));
    const stats = new Float32Array(2 * Z);
    stats.set(mu);
    stats.set(logvar, Z);
    const x = Float32Array.from({ length: D }, (_, i) => (i % 3) / 2);
    const twin = elbo(new Float32Array(D), x, stats, { batch: 1, dim: D, latent: Z });
    expect(klDiag(mu, logvar)).toBeCloseTo(twin.kl, 10);
  });

  it('rec and log w per sample are the CPU twins’, for Bernoulli and Gaussian likelihoods', () => {
    const Z = 3, D = 13, n = 5;
    const mu = Float32Array.of(0.3, -1.2, 0.8), logvar = Float32Array.of(-0.5, 0.2, -1.5);
    const z = posteriorSamples(mu, logvar, n, noise(3));
    const logits = Float32Array.from({ length: n * D }, (_, i) => 3 * noise(4)(i));
    const x = Float32Array.from({ length: D }, (_, i) => Math.abs(noise(5)(i)) % 1);
    for (const likelihood of ['bernoulli', 'gaussian'] as const) {
      const { rec, logW } = sampleTerms(x, logits, z, mu, logvar, { likelihood, sigma: 0.4 });
      for (let s = 0; s < n; s++) {
        const stats = Float32Array.of(...mu, ...logvar);
        const one = elbo(logits.subarray(s * D, (s + 1) * D), x, stats, { batch: 1, dim: D, latent: Z, likelihood, sigma: 0.4 });
        expect(rec[s]).toBeCloseTo(one.rec, 8);
        expect(logW[s]).toBeCloseTo(logImportanceWeight(one.rec, z.subarray(s * Z, (s + 1) * Z), mu, logvar), 8);
      }
    }
    // z = μ + σ·ε, row by row.
    expect(z[Z + 1]).toBeCloseTo(mu[1]! + Math.exp(0.5 * logvar[1]!) * noise(3)(Z + 1), 6);
  });

  it('L_k is the mean over disjoint groups of k, and rises with k', () => {
    const K = 1000;
    const logW = Float64Array.from({ length: K }, (_, i) => -100 + 2.5 * noise(6)(i));
    const ks = lkGrid(K);
    const lk = boundCurve(logW, ks);
    expect(lk[0]).toBeCloseTo(logW.reduce((a, v) => a + v, 0) / K, 10);
    expect(lk.at(-1)).toBeCloseTo(logMeanExp(logW), 10);
    const groups = Array.from({ length: 50 }, (_, g) => logMeanExp(Array.from(logW.subarray(20 * g, 20 * g + 20))));
    expect(lk[ks.indexOf(20)]).toBeCloseTo(groups.reduce((a, v) => a + v, 0) / 50, 10);
    // Jensen: log of a mean ≥ mean of logs, so the estimate of E[L_k] rises with k here.
    for (let i = 1; i < lk.length; i++) expect(lk[i]!).toBeGreaterThan(lk[i - 1]!);
    expect(() => boundCurve(logW.subarray(0, 10), [20])).toThrow(/L_20 needs at least 20 log-weights, got 10/);
  });
});

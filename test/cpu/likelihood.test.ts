// The likelihoods' float64 maths (src/cpu/likelihood.ts), checked from outside it: each −log p against
// a direct formula written here; normalisation (the discretized logistic's 256 bin probabilities sum
// to 1, the Gaussian density integrates to 1); central finite differences of every derivative w.r.t.
// the mean l and the log-scale s, edge bins included; and the whole objectives' gradients w.r.t. the
// logits and the per-channel log-scales (elbo, iwaeObjective, likelihoodScaleGrad) on 6×5×3 images, batch 7.
import { describe, expect, it } from 'vitest';
import { LOGISTIC_HALF_BIN, learnedPixelNll } from '../../src/cpu/likelihood';
import { elbo } from '../../src/cpu/elbo';
import { iwaeObjective } from '../../src/cpu/iwae-objective';
import { likelihoodScaleGrad } from '../../src/cpu/likelihood-scale-grad';
import { numericGrad, randoms } from '../util/finite-diff';
import { normalArray, rng } from '../util/random';

function expectGrad(label: string, analytic: ArrayLike<number>, numeric: ArrayLike<number>, tol = 1e-6) {
  let worst = 0;
  for (let i = 0; i < numeric.length; i++) worst = Math.max(worst, Math.abs(analytic[i] - numeric[i]) / (1 + Math.abs(numeric[i])));
  console.info(`${label}: worst relative gradient error ${worst.toExponential(2)}`);
  expect(worst).toBeLessThan(tol);
}

// The logistic CDF, and P(bin of t) as the difference of CDFs, taking the tails' side so that nothing cancels.
const cdf = (u: number) => 1 / (1 + Math.exp(-u));
function logisticBinDirect(t: number, mu: number, s: number): number {
  const S = Math.exp(s), up = (t + 1 / 510 - mu) / S, lo = (t - 1 / 510 - mu) / S;
  if (t === 0) return cdf(up);
  if (t === 1) return 1 - cdf(lo);
  return lo > 0 ? cdf(-lo) - cdf(-up) : cdf(up) - cdf(lo);
}

const bins = Array.from({ length: 256 }, (_, k) => k / 255);
// (mean, log-scale) pairs: inside [0, 1], at and past its ends, scales from a tenth of a bin to 20.
const points: [number, number][] = [[0.5, -2], [0.3, -5], [0.02, -3], [0.98, -1], [0, -4], [1, 0], [-0.3, -2], [1.4, -1], [0.7, -8], [0.5, 3]];

describe('the discretized logistic', () => {
  it('matches the difference of CDFs bin by bin', () => {
    let worst = 0;
    for (const [mu, s] of points) {
      for (const t of bins) {
        const p = logisticBinDirect(t, mu, s);
        if (p < 1e-250) continue; // past float64 range for the direct form
        const nll = learnedPixelNll('logistic', mu, t, s)[0];
        worst = Math.max(worst, Math.abs(nll + Math.log(p)) / (1 + Math.abs(Math.log(p))));
      }
    }
    console.info(`discretized logistic vs the CDF difference: worst relative error ${worst.toExponential(2)}`);
    // The direct difference of CDFs cancels where a bin is narrow against the scale (s = 3: δ ≈ 2e-4).
    expect(worst).toBeLessThan(1e-8);
  });

  it('gives the 256 bins probabilities that sum to 1 within 1e-6', () => {
    for (const [mu, s] of points) {
      const total = bins.reduce((a, t) => a + Math.exp(-learnedPixelNll('logistic', mu, t, s)[0]), 0);
      expect(Math.abs(total - 1), `μ=${mu} s=${s}: Σ P = ${total}`).toBeLessThan(1e-6);
    }
  });

  it('stays finite where the CDF difference underflows (mean far from the value, tiny scale)', () => {
    const [nll, dl, ds] = learnedPixelNll('logistic', 0.9, 0.2, -9);
    expect(logisticBinDirect(0.2, 0.9, -9)).toBe(0);
    // Both CDFs are e^u to float64 precision here (u ≈ −5600), so P = e^b − e^a = e^b (e^δ − 1).
    const S = Math.exp(-9), b = (0.2 - 0.9 - LOGISTIC_HALF_BIN) / S, d = (2 * LOGISTIC_HALF_BIN) / S;
    expect(nll).toBeCloseTo(-b - Math.log(Math.expm1(d)), 6);
    expect(Number.isFinite(dl) && Number.isFinite(ds)).toBe(true);
  });

  it('has the derivatives of central finite differences (inside and in both edge bins)', () => {
    const r = rng(3);
    const l = new Float64Array(1), s = new Float64Array(1);
    const al: number[] = [], nl: number[] = [], as: number[] = [], ns: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t = i % 3 === 0 ? (i % 2 ? 0 : 1) : Math.round(255 * r()) / 255;
      l[0] = 1.6 * r() - 0.3;
      s[0] = -6 + 7 * r();
      const g = learnedPixelNll('logistic', l[0], t, s[0]);
      const f = () => learnedPixelNll('logistic', l[0], t, s[0])[0];
      // Relative steps: the function's curvature scales with 1/S.
      const h = 1e-5 * Math.exp(s[0]);
      al.push(g[1]); nl.push(numericGrad(f, l, h)[0]);
      as.push(g[2]); ns.push(numericGrad(f, s, 1e-6)[0]);
    }
    // ∂/∂l is of order 1/S (up to e^6): compare relative to its size.
    expectGrad('logistic ∂/∂l (×S)', al.map((v, i) => v / (1 + Math.abs(nl[i]))), nl.map((v) => v / (1 + Math.abs(v))), 1e-5);
    expectGrad('logistic ∂/∂s', as, ns, 1e-6);
  });
});

describe('the Gaussian with a learned log σ', () => {
  it('matches log N(t; μ, σ²) and integrates to 1', () => {
    for (const [mu, s] of [[0.4, -1.5], [0, 0], [2, 1.2]]) {
      const sigma = Math.exp(s);
      for (const t of [-1, 0, 0.37, 1, 2.5]) {
        const direct = -Math.log(Math.exp(-((t - mu) ** 2) / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI)));
        expect(learnedPixelNll('gaussian', mu, t, s)[0]).toBeCloseTo(direct, 10);
      }
      // Simpson's rule over μ ± 12σ with 4000 intervals.
      const n = 4000, a = mu - 12 * sigma, w = (24 * sigma) / n;
      let sum = 0;
      for (let i = 0; i <= n; i++) sum += (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * Math.exp(-learnedPixelNll('gaussian', mu, a + i * w, s)[0]);
      expect(Math.abs((sum * w) / 3 - 1)).toBeLessThan(1e-8);
    }
  });

  it('has the derivatives of central finite differences', () => {
    const r = rng(5);
    const l = new Float64Array(1), s = new Float64Array(1);
    const a: number[][] = [[], [], [], []];
    for (let i = 0; i < 200; i++) {
      const t = 1.5 * r() - 0.2;
      l[0] = 2 * r() - 0.5; s[0] = -3 + 4 * r();
      const g = learnedPixelNll('gaussian', l[0], t, s[0]);
      const f = () => learnedPixelNll('gaussian', l[0], t, s[0])[0];
      a[0].push(g[1]); a[1].push(numericGrad(f, l, 1e-6 * Math.exp(s[0]))[0]);
      a[2].push(g[2]); a[3].push(numericGrad(f, s)[0]);
    }
    expectGrad('gaussian ∂/∂l', a[0].map((v, i) => v / (1 + Math.abs(a[1][i]))), a[1].map((v) => v / (1 + Math.abs(v))), 1e-5);
    expectGrad('gaussian ∂/∂s', a[2], a[3]);
  });
});

// 6×5×3 images, batch 7: value d is in channel d mod 3.
describe('the objectives with learned per-channel scales (6×5×3, batch 7)', () => {
  const B = 7, D = 90, C = 3, Z = 4;
  const r = rng(11);
  const x = Float64Array.from({ length: B * D }, (_, i) => (i % 11 === 0 ? 0 : i % 13 === 0 ? 1 : Math.round(255 * r()) / 255));
  const stats = randoms(B * 2 * Z, 12, 0.8);
  for (const likelihood of ['gaussian', 'logistic'] as const) {
    const shape = { batch: B, dim: D, latent: Z, likelihood, sigma: 'learned' as const, channels: C, beta: 0.7 };
    it(`${likelihood}: the ELBO's gradients w.r.t. the logits and the log-scales`, () => {
      const logits = Float64Array.from(randoms(B * D, 13), (v, i) => x[i] + 0.3 * v);
      const logScale = Float64Array.of(-1.5, -2.5, -0.5);
      const loss = () => elbo(logits, x, stats, shape, logScale).loss;
      const got = elbo(logits, x, stats, shape, logScale);
      expectGrad(`${likelihood} elbo dlogits`, got.dlogits, numericGrad(loss, logits, 1e-7), 1e-5);
      expectGrad(`${likelihood} elbo dlogScale`, likelihoodScaleGrad(logits, x, logScale, shape), numericGrad(loss, logScale));
    });

    it(`${likelihood}: the IWAE objective's gradients w.r.t. the log-scales (weighted by ŵ), k = 3`, () => {
      const K = 3;
      const logits = Float64Array.from(randoms(B * K * D, 14), (v, i) => x[Math.floor(i / (K * D)) * D + (i % D)] + 0.3 * v);
      const eps = normalArray(B * K * Z, 15);
      const logScale = Float64Array.of(-1, -2, -3);
      const s = { ...shape, samples: K };
      const loss = () => iwaeObjective(logits, x, stats, eps, s, logScale).loss;
      const got = iwaeObjective(logits, x, stats, eps, s, logScale);
      // Central differences at 90 of the 1890 logits (every 21st), enough to see each channel and sample.
      const at = Array.from({ length: 90 }, (_, i) => i * 21);
      const fd = at.map((i) => {
        const old = logits[i];
        logits[i] = old + 1e-7; const up = loss();
        logits[i] = old - 1e-7; const down = loss();
        logits[i] = old;
        return (up - down) / 2e-7;
      });
      expectGrad(`${likelihood} iwae dlogits`, at.map((i) => got.dlogits[i]), fd, 1e-5);
      expectGrad(`${likelihood} iwae dlogScale`, likelihoodScaleGrad(logits, x, logScale, s, got.weights), numericGrad(loss, logScale));
    });
  }

  it('refuses a learned likelihood without its scales, and a fixed one asked for a scale gradient', () => {
    const z = new Float64Array(B * D);
    expect(() => elbo(z, z, stats, { batch: B, dim: D, latent: Z, likelihood: 'logistic', channels: C })).toThrow(/logistic likelihood learns its scales; it needs 3 log-scales, got none/);
    expect(() => likelihoodScaleGrad(z, z, [0], { batch: B, dim: D, likelihood: 'gaussian', sigma: 0.5 })).toThrow(/gaussian likelihood with a fixed σ has no learned scales/);
    expect(() => elbo(z, z, stats, { batch: B, dim: D, latent: Z, likelihood: 'logistic', channels: 4 }, [0, 0, 0, 0])).toThrow(/90 values per row is not a whole number of 4-channel pixels/);
  });
});

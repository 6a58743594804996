// The importance-weighted objective's CPU twin (float64), composed with the k-samples
// reparameterization and a small CPU decoder (linear + tanh, linear): central finite differences of
// the whole chain w.r.t. logits, μ and logvar; DReG against the gradient of its surrogate and, over
// many noise draws, against IWAE's estimator (same expectation); K = 1 against the ELBO; the
// log-sum-exp at a log w spread of 1e3 and beyond what exp can represent.
import { describe, expect, it } from 'vitest';
import { elbo } from '../../src/cpu/elbo';
import { iwaeObjective, pixelNll, type CpuIwaeShape } from '../../src/cpu/iwae-objective';
import { linearBackward, linearForward } from '../../src/cpu/linear';
import { samplesBackward, samplesForward } from '../../src/cpu/reparameterize';
import type { Likelihood } from '../../src/kernels/elbo';
import type { IwaeEstimator } from '../../src/kernels/reparameterize';
import { numericGrad, randoms } from '../util/finite-diff';
import { normalArray, rng } from '../util/random';

function expectGrad(label: string, analytic: ArrayLike<number>, numeric: ArrayLike<number>, tol = 1e-6) {
  let worst = 0;
  for (let i = 0; i < numeric.length; i++) worst = Math.max(worst, Math.abs(analytic[i] - numeric[i]) / (1 + Math.abs(numeric[i])));
  console.info(`${label}: worst relative gradient error ${worst.toExponential(2)}`);
  expect(worst).toBeLessThan(tol);
}

/** A two-layer decoder z → tanh(z·W1 + b1)·W2 + b2, with its backward to dz. */
function decoder(Z: number, H: number, D: number, seed: number) {
  const W1 = randoms(Z * H, seed, 0.8), b1 = randoms(H, seed + 1, 0.3), W2 = randoms(H * D, seed + 2, 1.2), b2 = randoms(D, seed + 3, 0.5);
  return {
    forward(z: Float64Array, rows: number) {
      const h = linearForward(z, W1, b1, rows, Z, H, 'tanh');
      return { h, logits: linearForward(h, W2, b2, rows, H, D, 'identity') };
    },
    backward(z: Float64Array, h: Float64Array, logits: Float64Array, dlogits: Float64Array, rows: number) {
      const dh = linearBackward(h, W2, logits, dlogits, rows, H, D, 'identity').dx!;
      return linearBackward(z, W1, h, dh, rows, Z, H, 'tanh').dx!;
    },
  };
}

interface Setup {
  s: CpuIwaeShape & { estimator?: IwaeEstimator };
  x: Float64Array;
  stats: Float64Array;
  dec: ReturnType<typeof decoder>;
}

function setup(B: number, K: number, D: number, Z: number, likelihood: Likelihood, beta: number, seed: number, estimator: IwaeEstimator = 'iwae'): Setup {
  const r = rng(seed);
  const x = Float64Array.from({ length: B * D }, () => (likelihood === 'bernoulli' ? (r() < 0.5 ? 0 : 1) : 2 * r() - 1));
  return { s: { batch: B, samples: K, dim: D, latent: Z, beta, likelihood, sigma: 0.9, estimator }, x, stats: randoms(B * 2 * Z, seed + 1), dec: decoder(Z, 6, D, seed + 2) };
}

/** The whole chain for noise eps: loss, and its gradient w.r.t. stats through decoder and samples backward. */
function chain(t: Setup, eps: ArrayLike<number>) {
  const R = t.s.batch * t.s.samples;
  const z = samplesForward(t.stats, eps, t.s);
  const { h, logits } = t.dec.forward(z, R);
  const o = iwaeObjective(logits, t.x, t.stats, eps, t.s);
  const dz = t.dec.backward(z, h, logits, o.dlogits, R);
  const dstats = samplesBackward(t.stats, eps, dz, o.weights, t.s);
  return { o, logits, dstats };
}

/** log w of every row with z made from `stats` and log q taken at `held` (q's parameters held fixed). */
function logWeightsHeld(t: Setup, stats: Float64Array, held: Float64Array, eps: ArrayLike<number>): Float64Array {
  const { batch: B, samples: K, dim: D, latent: Z } = t.s;
  const beta = t.s.beta ?? 1;
  const z = samplesForward(stats, eps, t.s);
  const { logits } = t.dec.forward(z, B * K);
  const out = new Float64Array(B * K);
  for (let r = 0; r < B * K; r++) {
    const b = Math.floor(r / K);
    let lw = 0;
    for (let d = 0; d < D; d++) lw -= pixelNll(logits[r * D + d], t.x[b * D + d], t.s.likelihood === 'gaussian', (t.s.sigma as number | undefined) ?? 1)[0];
    for (let j = 0; j < Z; j++) {
      const zz = z[r * Z + j], mu = held[b * 2 * Z + j], lv = held[b * 2 * Z + Z + j];
      lw += beta * (-0.5 * zz * zz + (0.5 * (zz - mu) * (zz - mu)) / Math.exp(lv) + 0.5 * lv);
    }
    out[r] = lw;
  }
  return out;
}

describe('IWAE objective (CPU twin, float64)', () => {
  const cases: [number, number, Likelihood, number][] = [
    [3, 4, 'bernoulli', 1],
    [2, 5, 'gaussian', 0.6],
    [1, 1, 'bernoulli', 1],
  ];
  for (const [B, K, likelihood, beta] of cases) {
    it(`finite differences of the whole chain: B=${B} k=${K} ${likelihood} β=${beta}`, () => {
      const t = setup(B, K, 5, 3, likelihood, beta, 10 * B + K);
      const eps = normalArray(B * K * 3, 77 + K);
      const { o, logits, dstats } = chain(t, eps);
      const logitsVar = Float64Array.from(logits);
      expectGrad('iwae dlogits', o.dlogits, numericGrad(() => iwaeObjective(logitsVar, t.x, t.stats, eps, t.s).loss, logitsVar));
      expectGrad('iwae dstats (μ | logvar through decoder and reparameterization)', dstats, numericGrad(() => chain(t, eps).o.loss, t.stats));
      const wsum = Array.from({ length: B }, (_, b) => o.weights.slice(b * K, (b + 1) * K).reduce((a, w) => a + w, 0));
      for (const w of wsum) expect(w).toBeCloseTo(1, 12);
    });
  }

  for (const beta of [1, 0.5]) {
    it(`DReG is the gradient of its surrogate Σ sg(c)·(−log w) with q held (β=${beta})`, () => {
      const t = setup(2, 4, 5, 3, 'bernoulli', beta, 31, 'dreg');
      const eps = normalArray(2 * 4 * 3, 5);
      const { o, dstats } = chain(t, eps);
      const c = o.weights.map((w) => (1 - beta) * w + beta * w * w);
      const held = Float64Array.from(t.stats);
      const surrogate = () => -logWeightsHeld(t, t.stats, held, eps).reduce((s, lw, r) => s + c[r] * lw, 0) / 2;
      expectGrad(`dreg dstats β=${beta}`, dstats, numericGrad(surrogate, t.stats));
    });

    it(`DReG and IWAE estimate the same encoder gradient over 4000 noise draws (β=${beta})`, () => {
      const draws = 4000, B = 1, K = 5, Z = 2;
      const iw = setup(B, K, 4, Z, 'bernoulli', beta, 55);
      const dr: Setup = { ...iw, s: { ...iw.s, estimator: 'dreg' } };
      const n = 2 * B * Z;
      const sum = new Float64Array(n), sumSq = new Float64Array(n), varIw = new Float64Array(n), varDr = new Float64Array(n);
      const meanIw = new Float64Array(n), meanDr = new Float64Array(n);
      for (let s = 0; s < draws; s++) {
        const eps = normalArray(B * K * Z, 1000 + s);
        const a = chain(iw, eps).dstats, d = chain(dr, eps).dstats;
        for (let q = 0; q < n; q++) {
          const diff = d[q] - a[q];
          sum[q] += diff;
          sumSq[q] += diff * diff;
          meanIw[q] += a[q] / draws;
          meanDr[q] += d[q] / draws;
          varIw[q] += (a[q] * a[q]) / draws;
          varDr[q] += (d[q] * d[q]) / draws;
        }
      }
      for (let q = 0; q < n; q++) {
        const mean = sum[q] / draws;
        const se = Math.sqrt((sumSq[q] / draws - mean * mean) / draws);
        const vi = varIw[q] - meanIw[q] ** 2, vd = varDr[q] - meanDr[q] ** 2;
        console.info(
          `dstats[${q}] β=${beta}: IWAE mean ${meanIw[q].toFixed(4)} (sd ${Math.sqrt(vi).toFixed(4)}), DReG mean ${meanDr[q].toFixed(4)} (sd ${Math.sqrt(vd).toFixed(4)}), ` +
            `difference ${mean.toExponential(2)} ± ${se.toExponential(2)}`,
        );
        expect(Math.abs(mean), `dstats[${q}]: mean difference within 4 standard errors`).toBeLessThan(4 * se);
        expect(vd, `dstats[${q}]: DReG's variance below IWAE's`).toBeLessThan(vi);
      }
    });
  }

  it('K = 1 is the ELBO with the KL sampled: same dlogits, loss off by β·(sampled − analytic KL), same expected encoder gradient', () => {
    const B = 3, D = 5, Z = 3, beta = 0.8, draws = 4000;
    const t = setup(B, 1, D, Z, 'bernoulli', beta, 91);
    const eps0 = normalArray(B * Z, 3);
    const one = chain(t, eps0);
    const e = elbo(one.logits, t.x, t.stats, { batch: B, dim: D, latent: Z, beta, likelihood: 'bernoulli' });
    expect(Math.max(...one.o.dlogits.map((g, i) => Math.abs(g - e.dlogits[i])))).toBeLessThan(1e-15);
    expect(Array.from(one.o.weights)).toEqual([1, 1, 1]);
    expect(one.o.rec).toBeCloseTo(e.rec, 12);
    expect(one.o.loss).toBeCloseTo(e.rec + beta * one.o.kl, 12);
    // Over noise draws: E[sampled KL] = analytic KL, and the encoder gradients agree in expectation.
    const n = 2 * B * Z;
    const diffSum = new Float64Array(n + 1), diffSq = new Float64Array(n + 1);
    for (let s = 0; s < draws; s++) {
      const eps = normalArray(B * Z, 5000 + s);
      const c = chain(t, eps);
      const el = elbo(c.logits, t.x, t.stats, { batch: B, dim: D, latent: Z, beta, likelihood: 'bernoulli' });
      const z = samplesForward(t.stats, eps, t.s);
      const dz = t.dec.backward(z, t.dec.forward(z, B).h, c.logits, el.dlogits, B);
      // The ELBO's encoder gradient: analytic KL gradients plus the reparameterization of dz.
      const de = Float64Array.from(el.dstats);
      for (let b = 0; b < B; b++)
        for (let j = 0; j < Z; j++) {
          de[b * 2 * Z + j] += dz[b * Z + j];
          de[b * 2 * Z + Z + j] += dz[b * Z + j] * eps[b * Z + j] * 0.5 * Math.exp(0.5 * t.stats[b * 2 * Z + Z + j]);
        }
      const diffs = [...Array.from(c.dstats, (v, q) => v - de[q]), c.o.kl - el.kl];
      diffs.forEach((d, q) => {
        diffSum[q] += d;
        diffSq[q] += d * d;
      });
    }
    for (let q = 0; q <= n; q++) {
      const mean = diffSum[q] / draws, se = Math.sqrt((diffSq[q] / draws - mean * mean) / draws);
      console.info(`K=1 − ELBO, ${q < n ? `dstats[${q}]` : 'KL'}: ${mean.toExponential(2)} ± ${se.toExponential(2)}`);
      expect(Math.abs(mean)).toBeLessThan(4 * se);
    }
  });

  it('stays finite and exact for a log w spread of 1e3 and for log w far below what exp represents', () => {
    // k = 2, D = 1, Z = 1, Gaussian with σ = 1: rec_i = ½(x − l_i)² + ½ log 2π, so log w is set by l_i.
    const s: CpuIwaeShape = { batch: 2, samples: 2, dim: 1, latent: 1, likelihood: 'gaussian', sigma: 1 };
    const stats = [0.1, -0.2, -0.3, 0.4];
    const eps = [0.5, -1.5, 1, 0.25];
    for (const [l0, l1] of [[0, Math.sqrt(2000)], [Math.sqrt(20000), Math.sqrt(22000)]]) {
      const logits = [l0, l1, l1, l0];
      const o = iwaeObjective(logits, [0, 0], stats, eps, s);
      expect([...o.logW, ...o.weights, o.loss].every(Number.isFinite)).toBe(true);
      for (let b = 0; b < 2; b++) {
        const a = o.logW[2 * b], c = o.logW[2 * b + 1];
        // log ½(e^a + e^c) = max + log1p(e^−|a−c|) − log 2, independently of the twin's loop.
        const want = Math.max(a, c) + Math.log1p(Math.exp(-Math.abs(a - c))) - Math.log(2);
        expect(-o.perExample[4 * b]).toBeCloseTo(want, 9);
        expect(o.weights[2 * b] + o.weights[2 * b + 1]).toBe(1);
      }
      console.info(`log w ${Array.from(o.logW, (v) => v.toFixed(1)).join(', ')}: weights ${Array.from(o.weights, (v) => v.toExponential(2)).join(', ')}`);
    }
  });
});

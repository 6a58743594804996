// Every backward rule of the CPU path against central finite differences in float64:
// linear + each activation (dx, dW, db), reparameterization (dμ, dlogvar) and the ELBO (dlogits,
// dμ, dlogvar) for both likelihoods and β ≠ 1. The GPU backward is then checked against these rules.
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS } from '../../src/kernels/activation';
import { elbo } from '../../src/cpu/elbo';
import { linearBackward, linearForward } from '../../src/cpu/linear';
import { noiseFor, reparameterizeBackward, reparameterizeForward } from '../../src/cpu/reparameterize';
import { randoms, numericGrad } from '../util/finite-diff';
import { rng } from '../util/random';

function expectGrad(label: string, analytic: ArrayLike<number>, numeric: ArrayLike<number>, tol = 1e-6) {
  let worst = 0;
  for (let i = 0; i < numeric.length; i++) {
    const err = Math.abs(analytic[i] - numeric[i]) / (1 + Math.abs(numeric[i]));
    worst = Math.max(worst, err);
  }
  console.info(`${label}: worst relative gradient error ${worst.toExponential(2)}`);
  expect(worst).toBeLessThan(tol);
}

describe('finite-difference checks of the backward rules (float64)', () => {
  const B = 3, I = 5, O = 4;
  for (const act of ACTIVATIONS) {
    it(`linear + ${act}`, () => {
      const x = randoms(B * I, 1), W = randoms(I * O, 2), b = randoms(O, 3), w = randoms(B * O, 4);
      // L = Σ w ⊙ y: its gradient w.r.t. y is w.
      const loss = () => linearForward(x, W, b, B, I, O, act).reduce((s, y, i) => s + w[i] * y, 0);
      const y = linearForward(x, W, b, B, I, O, act);
      // ReLU's kink: keep pre-activations away from 0 so the difference quotient is valid.
      if (act === 'relu') for (let i = 0; i < y.length; i++) expect(Math.abs(y[i]) === 0 || y[i] > 1e-4).toBe(true);
      const g = linearBackward(x, W, y, w, B, I, O, act);
      expectGrad(`linear ${act} dx`, g.dx!, numericGrad(loss, x));
      expectGrad(`linear ${act} dW`, g.dW, numericGrad(loss, W));
      expectGrad(`linear ${act} db`, g.db, numericGrad(loss, b));
    });
  }

  it('reparameterization', () => {
    const Bz = 4, Z = 3;
    const stats = randoms(Bz * 2 * Z, 5);
    const w = randoms(Bz * Z, 6);
    const noise = { seed: 99, step: 3, stream: 0 };
    const loss = () => reparameterizeForward(stats, Bz, Z, noise).reduce((s, z, i) => s + w[i] * z, 0);
    const d = reparameterizeBackward(stats, w, new Float64Array(Bz * 2 * Z), Bz, Z, noise);
    expectGrad('reparameterize dstats', d, numericGrad(loss, stats));
  });

  // More samples per example: rows b·S + s share μ_b, σ_b and draw their own ε (the k-sample objective's
  // weighted backward is checked through the whole bound in iwae-objective.test.ts); the backward
  // without weights is the ELBO's and takes one sample.
  it('reparameterization with 3 samples per example (rows = batch × samples)', () => {
    const Bz = 4, Z = 3, S = 3;
    const stats = randoms(Bz * 2 * Z, 15);
    const noise = { seed: 99, step: 3, stream: 1030 };
    const z = reparameterizeForward(stats, Bz, Z, noise, S);
    const eps = noiseFor(noise, Bz * S * Z);
    for (let r = 0; r < Bz * S; r++) {
      const b = Math.floor(r / S);
      for (let j = 0; j < Z; j++) {
        const sigma = Math.exp(0.5 * stats[b * 2 * Z + Z + j]);
        expect((z[r * Z + j] - stats[b * 2 * Z + j]) / sigma).toBeCloseTo(eps[r * Z + j], 12);
      }
    }
    expect(() => reparameterizeBackward(stats, z, new Float64Array(Bz * 2 * Z), Bz, Z, noise, S)).toThrow(/takes one sample per example \(the ELBO's\), got 3/);
  });

  for (const likelihood of ['bernoulli', 'gaussian'] as const) {
    it(`ELBO, ${likelihood} likelihood, β = 0.7`, () => {
      const Bz = 3, D = 7, Z = 2;
      const r = rng(8);
      const logits = randoms(Bz * D, 9, 3);
      const x = Float64Array.from({ length: Bz * D }, () => r());
      const stats = randoms(Bz * 2 * Z, 10);
      const shape = { batch: Bz, dim: D, latent: Z, beta: 0.7, likelihood, sigma: 0.8 };
      const e = elbo(logits, x, stats, shape);
      expect(e.loss).toBeCloseTo(e.rec + 0.7 * e.kl, 12);
      expectGrad(`elbo ${likelihood} dlogits`, e.dlogits, numericGrad(() => elbo(logits, x, stats, shape).loss, logits));
      expectGrad(`elbo ${likelihood} dstats`, e.dstats, numericGrad(() => elbo(logits, x, stats, shape).loss, stats));
    });
  }

  it('the Bernoulli term is the binary cross-entropy and the KL the closed form', () => {
    // One pixel, one latent: compare with the textbook formulas.
    const l = 0.3, t = 0.8, mu = 0.5, lv = -0.4;
    const e = elbo([l], [t], [mu, lv], { batch: 1, dim: 1, latent: 1 });
    const p = 1 / (1 + Math.exp(-l));
    expect(e.rec).toBeCloseTo(-(t * Math.log(p) + (1 - t) * Math.log(1 - p)), 12);
    // KL(N(μ, σ²) ‖ N(0, 1)) = ½(σ² + μ² − 1 − log σ²)
    expect(e.kl).toBeCloseTo(0.5 * (Math.exp(lv) + mu * mu - 1 - lv), 12);
    const g = elbo([l], [t], [0.5, lv], { batch: 1, dim: 1, latent: 1, likelihood: 'gaussian', sigma: 1 });
    expect(g.rec).toBeCloseTo(0.5 * (t - l) ** 2 + 0.5 * Math.log(2 * Math.PI), 12);
  });
});

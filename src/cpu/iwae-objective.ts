// CPU twin of shaders/iwae_objective.wgsl (float64): the importance-weighted training objective of a
// batch (Burda et al. 2016) and its gradients, with k samples per example in rows r = b·k + i.
//   z_r = μ_b + σ_b ε_r,  log w_r = −rec_r + β·Σ_j (½ε² + ½ logvar − ½z²)   (½ log 2π cancel)
//   L_b = log (1/k) Σ_i w_{b,i}  (log-sum-exp),  loss = −(1/B) Σ_b L_b,  ŵ = softmax_i(log w).
// Gradient: dlogits_r = (ŵ_r / B)·∂rec_r/∂l; the latent side is the samples backward's
// (src/cpu/reparameterize.ts; the maths in src/kernels/iwae-objective.ts).
import type { IwaeObjectiveShape } from '../kernels/iwae-objective';
import { learnsScale } from '../base/words';
import { scaleChannels } from './elbo';
import { pixelTerms } from './likelihood';

export { pixelNll } from './likelihood';

export type CpuIwaeShape = Omit<IwaeObjectiveShape, 'track' | 'schedule'>;

export interface CpuIwaeObjective {
  /** −(1/B) Σ_b L_b (the β-weighted bound when β ≠ 1). */
  loss: number;
  /** Mean over all B·k samples of rec = −log p(x|z). */
  rec: number;
  /** Mean over all samples of the sampled KL, log q(z|x) − log p(z). */
  kl: number;
  /** Mean over examples of the effective sample size 1 / Σ_i ŵ_i². */
  ess: number;
  /** B×4: (−L_b, mean_i rec, mean_i sampled KL, ESS). */
  perExample: Float64Array;
  /** B·k: log w_r. */
  logW: Float64Array;
  /** B·k: ŵ_r, the softmax of log w over each example's k samples. */
  weights: Float64Array;
  z: Float64Array;
  dlogits: Float64Array;
}

export function iwaeObjective(
  logits: ArrayLike<number>,
  x: ArrayLike<number>,
  stats: ArrayLike<number>,
  eps: ArrayLike<number>,
  s: CpuIwaeShape,
  logScale?: ArrayLike<number>,
): CpuIwaeObjective {
  const { batch: B, samples: K, dim: D, latent: Z } = s;
  const beta = s.beta ?? 1;
  const C = scaleChannels('iwae_objective', s, logScale);
  const likelihood = s.likelihood ?? 'bernoulli';
  const learned = learnsScale(likelihood, s.sigma);
  const sigmaX = typeof s.sigma === 'number' ? s.sigma : 1;
  const term = (l: number, t: number, d: number) => pixelTerms(likelihood, learned, sigmaX, l, t, learned ? logScale![d % C] : 0);
  const R = B * K;
  const logW = new Float64Array(R), weights = new Float64Array(R), z = new Float64Array(R * Z);
  const dlogits = new Float64Array(R * D), perExample = new Float64Array(4 * B);
  let sums = [0, 0, 0, 0];
  for (let b = 0; b < B; b++) {
    let recSum = 0, klSum = 0;
    for (let i = 0; i < K; i++) {
      const r = b * K + i;
      let rec = 0;
      for (let d = 0; d < D; d++) rec += term(logits[r * D + d], x[b * D + d], d)[0];
      let kl = 0;
      for (let j = 0; j < Z; j++) {
        const mu = stats[b * 2 * Z + j], lv = stats[b * 2 * Z + Z + j], e = eps[r * Z + j];
        const zz = mu + Math.exp(0.5 * lv) * e;
        z[r * Z + j] = zz;
        kl += -0.5 * e * e - 0.5 * lv + 0.5 * zz * zz; // log q − log p
      }
      logW[r] = -rec - beta * kl;
      recSum += rec;
      klSum += kl;
    }
    let m = -Infinity;
    for (let i = 0; i < K; i++) m = Math.max(m, logW[b * K + i]);
    let sum = 0, sum2 = 0;
    for (let i = 0; i < K; i++) {
      const e = Math.exp(logW[b * K + i] - m);
      sum += e;
      sum2 += e * e;
    }
    const bound = m + Math.log(sum) - Math.log(K);
    const ess = (sum * sum) / sum2;
    for (let i = 0; i < K; i++) {
      const r = b * K + i;
      const w = Math.exp(logW[r] - m) / sum;
      weights[r] = w;
      for (let d = 0; d < D; d++) dlogits[r * D + d] = (w / B) * term(logits[r * D + d], x[b * D + d], d)[1];
    }
    const row = [-bound, recSum / K, klSum / K, ess];
    perExample.set(row, 4 * b);
    sums = sums.map((v, q) => v + row[q]);
  }
  return { loss: sums[0] / B, rec: sums[1] / B, kl: sums[2] / B, ess: sums[3] / B, perExample, logW, weights, z, dlogits };
}

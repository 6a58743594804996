// CPU twin of shaders/elbo.wgsl (float64): the batch −ELBO in nats per example and its gradients.
//   rec_b = −Σ_d log p(x_bd | l_bd): Bernoulli(σ(l)), N(l, σ²), or a learned per-channel scale
//   (src/cpu/likelihood.ts);  kl_b = −½ Σ_j (1 + lv − μ² − e^lv);
//   loss = (1/B) Σ_b (rec_b + β·kl_b).  logits, x: B×D; stats: B×2Z (μ | logvar); logScale: C.
import type { ElboShape } from '../kernels/elbo';
import { learnsScale } from '../base/words';
import { learnedPixelNll } from './likelihood';

/** The kernel's shape description (step tracking is the GPU loop's business). */
export type CpuElboShape = Omit<ElboShape, 'track'>;

export interface CpuElbo {
  loss: number;
  rec: number;
  kl: number;
  /** B×2: (rec_b, kl_b). */
  perExample: Float64Array;
  dlogits: Float64Array;
  dstats: Float64Array;
}

/** Checks the learned log-scales a likelihood needs (C of them) and gives the channel count. */
export function scaleChannels(what: string, s: { likelihood?: ElboShape['likelihood']; sigma?: ElboShape['sigma']; channels?: number; dim: number }, logScale?: ArrayLike<number>): number {
  const C = s.channels ?? 1;
  if (!Number.isInteger(C) || C < 1 || s.dim % C !== 0) throw new Error(`${what}: ${s.dim} values per row is not a whole number of ${C}-channel pixels`);
  if (learnsScale(s.likelihood ?? 'bernoulli', s.sigma) && (!logScale || logScale.length < C)) {
    throw new Error(`${what}: the ${s.likelihood} likelihood learns its scales; it needs ${C} log-scales, got ${logScale ? logScale.length : 'none'}`);
  }
  return C;
}

export function elbo(logits: ArrayLike<number>, x: ArrayLike<number>, stats: ArrayLike<number>, s: CpuElboShape, logScale?: ArrayLike<number>): CpuElbo {
  const { batch: B, dim: D, latent: Z } = s;
  const beta = s.beta ?? 1;
  const C = scaleChannels('elbo', s, logScale);
  const learned = learnsScale(s.likelihood ?? 'bernoulli', s.sigma);
  const kind = s.likelihood === 'logistic' ? 'logistic' : 'gaussian';
  const sigma = typeof s.sigma === 'number' ? s.sigma : 1;
  const gaussian = (s.likelihood ?? 'bernoulli') === 'gaussian';
  const perExample = new Float64Array(2 * B);
  const dlogits = new Float64Array(B * D);
  const dstats = new Float64Array(2 * B * Z);
  let recSum = 0;
  let klSum = 0;
  for (let b = 0; b < B; b++) {
    let rec = 0;
    for (let d = 0; d < D; d++) {
      const i = b * D + d;
      const l = logits[i];
      const t = x[i];
      if (learned) {
        const [nll, dl] = learnedPixelNll(kind, l, t, logScale![d % C]);
        rec += nll;
        dlogits[i] = dl / B;
      } else if (gaussian) {
        // −log N(t; l, σ²)
        rec += ((t - l) * (t - l)) / (2 * sigma * sigma) + Math.log(sigma) + 0.5 * Math.log(2 * Math.PI);
        dlogits[i] = (l - t) / (sigma * sigma) / B;
      } else {
        // −[t·log σ(l) + (1 − t)·log(1 − σ(l))], written without overflow.
        rec += Math.max(l, 0) - l * t + Math.log1p(Math.exp(-Math.abs(l)));
        dlogits[i] = (1 / (1 + Math.exp(-l)) - t) / B;
      }
    }
    let kl = 0;
    for (let j = 0; j < Z; j++) {
      const mu = stats[b * 2 * Z + j];
      const lv = stats[b * 2 * Z + Z + j];
      kl += -0.5 * (1 + lv - mu * mu - Math.exp(lv));
      dstats[b * 2 * Z + j] = (beta * mu) / B;
      dstats[b * 2 * Z + Z + j] = (beta * 0.5 * (Math.exp(lv) - 1)) / B;
    }
    perExample[2 * b] = rec;
    perExample[2 * b + 1] = kl;
    recSum += rec;
    klSum += kl;
  }
  return { loss: (recSum + beta * klSum) / B, rec: recSum / B, kl: klSum / B, perExample, dlogits, dstats };
}

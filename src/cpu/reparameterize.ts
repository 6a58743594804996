// CPU twin of shaders/reparameterize.wgsl (float64). stats is B×2Z (μ | logvar); z, eps and dz are
// (B·S)×Z (S samples per example, row r = b·S + s); weights is B·S (ŵ).
//   forward:  z_r = μ_b + exp(½ logvar_b)·ε_r
//   backward (S = 1, the ELBO's):  dμ += dz,  dlogvar += dz·ε·½·exp(½ logvar)
//   weighted backward (ŵ from the importance-weighted objective, dz from the decoder's backward):
//     IWAE: g_r = dz_r + (ŵ_r β/B)·z_r,  dμ_b = Σ_s g_r,  dlogvar_b = Σ_s g_r·ε_r·½σ_b − β/(2B)
//     DReG: c_r = (1 − β)ŵ_r + βŵ_r², s_r = (1 − β) + βŵ_r,
//           g_r = s_r·dz_r + (c_r β/B)·(z_r − ε_r/σ_b),  dμ_b = Σ_s g_r,  dlogvar_b = Σ_s g_r·ε_r·½σ_b
// ε of element i = r·Z + j = 4g + q is normal q of Philox group g (src/cpu/philox.ts, gaussianGroup).
import type { SamplesShape } from '../kernels/reparameterize';
import { gaussianGroup } from './philox';

export interface CpuNoise {
  seed: number;
  step: number;
  stream: number;
}

/** ε for elements 0 .. count−1 of one step: the groups' four normals in order. */
export function noiseFor(noise: CpuNoise, count: number): Float64Array {
  const eps = new Float64Array(count);
  for (let g = 0; 4 * g < count; g++) {
    const n = gaussianGroup(noise.seed, noise.step, noise.stream, g);
    for (let q = 0; q < 4 && 4 * g + q < count; q++) eps[4 * g + q] = n[q];
  }
  return eps;
}

/** z from given noise ε: S rows per example, each with its own row of ε. */
export function samplesForward(stats: ArrayLike<number>, eps: ArrayLike<number>, s: Pick<SamplesShape, 'batch' | 'samples' | 'latent'>): Float64Array {
  const { batch: B, samples: S, latent: Z } = s;
  const z = new Float64Array(B * S * Z);
  for (let r = 0; r < B * S; r++) {
    const b = Math.floor(r / S);
    for (let j = 0; j < Z; j++) z[r * Z + j] = stats[b * 2 * Z + j] + Math.exp(0.5 * stats[b * 2 * Z + Z + j]) * eps[r * Z + j];
  }
  return z;
}

/** z with S rows per example (row r = b·S + s), each drawing its own noise; stats one row per example. */
export function reparameterizeForward(stats: ArrayLike<number>, B: number, Z: number, noise: CpuNoise, S = 1): Float64Array {
  return samplesForward(stats, noiseFor(noise, B * S * Z), { batch: B, samples: S, latent: Z });
}

/** The ELBO's backward (one sample per example): dstats + the contribution through z (dstats is not modified). */
export function reparameterizeBackward(
  stats: ArrayLike<number>,
  dz: ArrayLike<number>,
  dstats: ArrayLike<number>,
  B: number,
  Z: number,
  noise: CpuNoise,
  S = 1,
): Float64Array {
  if (S !== 1) throw new Error(`reparameterize: the backward without weights takes one sample per example (the ELBO's), got ${S}`);
  const out = Float64Array.from(dstats);
  const epsilon = noiseFor(noise, B * Z);
  for (let i = 0; i < B * Z; i++) {
    const mu = Math.floor(i / Z) * 2 * Z + (i % Z);
    const lv = mu + Z;
    out[mu] += dz[i];
    out[lv] += dz[i] * epsilon[i] * 0.5 * Math.exp(0.5 * stats[lv]);
  }
  return out;
}

/** The importance-weighted objective's backward from the normalised weights ŵ (dstats written). */
export function samplesBackward(
  stats: ArrayLike<number>,
  eps: ArrayLike<number>,
  dz: ArrayLike<number>,
  weights: ArrayLike<number>,
  s: SamplesShape,
): Float64Array {
  const { batch: B, samples: K, latent: Z } = s;
  const beta = s.beta ?? 1;
  const dreg = (s.estimator ?? 'iwae') === 'dreg';
  // ∂(−log q)/∂logvar at fixed ε is ½ per latent; Σ_i ŵ_i = 1, and the loss is a batch mean.
  const direct = dreg ? 0 : -beta / (2 * B);
  const dstats = new Float64Array(B * 2 * Z);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < Z; j++) {
      const mu = stats[b * 2 * Z + j], sigma = Math.exp(0.5 * stats[b * 2 * Z + Z + j]);
      let dmu = 0, dlv = 0;
      for (let i = 0; i < K; i++) {
        const r = b * K + i, e = eps[r * Z + j], w = weights[r];
        const z = mu + sigma * e;
        // −(weight/B)·β·∂(log p(z) − log q(z))/∂z, with q's z-dependence only for DReG.
        const g = dreg
          ? (1 - beta + beta * w) * dz[r * Z + j] + (((1 - beta) * w + beta * w * w) * beta * (z - e / sigma)) / B
          : dz[r * Z + j] + (w * beta * z) / B;
        dmu += g;
        dlv += g * e;
      }
      dstats[b * 2 * Z + j] = dmu;
      dstats[b * 2 * Z + Z + j] = 0.5 * sigma * dlv + direct;
    }
  }
  return dstats;
}

// CPU twin of shaders/reparameterize_samples.wgsl (float64): k samples per example from stored noise,
// rows r = b·k + i, and the backward that joins the k samples' gradients into the encoder's.
//   forward:  z_r = μ_b + exp(½ logvar_b)·ε_r
//   backward (ŵ from the IWAE objective, dz from the decoder's backward of its dlogits):
//     IWAE: g_r = dz_r + (ŵ_r β/B)·z_r,  dμ_b = Σ_i g_r,  dlogvar_b = Σ_i g_r·ε_r·½σ_b − β/(2B)
//     DReG: c_r = (1 − β)ŵ_r + βŵ_r², s_r = (1 − β) + βŵ_r,
//           g_r = s_r·dz_r + (c_r β/B)·(z_r − ε_r/σ_b),  dμ_b = Σ_i g_r,  dlogvar_b = Σ_i g_r·ε_r·½σ_b
// stats is B×2Z (μ | logvar); eps, z, dz are (B·k)×Z; weights is B·k; dstats B×2Z (written).
import type { SamplesShape } from '../kernels/reparameterize-samples';

export function samplesForward(stats: ArrayLike<number>, eps: ArrayLike<number>, s: Pick<SamplesShape, 'batch' | 'samples' | 'latent'>): Float64Array {
  const { batch: B, samples: K, latent: Z } = s;
  const z = new Float64Array(B * K * Z);
  for (let r = 0; r < B * K; r++) {
    const b = Math.floor(r / K);
    for (let j = 0; j < Z; j++) z[r * Z + j] = stats[b * 2 * Z + j] + Math.exp(0.5 * stats[b * 2 * Z + Z + j]) * eps[r * Z + j];
  }
  return z;
}

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

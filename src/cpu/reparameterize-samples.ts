// CPU twin of shaders/reparameterize_samples.wgsl (float64): k samples per example from stored noise,
// rows r = b·k + i, and the backward that joins the k samples' gradients into the encoder's.
//   forward:  z_r = μ_b + exp(½ logvar_b)·ε_r
//   backward: g_r = s_r·dz_r + dz_direct_r   (s_r = 1 for IWAE, (1 − β) + βŵ_r for DReG)
//             dμ_b = Σ_i g_r,  dlogvar_b = Σ_i g_r·ε_r·½σ_b + direct,  direct = −β/(2B) (IWAE) or 0 (DReG)
// stats is B×2Z (μ | logvar); eps, z, dz, dz_direct are (B·k)×Z; weights is B·k; dstats B×2Z (written).
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
  dzDirect: ArrayLike<number>,
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
      const halfSigma = 0.5 * Math.exp(0.5 * stats[b * 2 * Z + Z + j]);
      let dmu = 0, dlv = 0;
      for (let i = 0; i < K; i++) {
        const r = b * K + i;
        const scale = dreg ? 1 - beta + beta * weights[r] : 1;
        const g = scale * dz[r * Z + j] + dzDirect[r * Z + j];
        dmu += g;
        dlv += g * eps[r * Z + j];
      }
      dstats[b * 2 * Z + j] = dmu;
      dstats[b * 2 * Z + Z + j] = dlv * halfSigma + direct;
    }
  }
  return dstats;
}

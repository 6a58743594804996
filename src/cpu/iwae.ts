// CPU twin of shaders/iwae.wgsl (float64): L_k = log (1/k) Σ_s p(x, z_s) / q(z_s | x) per example,
// from each sample's reconstruction term and latent sample.
//   log w_s = −rec_s + log N(z_s; 0, I) − log N(z_s; μ, σ²)

/** log w for one example and one sample: rec is −log p(x|z), z, mu, logvar have length Z. */
export function logImportanceWeight(rec: number, z: ArrayLike<number>, mu: ArrayLike<number>, logvar: ArrayLike<number>): number {
  let logPrior = 0, logPosterior = 0;
  for (let j = 0; j < z.length; j++) {
    logPrior += -0.5 * z[j] * z[j] - 0.5 * Math.log(2 * Math.PI);
    const d = z[j] - mu[j];
    logPosterior += -0.5 * (d * d) / Math.exp(logvar[j]) - 0.5 * logvar[j] - 0.5 * Math.log(2 * Math.PI);
  }
  return -rec + logPrior - logPosterior;
}

/** log (1/k) Σ exp(logW[s]), computed stably. */
export function logMeanExp(logW: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < logW.length; i++) m = Math.max(m, logW[i]);
  let s = 0;
  for (let i = 0; i < logW.length; i++) s += Math.exp(logW[i] - m);
  return m + Math.log(s) - Math.log(logW.length);
}

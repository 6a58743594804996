// CPU twin of shaders/likelihood_scale_grad.wgsl (float64): the gradient of the batch loss w.r.t. the
// learned per-channel log-scales, dscale_c = (1/B) Σ_r w_r Σ_{d ≡ c mod C} ∂(−log p(x_{b(r),d} | l_{r,d}, s_c))/∂s_c,
// rows r = b·k + i, w_r = 1 (ELBO) or ŵ_r (IWAE). ∂/∂s from src/cpu/likelihood.ts.
import type { ScaleGradShape } from '../kernels/likelihood-scale-grad';
import { learnsScale } from '../base/words';
import { learnedPixelNll } from './likelihood';

export function likelihoodScaleGrad(
  logits: ArrayLike<number>,
  x: ArrayLike<number>,
  logScale: ArrayLike<number>,
  s: ScaleGradShape,
  weights?: ArrayLike<number>,
): Float64Array {
  const { batch: B, dim: D } = s;
  const K = s.samples ?? 1, C = s.channels ?? 1;
  const likelihood = s.likelihood ?? 'bernoulli';
  if (!learnsScale(likelihood, s.sigma)) throw new Error(`likelihoodScaleGrad: the ${likelihood} likelihood${likelihood === 'gaussian' ? ' with a fixed σ' : ''} has no learned scales`);
  if (D % C !== 0) throw new Error(`likelihoodScaleGrad: ${D} values per row is not a whole number of ${C}-channel pixels`);
  if (K !== 1 && !weights) throw new Error(`likelihoodScaleGrad: ${K} samples per example need their weights ŵ`);
  const kind = likelihood === 'logistic' ? 'logistic' : 'gaussian';
  const g = new Float64Array(C);
  for (let r = 0; r < B * K; r++) {
    const b = Math.floor(r / K), w = weights ? weights[r] : 1;
    for (let d = 0; d < D; d++) g[d % C] += w * learnedPixelNll(kind, logits[r * D + d], x[b * D + d], logScale[d % C])[2];
  }
  for (let c = 0; c < C; c++) g[c] /= B;
  return g;
}

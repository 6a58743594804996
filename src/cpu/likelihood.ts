// CPU twin of shaders/lib/likelihood.wgsl (float64), written from the maths: −log p(t | l) of one value
// and its derivatives w.r.t. the decoder's output l and, for the learned likelihoods, w.r.t. the
// channel's log-scale s. D values per example, pixel d of channel c = d mod C (HWC interleaved).
//
//   Bernoulli, logit l:          −log p = max(l, 0) − l·t + log(1 + e^−|l|)            ∂/∂l = σ(l) − t
//   Gaussian, fixed σ:           −log p = (t − l)²/(2σ²) + log σ + ½ log 2π              ∂/∂l = (l − t)/σ²
//   Gaussian, learned s = log σ: −log p = ½(t − l)² e^−2s + s + ½ log 2π
//                                ∂/∂l = (l − t) e^−2s,   ∂/∂s = 1 − (t − l)² e^−2s
//   Discretized logistic (PixelCNN++, Salimans et al. 2017) on t ∈ [0, 1] with 256 levels k/255:
//     mean μ = l, scale S = e^s, half a bin h = 1/510, a = (t − μ + h)/S, b = (t − μ − h)/S:
//     P(t) = σ(a) − σ(b) inside, σ(a) for the lowest bin (t < h, i.e. t = 0) and 1 − σ(b) for the
//     highest (t > 1 − h, i.e. t = 1), so the 256 bins' probabilities sum to 1. Stably, with δ = a − b = 2h/S:
//       σ(a) − σ(b) = e^b (e^δ − 1) / ((1 + e^a)(1 + e^b)), so
//       log P = log(e^δ − 1) − softplus(a) − softplus(−b)      (inside)
//       log P = −softplus(−a)  (lowest bin),   log P = −softplus(b)  (highest bin).
//     Every term is a softplus or log expm1 of a finite number, so nothing cancels or underflows: the
//     mid-bin density fallback PixelCNN++ needs for its σ(a) − σ(b) (when it rounds to 0) is not needed.
//     Gradients of −log P (∂a/∂l = ∂b/∂l = −1/S; ∂a/∂s = −a, ∂b/∂s = −b, ∂δ/∂s = −δ):
//       inside:  ∂/∂l = (σ(−a) − σ(b))/S,   ∂/∂s = δ/(1 − e^−δ) − a·σ(a) + b·σ(−b)
//       lowest:  ∂/∂l = σ(−a)/S,            ∂/∂s = a·σ(−a)
//       highest: ∂/∂l = −σ(b)/S,            ∂/∂s = −b·σ(b)
import type { Likelihood } from '../base/words';

/** Half the width of one of the discretized logistic's 256 bins on [0, 1]. */
export const LOGISTIC_HALF_BIN = 1 / 510;

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** log(e^δ − 1) for δ > 0. */
function logExpm1(d: number): number {
  return d > 30 ? d + Math.log1p(-Math.exp(-d)) : Math.log(Math.expm1(d));
}

/** −log p(t | l) and its derivative w.r.t. l, for Bernoulli logits or a Gaussian of fixed σ. */
export function pixelNll(l: number, t: number, gaussian: boolean, sigma: number): [number, number] {
  if (gaussian) return [((t - l) * (t - l)) / (2 * sigma * sigma) + Math.log(sigma) + HALF_LOG_2PI, (l - t) / (sigma * sigma)];
  return [Math.max(l, 0) - l * t + Math.log1p(Math.exp(-Math.abs(l))), 1 / (1 + Math.exp(-l)) - t];
}

/** −log p(t | l, s) of a learned-scale likelihood and its derivatives: [nll, ∂/∂l, ∂/∂s]. */
export function learnedPixelNll(kind: 'gaussian' | 'logistic', l: number, t: number, s: number): [number, number, number] {
  if (kind === 'gaussian') {
    const r = t - l, iv = Math.exp(-2 * s);
    return [0.5 * r * r * iv + s + HALF_LOG_2PI, -r * iv, 1 - r * r * iv];
  }
  const h = LOGISTIC_HALF_BIN, invS = Math.exp(-s);
  const a = (t - l + h) * invS, b = (t - l - h) * invS;
  if (t < h) return [softplus(-a), sigmoid(-a) * invS, a * sigmoid(-a)];
  if (t > 1 - h) return [softplus(b), -sigmoid(b) * invS, -b * sigmoid(b)];
  const d = 2 * h * invS;
  return [
    softplus(a) + softplus(-b) - logExpm1(d),
    (sigmoid(-a) - sigmoid(b)) * invS,
    d / -Math.expm1(-d) - a * sigmoid(a) + b * sigmoid(-b),
  ];
}

/**
 * One value's −log p and its derivatives w.r.t. l and the channel's scale (0 where nothing is
 * learned): the likelihood a config names, with `logScale` the channel's learned s (else unused).
 */
export function pixelTerms(likelihood: Likelihood, learned: boolean, sigma: number, l: number, t: number, logScale: number): [number, number, number] {
  if (learned) return learnedPixelNll(likelihood === 'logistic' ? 'logistic' : 'gaussian', l, t, logScale);
  const [nll, dl] = pixelNll(l, t, likelihood === 'gaussian', sigma);
  return [nll, dl, 0];
}

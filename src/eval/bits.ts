// Bits per dimension: a bound on −log p(x) in nats per example as bits per value, the figure papers on
// colour images report beside nats. The one place the conventions live:
//   discrete likelihoods (the discretized logistic's 256 levels, Bernoulli): bits/dim = nats / (D·ln 2);
//   continuous densities (the Gaussian) on 8-bit data scaled to [0, 1]: the density of x ∈ [0, 1]^D is
//     that of the 256-level data spread uniformly over each level's width 1/256 (the dequantization
//     convention), so bits/dim = (nats/D + ln 256) / ln 2.
import type { Likelihood } from '../base/words';

/** Bits per value of a bound of `nats` per example over `dim` values, by the likelihood's convention above. */
export function bitsPerDim(nats: number, dim: number, likelihood: Likelihood): number {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`bitsPerDim: dim must be a positive integer, got ${dim}`);
  const perValue = nats / dim;
  return (likelihood === 'gaussian' ? perValue + Math.log(256) : perValue) / Math.LN2;
}

/** Whether reports show bits/dim: for the real-image likelihoods (Gaussian, logistic) and for colour data. */
export function reportsBits(likelihood: Likelihood, channels: number): boolean {
  return likelihood !== 'bernoulli' || channels === 3;
}

// The bound for one example, from K samples z_s ~ q(z|x) decoded by the model: each sample's
// reconstruction term rec_s = −log p(x|z_s) (the ELBO's CPU twin, src/cpu/elbo.ts, on the decoder's
// logits) and log-weight log w_s (src/cpu/iwae.ts); the ELBO's parts (rec averaged over the samples,
// KL in closed form) and L_k for each k of a log grid, each the mean of ⌊K/k⌋ disjoint groups of k
// weights: an estimate of E[L_k] from one pass of K samples, noisy at no k. Pure: no GPU, no DOM.
import { elbo } from '../src/cpu/elbo';
import { logImportanceWeight, logMeanExp } from '../src/cpu/iwae';
import type { Likelihood, Sigma } from '../src/base/words';

/** 1, 2, 5, 10, 20, 50, … up to kMax, and kMax itself. */
export function lkGrid(kMax: number): number[] {
  if (!Number.isInteger(kMax) || kMax < 1) throw new Error(`lkGrid: kMax must be a positive integer, got ${kMax}`);
  const ks: number[] = [];
  for (let m = 1; m <= kMax; m *= 10) for (const f of [1, 2, 5]) if (f * m <= kMax) ks.push(f * m);
  if (ks.at(-1) !== kMax) ks.push(kMax);
  return ks;
}

/** KL(N(μ, diag e^lv) ‖ N(0, I)) in closed form. */
export function klDiag(mu: ArrayLike<number>, logvar: ArrayLike<number>): number {
  let kl = 0;
  for (let j = 0; j < mu.length; j++) kl += -0.5 * (1 + logvar[j]! - mu[j]! * mu[j]! - Math.exp(logvar[j]!));
  return kl;
}

/** n latents z = μ + σ·ε (rows of Z), with ε from `noise(i)` for i = 0 … nZ − 1. */
export function posteriorSamples(mu: ArrayLike<number>, logvar: ArrayLike<number>, n: number, noise: (i: number) => number): Float32Array {
  const Z = mu.length;
  const z = new Float32Array(n * Z);
  for (let s = 0; s < n; s++) for (let j = 0; j < Z; j++) z[s * Z + j] = mu[j]! + Math.exp(0.5 * logvar[j]!) * noise(s * Z + j);
  return z;
}

export interface Likelihoods {
  likelihood: Likelihood;
  sigma: Sigma;
}

/** rec_s and log w_s for `n` samples of one example x (D pixels): logits n×D, z n×Z. */
export function sampleTerms(
  x: Float32Array, logits: ArrayLike<number>, z: Float32Array, mu: ArrayLike<number>, logvar: ArrayLike<number>, lik: Likelihoods,
): { rec: Float64Array; logW: Float64Array } {
  const D = x.length, Z = mu.length, n = z.length / Z;
  const xs = new Float32Array(n * D);
  const stats = new Float32Array(n * 2 * Z);
  for (let s = 0; s < n; s++) {
    xs.set(x, s * D);
    for (let j = 0; j < Z; j++) {
      stats[s * 2 * Z + j] = mu[j]!;
      stats[s * 2 * Z + Z + j] = logvar[j]!;
    }
  }
  const per = elbo(logits, xs, stats, { batch: n, dim: D, latent: Z, likelihood: lik.likelihood, sigma: lik.sigma }).perExample;
  const rec = Float64Array.from({ length: n }, (_, s) => per[2 * s]!);
  const logW = Float64Array.from({ length: n }, (_, s) => logImportanceWeight(rec[s]!, z.subarray(s * Z, (s + 1) * Z), mu, logvar));
  return { rec, logW };
}

/** L_k for each k: the mean over ⌊K/k⌋ disjoint groups of k consecutive log-weights of log (1/k) Σ w. */
export function boundCurve(logW: ArrayLike<number>, ks: readonly number[]): number[] {
  return ks.map((k) => {
    const groups = Math.floor(logW.length / k);
    if (groups < 1) throw new Error(`boundCurve: L_${k} needs at least ${k} log-weights, got ${logW.length}`);
    let sum = 0;
    for (let g = 0; g < groups; g++) sum += logMeanExp(Array.prototype.slice.call(logW, g * k, (g + 1) * k) as number[]);
    return sum / groups;
  });
}

/** The mean of an array. */
export const mean = (v: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s / Math.max(1, v.length);
};

// What the objective kernels (elbo, iwae_objective, likelihood_scale_grad) share of the likelihood:
// its checks, the override constants that pick lib/likelihood.wgsl's terms, the uniform words of a
// fixed Gaussian σ and the channel count, and the binding of the learned per-channel log-scales (a
// 256-byte uniform range: the parameter likelihood.log_scale in the arena, or zeros).
import { LIKELIHOODS, MAX_SCALE_CHANNELS, learnsScale, type Likelihood, type Sigma } from '../base/words';
import type { BufferArg } from '../gpu/kernel';
import type { Runtime } from '../gpu/runtime';
import { requireFinite, requireFloats, requireOneOf, requirePositiveInt } from './checks';

export type { Likelihood, Sigma };

/** Bytes of the uniform the log-scales are read from: array<vec4<f32>, 16>, 64 channels. */
export const SCALE_BYTES = 4 * MAX_SCALE_CHANNELS;

export interface LikelihoodShape {
  likelihood?: Likelihood;
  /** The Gaussian likelihood's σ: fixed (default 1) or 'learned' (per channel, from `logScale`). */
  sigma?: Sigma;
  /** Channels of the data (C): value d of a row is in channel d mod C (default 1). */
  channels?: number;
}

export interface LikelihoodSetup {
  likelihood: Likelihood;
  learned: boolean;
  channels: number;
  overrides: { GAUSSIAN: boolean; LOGISTIC: boolean; LEARNED: boolean };
  /** The objective kernels' uniform words: 1/σ², ½ log 2πσ² (fixed σ; 1 and 0 otherwise) and C. */
  uniforms: { inv_var: number; log_norm: number; C: number };
}

/** Checks a shape's likelihood words against D values per row; throws naming `label`. */
export function likelihoodSetup(label: string, shape: LikelihoodShape, dim: number): LikelihoodSetup {
  const likelihood = shape.likelihood ?? 'bernoulli';
  requireOneOf(label, 'likelihood', likelihood, LIKELIHOODS);
  const sigma = shape.sigma ?? 1;
  if (sigma !== 'learned') requireFinite(label, 'sigma', sigma, { min: 0, open: true });
  const learned = learnsScale(likelihood, sigma);
  const channels = shape.channels ?? 1;
  requirePositiveInt(label, 'channels', channels);
  if (dim % channels !== 0) throw new Error(`${label}: ${dim} values per row is not a whole number of ${channels}-channel pixels`);
  if (learned && channels > MAX_SCALE_CHANNELS) {
    throw new Error(`${label}: learned per-channel scales serve at most ${MAX_SCALE_CHANNELS} channels, got ${channels}`);
  }
  const fixed = typeof sigma === 'number' ? sigma : 1;
  return {
    likelihood, learned, channels,
    overrides: { GAUSSIAN: likelihood === 'gaussian', LOGISTIC: likelihood === 'logistic', LEARNED: learned },
    uniforms: learned
      ? { inv_var: 1, log_norm: 0, C: channels }
      : { inv_var: 1 / (fixed * fixed), log_norm: 0.5 * Math.log(2 * Math.PI * fixed * fixed), C: channels },
  };
}

/**
 * The range bound to a kernel's `log_scale`: the given one (learned scales: at least SCALE_BYTES,
 * e.g. the parameter's 64-float slot of the arena, which needs UNIFORM usage), or a zero uniform the
 * caller destroys with the op.
 */
export function scaleBinding(rt: Runtime, label: string, setup: LikelihoodSetup, given: BufferArg | undefined): { arg: BufferArg; destroy(): void } {
  if (setup.learned) {
    if (!given) throw new Error(`${label}: the ${setup.likelihood} likelihood learns its scales; it needs the logScale buffer (C = ${setup.channels} log-scales in a ${SCALE_BYTES}-byte uniform range)`);
    requireFloats(label, 'logScale', given, MAX_SCALE_CHANNELS, `${SCALE_BYTES} bytes (a uniform array<vec4<f32>, 16>)`);
    return { arg: given, destroy() {} };
  }
  const zeros = rt.uniform(`${label} log_scale (unused)`, new ArrayBuffer(SCALE_BYTES));
  return { arg: zeros, destroy: () => zeros.destroy() };
}

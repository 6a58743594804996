// The words every floor of the library shares, with nothing under them: activation and likelihood
// names, the noise streams of one seed and how a seed becomes Philox key words, and the specs of a
// model's layers and objective. Lower floors (kernels, CPU twins, data) take them from here.

/** The activations the kernels know, in the order of their shader codes. */
export const ACTIVATIONS = ['identity', 'relu', 'tanh', 'sigmoid', 'softplus'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** The decoder's likelihoods p(x|z): Bernoulli logits, or a Gaussian mean with a fixed σ. */
export const LIKELIHOODS = ['bernoulli', 'gaussian'] as const;
export type Likelihood = (typeof LIKELIHOODS)[number];

/** Noise streams of one seed: each use of randomness has its own, so none overlaps another. */
export const STREAMS = {
  train: 0,
  evalElbo: 1,
  prior: 2,
  init: 3,
  shuffle: 4,
  binarize: 5,
  /** Importance samples use iwaeBase + sample index. */
  iwaeBase: 1024,
} as const;

/** The step and stream words of a noise counter (the seed is the model's). */
export interface NoiseWords {
  step: number;
  stream: number;
}

/**
 * The Philox key of a seed: its low and high 32 bits. The one place a seed becomes key words (the
 * GPU's noise, initialisation, shuffling and binarization all take it from here).
 */
export function seedKey(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer below 2^53, got ${seed}`);
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

/**
 * A layer's description in a model's layer list: its kind's name (an op kind the registry knows) and
 * that kind's fields, e.g. { kind: 'linear', width: 400, activation: 'relu' }.
 */
export interface LayerSpec {
  kind: string;
  /** Parameter names start with it (default `<encoder|decoder>.<index>`). */
  name?: string;
  [field: string]: unknown;
}

/**
 * A training objective: its kind's name (an objective the registry knows) and that kind's own fields,
 * which its op parses, e.g. { kind: 'elbo' } or { kind: 'iwae', k: 5 }.
 */
export interface ObjectiveSpec {
  kind: string;
  [field: string]: unknown;
}

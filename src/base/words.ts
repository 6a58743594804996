// The words every floor of the library shares, with nothing under them: activation and likelihood
// names, the noise streams of one seed and how a seed becomes Philox key words, and the specs of a
// model's layers and objective. Lower floors (kernels, CPU twins, data) take them from here.

/** The activations the kernels know, in the order of their shader codes. */
export const ACTIVATIONS = ['identity', 'relu', 'tanh', 'sigmoid', 'softplus'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/**
 * The decoder's likelihoods p(x|z): Bernoulli logits; a Gaussian mean with a fixed σ or a learned
 * per-channel log σ; the discretized logistic (256 levels on [0, 1], PixelCNN++) with its mean and a
 * learned per-channel log-scale. The formulas: src/cpu/likelihood.ts and shaders/lib/likelihood.wgsl.
 */
export const LIKELIHOODS = ['bernoulli', 'gaussian', 'logistic'] as const;
export type Likelihood = (typeof LIKELIHOODS)[number];

/** The Gaussian likelihood's σ: a fixed standard deviation, or 'learned' (a log σ per channel). */
export type Sigma = number | 'learned';

/**
 * Whether a likelihood has learned per-channel scales (a model parameter `likelihood.log_scale` of
 * one value per channel): the discretized logistic always, the Gaussian with sigma 'learned'.
 */
export function learnsScale(likelihood: Likelihood, sigma: Sigma | undefined): boolean {
  return likelihood === 'logistic' || (likelihood === 'gaussian' && sigma === 'learned');
}

/** The most channels a learned per-channel scale serves (the objectives read them from one 256-byte uniform). */
export const MAX_SCALE_CHANNELS = 64;

/** The shape of one image: height × width × channels, HWC interleaved (row-major, channels fastest). */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

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
 * A layer's fields as its kind parses them: its kind's name (an op kind the registry knows) and that
 * kind's fields, e.g. { kind: 'linear', width: 400, activation: 'relu' }. What a LayerKind is given.
 */
export interface LayerFields {
  kind: string;
  /** Parameter names start with it (default `<encoder|decoder>.<index>`). */
  name?: string;
  [field: string]: unknown;
}

/** A size or a [height, width] pair of sizes. */
export type SizePair = number | [number, number];

/** y = f(x·W + b): `width` outputs, any input shape (its values in NHWC order). */
export type LinearSpec = { kind: 'linear'; name?: string; width: number; activation?: Activation };
/** A 2-D convolution on [height, width, channels] rows (kernel 3, stride 1, padding 0 by default). */
export type Conv2dSpec = { kind: 'conv2d'; name?: string; filters: number; kernel?: SizePair; stride?: SizePair; padding?: SizePair; activation?: Activation };
/** A transposed 2-D convolution (PyTorch's ConvTranspose2d), with `outputPadding` < stride. */
export type ConvTranspose2dSpec = { kind: 'conv_transpose2d'; name?: string; filters: number; kernel?: SizePair; stride?: SizePair; padding?: SizePair; outputPadding?: SizePair; activation?: Activation };
/** The same values under 1 to 3 sizes, e.g. [28, 28, 1] (height, width, channels). */
export type ReshapeSpec = { kind: 'reshape'; name?: string; shape: number[] };
/** [height, width, channels] back to one row, in (h, w, c) order. */
export type FlattenSpec = { kind: 'flatten'; name?: string };
/** The built-in layer kinds' specs (BUILTIN_OPS). */
export type BuiltinLayerSpec = LinearSpec | Conv2dSpec | ConvTranspose2dSpec | ReshapeSpec | FlattenSpec;

/**
 * A layer of a kind of your own (registered with BUILTIN_OPS.with(kind)), made by customLayer(): the
 * mark keeps a misspelt built-in layer ({ kind: 'linear', widht: 4 }) a type error.
 */
export type CustomLayerSpec = LayerFields & { readonly '~customLayer': true };

/** A layer of a model's layer list: a built-in kind's spec, checked by type, or a custom one. */
export type LayerSpec = BuiltinLayerSpec | CustomLayerSpec;

/** A layer spec of a kind of your own, e.g. customLayer('scale', { name: 'encoder.gain' }). */
export function customLayer(kind: string, fields: Omit<LayerFields, 'kind'> = {}): CustomLayerSpec {
  if (typeof kind !== 'string' || kind === '') throw new Error(`customLayer: kind must be a non-empty string, got ${JSON.stringify(kind)}`);
  return { ...fields, kind } as CustomLayerSpec;
}

/**
 * A training objective: its kind's name (an objective the registry knows) and that kind's own fields,
 * which its op parses, e.g. { kind: 'elbo' } or { kind: 'iwae', k: 5 }.
 */
export interface ObjectiveSpec {
  kind: string;
  [field: string]: unknown;
}

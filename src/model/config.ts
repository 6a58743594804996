// The VAE configuration: architecture, likelihood, β, optimiser and seed, with defaults (the
// 784-400-20 ReLU Bernoulli model of Kingma & Welling's MNIST experiments) and strict validation.
import { ACTIVATIONS, type Activation } from '../kernels/activation';
import { resolveAdam, type AdamConfig, type AdamHyper } from '../kernels/adam';
import type { Likelihood } from '../kernels/elbo';

export interface VaeConfig {
  inputDim: number;
  /** Hidden widths of the encoder, input side first (any depth, possibly none). */
  encoderHidden: number[];
  /** Hidden widths of the decoder, latent side first. */
  decoderHidden: number[];
  latent: number;
  activation: Activation;
  likelihood: Likelihood;
  /** Fixed standard deviation of the Gaussian likelihood. */
  sigma: number;
  beta: number;
  adam: AdamHyper;
  seed: number;
}

export type VaeConfigInput = Partial<Omit<VaeConfig, 'adam'>> & { adam?: Partial<AdamConfig> };

export const DEFAULT_CONFIG: VaeConfig = {
  inputDim: 784,
  encoderHidden: [400],
  decoderHidden: [400],
  latent: 20,
  activation: 'relu',
  likelihood: 'bernoulli',
  sigma: 1,
  beta: 1,
  adam: resolveAdam({ lr: 1e-3 }),
  seed: 0,
};

function positiveInt(name: string, v: unknown, max = 1 << 20): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new Error(`config: ${name} must be an integer from 1 to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function resolveConfig(input: VaeConfigInput = {}): VaeConfig {
  const c = { ...DEFAULT_CONFIG, ...input, adam: resolveAdam({ ...DEFAULT_CONFIG.adam, ...(input.adam ?? {}) }, 'config.adam') };
  positiveInt('inputDim', c.inputDim);
  positiveInt('latent', c.latent, 4096);
  for (const key of ['encoderHidden', 'decoderHidden'] as const) {
    if (!Array.isArray(c[key])) throw new Error(`config: ${key} must be an array of layer widths, got ${JSON.stringify(c[key])}`);
    c[key].forEach((w, i) => positiveInt(`${key}[${i}]`, w, 65536));
    c[key] = [...c[key]];
  }
  if (!ACTIVATIONS.includes(c.activation)) {
    throw new Error(`config: activation must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(c.activation)}`);
  }
  if (c.likelihood !== 'bernoulli' && c.likelihood !== 'gaussian') {
    throw new Error(`config: likelihood must be 'bernoulli' or 'gaussian', got ${JSON.stringify(c.likelihood)}`);
  }
  if (typeof c.sigma !== 'number' || !Number.isFinite(c.sigma) || c.sigma <= 0) throw new Error(`config: sigma must be a finite number > 0, got ${c.sigma}`);
  if (typeof c.beta !== 'number' || !Number.isFinite(c.beta) || c.beta < 0) throw new Error(`config: beta must be a finite number ≥ 0, got ${c.beta}`);
  if (!Number.isSafeInteger(c.seed) || c.seed < 0) throw new Error(`config: seed must be a non-negative integer, got ${c.seed}`);
  return c;
}

/** A short architecture string such as 784-400-20 (relu, bernoulli). */
export function describeConfig(c: VaeConfig): string {
  return `${[c.inputDim, ...c.encoderHidden, c.latent].join('-')} / ${[c.latent, ...c.decoderHidden, c.inputDim].join('-')} (${c.activation}, ${c.likelihood}${c.beta !== 1 ? `, β=${c.beta}` : ''})`;
}

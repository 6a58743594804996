// Inference on a trained model, written once for the GPU and the CPU model (./runner.ts): the
// encoder's μ and log σ², the decoder's mean image for latents (Bernoulli: σ(logits); Gaussian: the
// mean), mean reconstructions decode(μ(x)) and decoded samples from the prior N(0, I).
import { STREAMS } from '../base/words';
import { gaussianNoise } from '../cpu/philox';
import { batchSize } from '../model/config';
import type { ModelRunner } from './runner';

/** μ and log σ² of q(z|x) for each example (batch ≤ maxBatch). */
export async function encode(r: ModelRunner, x: Float32Array): Promise<{ mu: Float32Array; logvar: Float32Array }> {
  const b = batchSize(x, r.config.inputDim, r.maxBatch, 'encode');
  const Z = r.config.latent;
  const stats = await r.statsOf(x, b);
  const mu = new Float32Array(b * Z), logvar = new Float32Array(b * Z);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < Z; j++) {
      mu[i * Z + j] = stats[i * 2 * Z + j];
      logvar[i * Z + j] = stats[i * 2 * Z + Z + j];
    }
  }
  return { mu, logvar };
}

/** The decoder's mean image for each latent (Bernoulli: σ(logits); Gaussian: the mean). */
export async function decode(r: ModelRunner, z: Float32Array): Promise<Float32Array> {
  const Z = r.config.latent;
  const b = z.length / Z;
  if (!(z instanceof Float32Array) || !Number.isInteger(b) || b < 1 || b > r.maxBatch) {
    throw new Error(`decode: expected 1 to ${r.maxBatch} latents of ${Z} values, got ${z?.length} values`);
  }
  const logits = Float32Array.from(await r.logitsOf(z, b));
  return r.config.likelihood === 'bernoulli' ? logits.map((l) => 1 / (1 + Math.exp(-l))) : logits;
}

/** Mean reconstructions decode(μ(x)). */
export async function reconstruct(r: ModelRunner, x: Float32Array): Promise<Float32Array> {
  return decode(r, (await encode(r, x)).mu);
}

/** Decoded samples from the prior N(0, I), drawn from the seeded Philox stream. */
export async function sample(r: ModelRunner, n: number, seed = r.config.seed): Promise<Float32Array> {
  if (!Number.isInteger(n) || n < 1 || n > r.maxBatch) throw new Error(`sample: n must be an integer from 1 to maxBatch ${r.maxBatch}, got ${n}`);
  const Z = r.config.latent;
  const z = Float32Array.from({ length: n * Z }, (_, i) => gaussianNoise(seed, 0, STREAMS.prior, i));
  return decode(r, z);
}

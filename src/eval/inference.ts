// Inference on a trained model, written once for the GPU and the CPU model (./runner.ts): the
// encoder's μ and log σ², the decoder's mean image for latents (Bernoulli: σ(logits); Gaussian: the
// mean), mean reconstructions decode(μ(x)) and decoded samples from the prior N(0, I). Any number of
// rows: the model runs them in chunks of at most maxBatch, each checked before the first is sent.
// A conditional model takes a label per row (options.labels) and sample() a class per sample.
import { STREAMS } from '../base/words';
import { gaussianNoise } from '../cpu/philox';
import type { ModelRunner } from './runner';
import { checkSignal, labelsOf, rowsOf, type CallOptions } from './inputs';

/** Runs `fn` on consecutive chunks of at most `maxBatch` rows of `width` values (and their labels), joining `outWidth` values a row. */
async function inChunks(r: ModelRunner, data: Float32Array, width: number, outWidth: number, signal: AbortSignal | undefined, labels: Uint32Array | undefined,
  fn: (chunk: Float32Array, rows: number, labels: Uint32Array | undefined) => Promise<ArrayLike<number>>): Promise<Float32Array> {
  const rows = data.length / width;
  const out = new Float32Array(rows * outWidth);
  for (let start = 0; start < rows; start += r.maxBatch) {
    const b = Math.min(r.maxBatch, rows - start);
    out.set(await fn(data.subarray(start * width, (start + b) * width), b, labels?.subarray(start, start + b)), start * outWidth);
    signal?.throwIfAborted();
  }
  return out;
}

/** μ and log σ² of q(z|x) for each example of `x` (any number of rows of inputDim pixels). */
export async function encode(r: ModelRunner, x: Float32Array, o: CallOptions = {}): Promise<{ mu: Float32Array; logvar: Float32Array }> {
  const signal = checkSignal('encode', o);
  const D = r.config.inputDim, Z = r.config.latent;
  const labels = labelsOf('encode', r.config, o.labels, rowsOf('encode', 'x', x, D, 'pixels', r.config.image));
  const stats = await inChunks(r, x, D, 2 * Z, signal, labels, (c, b, l) => r.statsOf(c, b, l));
  const b = stats.length / (2 * Z);
  const mu = new Float32Array(b * Z), logvar = new Float32Array(b * Z);
  for (let i = 0; i < b; i++) {
    mu.set(stats.subarray(i * 2 * Z, i * 2 * Z + Z), i * Z);
    logvar.set(stats.subarray(i * 2 * Z + Z, (i + 1) * 2 * Z), i * Z);
  }
  return { mu, logvar };
}

/** The decoder's mean image for each latent of `z` (any number of rows of `latent` values). */
export async function decode(r: ModelRunner, z: Float32Array, o: CallOptions = {}): Promise<Float32Array> {
  const signal = checkSignal('decode', o);
  const labels = labelsOf('decode', r.config, o.labels, rowsOf('decode', 'z', z, r.config.latent, 'latents'));
  return decodeChecked(r, z, signal, labels);
}

async function decodeChecked(r: ModelRunner, z: Float32Array, signal: AbortSignal | undefined, labels: Uint32Array | undefined): Promise<Float32Array> {
  const out = await inChunks(r, z, r.config.latent, r.config.inputDim, signal, labels, (c, b, l) => r.logitsOf(c, b, l));
  if (r.config.likelihood === 'bernoulli') for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-out[i]!));
  return out;
}

/** Mean reconstructions decode(μ(x)). */
export async function reconstruct(r: ModelRunner, x: Float32Array, o: CallOptions = {}): Promise<Float32Array> {
  const signal = checkSignal('reconstruct', o);
  const labels = labelsOf('reconstruct', r.config, o.labels, rowsOf('reconstruct', 'x', x, r.config.inputDim, 'pixels', r.config.image));
  return decodeChecked(r, (await encode(r, x, o)).mu, signal, labels);
}

export interface SampleOptions extends Omit<CallOptions, 'labels'> {
  /** Draw from this seed's prior stream (the same images every call with it); else the model's next fresh draw. */
  seed?: number;
  /** A conditional model: the class of every sample (or `classes`, one per sample). */
  class?: number;
  /** A conditional model: the class of each sample (n of them). */
  classes?: ArrayLike<number>;
}

/** The classes of a sample() call's n samples: a conditional model needs `class` or `classes`; an unconditional one takes neither. */
function sampleClasses(r: ModelRunner, n: number, o: SampleOptions): Uint32Array | undefined {
  const given = o.class !== undefined || o.classes !== undefined;
  if ((o as CallOptions).labels !== undefined) throw new Error('sample: give the classes as { class: k } or { classes: [...] } (one per sample), not labels');
  if (!r.config.conditional) {
    if (given) throw new Error(`sample: ${o.class !== undefined ? 'class' : 'classes'} given, but this model is not conditional (its config has no conditional)`);
    return undefined;
  }
  const C = r.config.conditional.classes;
  if (!given) throw new Error(`sample: this model is conditional on ${C} classes; give { class: k } (0 to ${C - 1}) or { classes: [...] } with one class per sample`);
  if (o.class !== undefined && o.classes !== undefined) throw new Error('sample: give class or classes, not both');
  if (o.class !== undefined) {
    if (typeof o.class !== 'number' || !Number.isInteger(o.class) || o.class < 0 || o.class >= C) throw new Error(`sample: class must be an integer from 0 to ${C - 1}, got ${String(o.class)}`);
    return new Uint32Array(n).fill(o.class);
  }
  return labelsOf('sample', r.config, o.classes, n);
}

/** The most samples one call takes (its latents are drawn on the CPU, its images returned in one array). */
export const MAX_SAMPLES_PER_CALL = 1 << 20;

/**
 * Decoded samples from the prior N(0, I): z from Philox on stream `prior` with step word `draw`
 * (a seed given: that seed, draw 0 — the CLI's samples.png; else the model's seed and the caller's
 * draw count, so successive calls differ and a rerun repeats them).
 */
export async function sample(r: ModelRunner, n: number, draw: number, o: SampleOptions = {}): Promise<Float32Array> {
  const signal = checkSignal('sample', o);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_SAMPLES_PER_CALL) {
    throw new Error(`sample: n must be an integer from 1 to ${MAX_SAMPLES_PER_CALL}, got ${String(n)}`);
  }
  const seeded = o.seed !== undefined;
  if (seeded && (typeof o.seed !== 'number' || !Number.isSafeInteger(o.seed) || o.seed < 0)) throw new Error(`sample: seed must be a non-negative integer, got ${String(o.seed)}`);
  const classes = sampleClasses(r, n, o);
  const seed = seeded ? o.seed! : r.config.seed, step = seeded ? 0 : draw;
  const z = Float32Array.from({ length: n * r.config.latent }, (_, i) => gaussianNoise(seed, step, STREAMS.prior, i));
  return decodeChecked(r, z, signal, classes);
}

// Bad input at the public entry points: each is refused by an Error whose message names the problem
// and the expected form, before anything reaches the GPU; nothing crashes and nothing is half-done.
import { beforeAll, describe, expect, it } from 'vitest';
import { GpuVae, CheckpointError, resolveConfig, subset, validateDataset, type Dataset } from '../../src/index';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import { useGpu } from '../gpu/harness';

const gpu = useGpu();
let data: { train: Dataset; test: Dataset };
beforeAll(async () => {
  const all = await loadEmbeddedMnist();
  data = { train: subset(all.train, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), test: subset(all.test, [0, 1, 2]) };
});

const small = { encoderHidden: [8], decoderHidden: [8], latent: 2 };

describe('config', () => {
  const cases: [object, RegExp][] = [
    [{ latent: 0 }, /latent must be an integer from 1/],
    [{ latent: 2.5 }, /latent must be an integer/],
    [{ encoderHidden: [-1] }, /encoderHidden\[0\] must be an integer from 1/],
    [{ decoderHidden: 'big' }, /decoderHidden must be an array of layer widths/],
    [{ activation: 'gelu' }, /activation must be one of identity, relu, tanh, sigmoid, softplus, got "gelu"/],
    [{ likelihood: 'poisson' }, /likelihood must be 'bernoulli' or 'gaussian'/],
    [{ beta: -1 }, /beta must be a finite number ≥ 0/],
    [{ beta: Infinity }, /beta must be a finite number/],
    [{ sigma: 0, likelihood: 'gaussian' }, /sigma must be a finite number > 0/],
    [{ seed: -3 }, /seed must be a non-negative integer/],
    [{ adam: { lr: NaN } }, /lr must be a finite number, got NaN/],
    [{ adam: { lr: 1e-3, beta2: 1 } }, /beta2 must be < 1/],
    [{ inputDim: 0 }, /inputDim must be an integer from 1/],
  ];
  for (const [input, message] of cases) {
    it(`refuses ${JSON.stringify(input)}`, () => expect(() => resolveConfig(input as never)).toThrow(message));
  }
});

describe('model entry points', () => {
  it('refuses bad batches, sizes and arguments', async () => {
    const { rt } = gpu();
    const vae = new GpuVae(rt, small, { maxBatch: 4 });
    expect(() => new GpuVae(rt, small, { maxBatch: 0 })).toThrow(/maxBatch must be a positive integer, got 0/);
    expect(() => vae.trainStep(new Float32Array(0))).toThrow(/0 values is not a whole number of 784-pixel examples/);
    expect(() => vae.trainStep(new Float32Array(100))).toThrow(/100 values is not a whole number of 784-pixel examples/);
    expect(() => vae.trainStep(new Float32Array(5 * 784))).toThrow(/batch of 5 examples exceeds maxBatch 4/);
    expect(() => vae.trainStep([1, 2, 3] as unknown as Float32Array)).toThrow(/expected a Float32Array/);
    await expect(vae.evaluate(data.test.images, 0)).rejects.toThrow(/count must be a positive integer, got 0/);
    await expect(vae.evaluate(data.test.images, 10)).rejects.toThrow(/evaluate: images has 2352 values, fewer than count × dim = 10 × 784 = 7840/);
    await expect(vae.evaluateLk(data.test.images, 3, 0)).rejects.toThrow(/k must be an integer from 1 to 100000, got 0/);
    await expect(vae.decode(new Float32Array(3))).rejects.toThrow(/decode: z has 3 values, not a whole number \(≥ 1\) of rows of 2 latents/);
    expect(() => vae.writeParams(new Float32Array(10))).toThrow(/expected a Float32Array of \d+ floats \(the parameter arena\), got 10/);
    expect(() => GpuVae.load(rt, new Uint8Array([1, 2, 3]))).toThrow(CheckpointError);
    // Nothing above changed the model: it still trains.
    expect(vae.step).toBe(0);
    await vae.trainStep(data.train.images.subarray(0, 4 * 784), true);
    expect(vae.step).toBe(1);
    vae.dispose();
    expect(() => vae.trainStep(data.train.images.subarray(0, 784))).toThrow(/used after dispose/);
  });

  it('fit: batch 0, batch 1, batch larger than the data, empty and mismatched data sets', async () => {
    const { rt } = gpu();
    const vae = new GpuVae(rt, small, { maxBatch: 16 });
    await expect(vae.fit({ epochs: 1, batch: 0, train: data.train, test: data.test })).rejects.toThrow(/batch must be a positive integer, got 0/);
    await expect(vae.fit({ epochs: 0, batch: 4, train: data.train, test: data.test })).rejects.toThrow(/epochs must be a positive integer, got 0/);
    const empty = { ...data.train, images: new Float32Array(0), labels: new Uint8Array(0), count: 0 };
    await expect(vae.fit({ epochs: 1, batch: 4, train: empty, test: data.test })).rejects.toThrow(/the training set is empty/);
    const wide = { ...data.test, dim: 10, cols: 10, rows: 1, images: new Float32Array(30) };
    await expect(vae.fit({ epochs: 1, batch: 4, train: data.train, test: wide })).rejects.toThrow(/the test set has 10-pixel images; the model expects 784/);
    // Batch 1: ten steps; a batch larger than the data: one step per epoch.
    const one = await vae.fit({ epochs: 1, batch: 1, train: data.train, test: data.test });
    expect(one[0].step).toBe(10);
    const big = new GpuVae(rt, small, { maxBatch: 16 });
    const all = await big.fit({ epochs: 2, batch: 1000, train: data.train, test: data.test });
    expect(all.map((m) => m.step)).toEqual([1, 2]);
    vae.dispose();
    big.dispose();
  });

  it('validateDataset names bad pixels', () => {
    const bad = { ...data.test, images: data.test.images.slice() };
    bad.images[800] = NaN;
    expect(() => validateDataset(bad, { likelihood: 'bernoulli' })).toThrow(/pixel at index 800 \(image 1, offset 16\) is NaN/);
    bad.images[800] = 1.5;
    expect(() => validateDataset(bad, { likelihood: 'bernoulli' })).toThrow(/is 1.5; bernoulli likelihood expects values in \[0, 1\]/);
    expect(() => validateDataset(bad, { likelihood: 'gaussian' })).not.toThrow();
  });
});

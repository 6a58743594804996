// elbo.wgsl against its CPU twin: per-example reconstruction and KL, the batch −ELBO in nats per
// example with β, and the gradients w.r.t. logits, μ and logvar, for both likelihoods and every
// schedule (tree, serial, and subgroup where the device has subgroups).
import { describe, expect, it } from 'vitest';
import { storageFrom } from '../../src/gpu/buffers';
import { hasSubgroups } from '../../src/kernels/bias-grad';
import { prepareElbo, type Likelihood } from '../../src/kernels/elbo';
import { expectComparisons } from '../util/compare';
import { elboCase } from '../kernels/cases';
import { useGpu } from './harness';

const gpu = useGpu();

describe('elbo', () => {
  const cases: [number, number, number, Likelihood, number][] = [
    [37, 129, 13, 'bernoulli', 1],
    [1, 784, 20, 'bernoulli', 1],
    [300, 784, 20, 'bernoulli', 0.5],
    [128, 784, 2, 'gaussian', 2],
    [5, 3, 300, 'bernoulli', 1], // more latents than a workgroup has invocations
  ];
  for (const [B, D, Z, likelihood, beta] of cases) {
    it(`matches the CPU twin with every schedule on B=${B} D=${D} Z=${Z} ${likelihood} β=${beta}`, async () => {
      const { device, rt } = gpu();
      // 'subgroup' where the device has subgroups (lavapipe: 8 lanes, SwiftShader: 4; read by the kernel).
      for (const schedule of ['tree', 'serial', ...(hasSubgroups(rt) ? ['subgroup' as const] : [])] as const) expectComparisons(await elboCase(device, rt, { B, D, Z, likelihood, beta, schedule }));
    });
  }

  it('rejects non-finite hyperparameters and short buffers', () => {
    const { device, rt } = gpu();
    const b = storageFrom(device, new Float32Array(64), 'b');
    const bufs = { logits: b, x: b, stats: b, dlogits: b, dstats: b, perExample: b, loss: b, totals: b };
    expect(() => prepareElbo(rt, { batch: 2, dim: 4, latent: 2, track: true }, bufs)).toThrow(/needs a health buffer/);
    expect(() => prepareElbo(rt, { batch: 2, dim: 4, latent: 2, beta: NaN }, bufs)).toThrow(/beta must be a finite number, got NaN/);
    expect(() => prepareElbo(rt, { batch: 2, dim: 4, latent: 2, sigma: 0 }, bufs)).toThrow(/sigma must be > 0/);
    expect(() => prepareElbo(rt, { batch: 2, dim: 40, latent: 2 }, bufs)).toThrow(/logits is B×D = 2×40 = 80 floats/);
    b.destroy();
  });
});

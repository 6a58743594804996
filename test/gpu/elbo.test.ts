// elbo.wgsl against its CPU twin: per-example reconstruction and KL, the batch −ELBO in nats per
// example with β, and the gradients w.r.t. logits, μ and logvar, for both likelihoods.
import { describe, expect, it } from 'vitest';
import { readFloats, storageFrom } from '../../src/gpu/buffers';
import { prepareElbo, type Likelihood } from '../../src/kernels/elbo';
import { elbo } from '../../src/cpu/elbo';
import { expectClose } from '../util/compare';
import { uniformArray } from '../util/random';
import { poisoned, scoped, submit, useGpu } from './harness';

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
    it(`matches the CPU twin on B=${B} D=${D} Z=${Z} ${likelihood} β=${beta}`, async () => {
      const { device, rt } = gpu();
      const logits = uniformArray(B * D, B + D, -6, 6);
      const x = uniformArray(B * D, B * D, 0, 1);
      const stats = uniformArray(B * 2 * Z, B + Z, -2, 2);
      const shape = { batch: B, dim: D, latent: Z, likelihood, beta, sigma: 0.7 };
      const want = elbo(logits, x, stats, shape);
      const got = await scoped(device, async () => {
        const bufs = {
          logits: storageFrom(device, logits, 'logits'),
          x: storageFrom(device, x, 'x'),
          stats: storageFrom(device, stats, 'stats'),
          dlogits: poisoned(device, B * D, 'dlogits'),
          dstats: poisoned(device, B * 2 * Z, 'dstats'),
          perExample: poisoned(device, 2 * B, 'per example'),
          loss: poisoned(device, 4, 'loss'),
          totals: storageFrom(device, [1, 2, 3, 4], 'totals'),
        };
        const op = prepareElbo(rt, shape, bufs);
        // Twice: totals must accumulate both batches on top of what they held.
        await submit(device, op.dispatches);
        await submit(device, op.dispatches);
        const out = {
          loss: await readFloats(device, bufs.loss, 4),
          per: await readFloats(device, bufs.perExample, 2 * B),
          dlogits: await readFloats(device, bufs.dlogits, B * D),
          dstats: await readFloats(device, bufs.dstats, B * 2 * Z),
          totals: await readFloats(device, bufs.totals, 4),
        };
        op.destroy();
        Object.values(bufs).forEach((b) => b.destroy());
        return out;
      });
      const name = `elbo B=${B} D=${D} Z=${Z} ${likelihood}`;
      expectClose(`${name} loss, rec, kl`, got.loss.subarray(0, 3), [want.loss, want.rec, want.kl], 1e-4, 2e-6 * Math.sqrt(D));
      expect(got.loss[3]).toBe(0);
      const sums = [want.loss * B, want.rec * B, want.kl * B].map((v, i) => i + 1 + 2 * v);
      expectClose(`${name} totals`, got.totals, [...sums, 4 + 2 * B], 1e-3, 4e-6 * Math.sqrt(D));
      expectClose(`${name} per example`, got.per, want.perExample, 1e-4, 2e-6 * Math.sqrt(D));
      // Gradients are O(1)/B: σ(l) − x cancels, so the absolute error is a few ulps of 1/B; exp(logvar)
      // reaches e² here.
      expectClose(`${name} dlogits`, got.dlogits, want.dlogits, 3e-7 / B, 1e-5);
      expectClose(`${name} dstats`, got.dstats, want.dstats, 1e-6 / B, 1e-5);
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

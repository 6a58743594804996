// The learned-scale likelihoods on the GPU against their float64 CPU twins (test/kernels/likelihood-cases.ts):
// elbo.wgsl and iwae_objective.wgsl with the discretized logistic and the Gaussian of learned
// per-channel σ (both schedules), and likelihood_scale_grad.wgsl (unweighted and ŵ-weighted), on
// awkward shapes (C = 1, 3, 4 and 64 channels, D not a multiple of 4 or of a workgroup) with 8-bit
// targets that include 0 and 1 (the logistic's edge bins), log-scales from −7 to 2 and means off
// [0, 1] (ELBO), or near the data so that ŵ is informative (IWAE).
import { describe, expect, it } from 'vitest';
import { storageFrom } from '../../src/gpu/buffers';
import { prepareElbo } from '../../src/kernels/elbo';
import { prepareScaleGrad } from '../../src/kernels/likelihood-scale-grad';
import { expectComparisons } from '../util/compare';
import { likelihoodElboCase, likelihoodIwaeCase, type LikelihoodCase } from '../kernels/likelihood-cases';
import { useGpu } from './harness';

const gpu = useGpu();

describe('learned-scale likelihoods on the GPU', () => {
  const shapes: Omit<LikelihoodCase, 'likelihood'>[] = [
    { B: 7, K: 1, D: 90, C: 3, Z: 4 },
    { B: 37, K: 1, D: 129, C: 3, Z: 5 },
    { B: 5, K: 1, D: 100, C: 4, Z: 3 },
    { B: 3, K: 1, D: 13, C: 1, Z: 2 },
    { B: 2, K: 1, D: 128, C: 64, Z: 2 },
  ];
  for (const likelihood of ['logistic', 'gaussian'] as const) {
    for (const s of shapes) {
      it(`elbo and the scale gradient match the CPU twins: ${likelihood} B=${s.B} D=${s.D} C=${s.C}`, async () => {
        const { device, rt } = gpu();
        for (const schedule of ['tree', 'serial'] as const) expectComparisons(await likelihoodElboCase(device, rt, { ...s, likelihood }, schedule));
      });
    }
    for (const s of [{ B: 7, K: 3, D: 90, C: 3, Z: 4 }, { B: 2, K: 5, D: 52, C: 4, Z: 3 }]) {
      it(`iwae_objective and the ŵ-weighted scale gradient match the CPU twins: ${likelihood} B=${s.B} k=${s.K} D=${s.D} C=${s.C}`, async () => {
        const { device, rt } = gpu();
        for (const schedule of ['tree', 'serial'] as const) expectComparisons(await likelihoodIwaeCase(device, rt, { ...s, likelihood }, schedule));
      });
    }
  }

  it('refuses learned scales without their buffer, too many channels, and a fixed likelihood asked for a scale gradient', () => {
    const { device, rt } = gpu();
    const b = storageFrom(device, new Float32Array(64), 'b');
    const bufs = { logits: b, x: b, stats: b, dlogits: b, dstats: b, perExample: b, loss: b, totals: b };
    expect(() => prepareElbo(rt, { batch: 2, dim: 6, latent: 2, likelihood: 'logistic', channels: 3 }, bufs)).toThrow(/logistic likelihood learns its scales; it needs the logScale buffer/);
    expect(() => prepareElbo(rt, { batch: 1, dim: 65, latent: 2, likelihood: 'gaussian', sigma: 'learned', channels: 65 }, bufs)).toThrow(/at most 64 channels, got 65/);
    expect(() => prepareElbo(rt, { batch: 2, dim: 6, latent: 2, likelihood: 'gaussian', channels: 4 }, bufs)).toThrow(/6 values per row is not a whole number of 4-channel pixels/);
    expect(() => prepareScaleGrad(rt, { batch: 2, dim: 6, likelihood: 'gaussian', sigma: 2 }, { logits: b, x: b, dscale: b, logScale: b })).toThrow(/gaussian likelihood with a fixed σ has no learned scales/);
    b.destroy();
  });
});

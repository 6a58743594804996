// reparameterize_samples.wgsl against its CPU twin: ε drawn by reparameterize.wgsl at μ = 0,
// logvar = 0 (the CPU's Philox stream), z for k samples per example, and the backward joining the
// k samples with the objective's latent-side terms (the prior; q and the per-row scaling for
// DReG; IWAE's direct dlogvar) into dstats.
import { describe, expect, it } from 'vitest';
import { storageFrom } from '../../src/gpu/buffers';
import { prepareReparameterizeSamples } from '../../src/kernels/reparameterize-samples';
import type { IwaeEstimator } from '../../src/kernels/reparameterize-samples';
import { expectComparisons } from '../util/compare';
import { samplesCase } from '../kernels/iwae-cases';
import { useGpu } from './harness';

const gpu = useGpu();

describe('reparameterize_samples', () => {
  const cases: [number, number, number, IwaeEstimator, number][] = [
    [3, 5, 13, 'iwae', 1],
    [1, 50, 20, 'iwae', 0.5],
    [7, 1, 20, 'iwae', 1],
    [5, 5, 3, 'dreg', 1],
    [2, 50, 7, 'dreg', 0.7],
  ];
  for (const [B, K, Z, estimator, beta] of cases) {
    it(`matches the CPU twin: ${estimator} B=${B} k=${K} Z=${Z} β=${beta}`, async () => {
      const { device, rt } = gpu();
      expectComparisons(await samplesCase(device, rt, { B, K, Z, estimator, beta }));
    });
  }

  it('rejects a partial backward and short buffers', () => {
    const { device, rt } = gpu();
    const b = storageFrom(device, new Float32Array(64), 'b');
    const shape = { batch: 2, samples: 3, latent: 2 };
    expect(() => prepareReparameterizeSamples(rt, shape, { stats: b, eps: b, z: b, dz: b })).toThrow(/needs dz, weights and dstats together/);
    expect(() => prepareReparameterizeSamples(rt, { ...shape, samples: 20 }, { stats: b, eps: b, z: b })).toThrow(/eps is \(B·k\)×Z = 40×2 = 80 floats/);
    expect(() => prepareReparameterizeSamples(rt, { ...shape, beta: -1 }, { stats: b, eps: b, z: b })).toThrow(/beta must be ≥ 0, got -1/);
    expect(() => prepareReparameterizeSamples(rt, { ...shape, estimator: 'vimco' as 'iwae' }, { stats: b, eps: b, z: b })).toThrow(/estimator must be 'iwae' or 'dreg', got 'vimco'/);
    b.destroy();
  });
});

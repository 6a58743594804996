// iwae_objective.wgsl against its CPU twin: per-example bound, weights, batch loss and totals, the
// gradient w.r.t. the logits, for both likelihoods and every schedule (subgroup where the device has
// subgroups), β ≠ 1, on
// k = 1, 5, 50, batch 1 and odd, D = 784 and odd, and with log w spread over 1e3 nats.
import { describe, expect, it } from 'vitest';
import { storageFrom } from '../../src/gpu/buffers';
import { hasSubgroups } from '../../src/kernels/bias-grad';
import { prepareIwaeObjective } from '../../src/kernels/iwae-objective';
import type { Likelihood } from '../../src/kernels/elbo';
import { expectComparisons } from '../util/compare';
import { iwaeObjectiveCase } from '../kernels/iwae-cases';
import type { Runtime } from '../../src/gpu/runtime';
import { useGpu } from './harness';

const gpu = useGpu();
const schedules = (rt: Runtime) => ['tree', 'serial', ...(hasSubgroups(rt) ? ['subgroup' as const] : [])] as const;

describe('iwae_objective', () => {
  const cases: [number, number, number, number, Likelihood, number][] = [
    [3, 5, 129, 13, 'bernoulli', 1],
    [1, 50, 784, 20, 'bernoulli', 1],
    [7, 1, 784, 20, 'bernoulli', 0.5],
    [5, 5, 33, 3, 'gaussian', 1],
    [2, 50, 31, 7, 'gaussian', 0.7],
    [1, 300, 3, 2, 'bernoulli', 1], // more samples than a workgroup has invocations
  ];
  for (const [B, K, D, Z, likelihood, beta] of cases) {
    it(`matches the CPU twin with every schedule: B=${B} k=${K} D=${D} Z=${Z} ${likelihood} β=${beta}`, async () => {
      const { device, rt } = gpu();
      // 'subgroup' where the device has subgroups (lavapipe: 8 lanes, SwiftShader: 4; read by the kernel).
      for (const schedule of schedules(rt)) {
        expectComparisons((await iwaeObjectiveCase(device, rt, { B, K, D, Z, likelihood, beta, schedule })).comparisons);
      }
    });
  }

  it('stays stable with log w spread over more than 1e3 nats within an example, and with every log w below −500', async () => {
    const { device, rt } = gpu();
    for (const schedule of schedules(rt)) {
      const run = await iwaeObjectiveCase(device, rt, { B: 3, K: 5, D: 37, Z: 4, likelihood: 'bernoulli', beta: 1, schedule, spread: 1000 });
      expect(run.spread).toBeGreaterThan(1000);
      expectComparisons(run.comparisons);
      // Every log w below −500: e^{log w} is 0 in f32, the shifted sum is not.
      const low = await iwaeObjectiveCase(device, rt, { B: 3, K: 5, D: 37, Z: 4, likelihood: 'bernoulli', beta: 1, schedule, spread: 100, shift: 500 });
      expect(low.maxLogW).toBeLessThan(-500);
      expectComparisons(low.comparisons);
    }
  });

  it('rejects bad shapes, hyperparameters and short buffers', () => {
    const { device, rt } = gpu();
    const b = storageFrom(device, new Float32Array(64), 'b');
    const bufs = { logits: b, x: b, stats: b, eps: b, dlogits: b, weights: b, perExample: b, loss: b, totals: b };
    const shape = { batch: 2, samples: 3, dim: 4, latent: 2 };
    expect(() => prepareIwaeObjective(rt, { ...shape, track: true }, bufs)).toThrow(/needs a health buffer/);
    expect(() => prepareIwaeObjective(rt, { ...shape, samples: 0 }, bufs)).toThrow(/samples must be a positive integer, got 0/);
    expect(() => prepareIwaeObjective(rt, { ...shape, beta: NaN }, bufs)).toThrow(/beta must be a finite number, got NaN/);
    expect(() => prepareIwaeObjective(rt, { ...shape, dim: 20 }, bufs)).toThrow(/logits is \(B·k\)×D = 6×20 = 120 floats/);
    b.destroy();
  });
});

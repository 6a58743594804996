// adam.wgsl against its CPU twin over several steps (Adam and AdamW), on a parameter count that is
// not a multiple of 4 or of the workgroup, and the hyperparameter checks.
import { describe, expect, it } from 'vitest';
import { resolveAdam, type AdamConfig } from '../../src/kernels/adam';
import { adamStep } from '../../src/cpu/adam';
import { expectComparisons } from '../util/compare';
import { adamCase } from '../kernels/cases';
import { useGpu } from './harness';

const gpu = useGpu();

describe('adam', () => {
  const configs: AdamConfig[] = [
    { lr: 1e-3 },
    { lr: 3e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1 },
    { lr: 1e-2, weightDecay: 0.05, decoupled: true },
  ];
  for (const config of configs) {
    it(`matches the CPU twin over 5 steps: ${JSON.stringify(config)}`, async () => {
      const { device, rt } = gpu();
      expectComparisons(await adamCase(device, rt, config, 5));
    });
  }

  it('moves the fast range (a likelihood\'s log-scales) at lr × scale, like the CPU twin', async () => {
    const { device, rt } = gpu();
    expectComparisons(await adamCase(device, rt, { lr: 1e-3 }, 5, 1031, { begin: 960, end: 1024, scale: 10 }));
    expectComparisons(await adamCase(device, rt, { lr: 1e-2, weightDecay: 0.05, decoupled: true }, 3, 1031, { begin: 0, end: 64, scale: 10 }));
    const h = resolveAdam({ lr: 0.01 });
    const p = new Float64Array(8), m = new Float64Array(8), v = new Float64Array(8);
    adamStep(p, new Float64Array(8).fill(1), m, v, h, 1, { begin: 4, end: 8, scale: 10 });
    expect(p[0]).toBeCloseTo(-0.01, 6);
    expect(p[4]).toBeCloseTo(-0.1, 6);
    await expect(adamCase(device, rt, { lr: 1e-3 }, 1, 1031, { begin: 2, end: 64, scale: 10 })).rejects.toThrow(/fast range \[2, 64\) must be multiples of 4/);
  });

  it('takes a first step of size lr in the gradient sign (bias correction)', () => {
    const h = resolveAdam({ lr: 0.01 });
    const p = new Float64Array([1, 1, 1]), m = new Float64Array(3), v = new Float64Array(3);
    adamStep(p, [0.5, -2, 1e-3], m, v, h, 1);
    for (const [i, s] of [[0, -1], [1, 1], [2, -1]]) expect(p[i] - 1).toBeCloseTo(s * 0.01, 6);
  });

  it('rejects absurd hyperparameters', () => {
    expect(() => resolveAdam({ lr: NaN })).toThrow(/lr must be a finite number, got NaN/);
    expect(() => resolveAdam({ lr: -1 })).toThrow(/lr must be > 0, got -1/);
    expect(() => resolveAdam({ lr: 1e-3, beta1: 1 })).toThrow(/beta1 must be < 1/);
    expect(() => resolveAdam({ lr: 1e-3, beta2: Infinity })).toThrow(/beta2 must be a finite number/);
    expect(() => resolveAdam({ lr: 1e-3, eps: 0 })).toThrow(/eps must be > 0/);
    expect(() => resolveAdam({ lr: 1e-3, weightDecay: -0.1 })).toThrow(/weightDecay must be ≥ 0/);
  });
});

// adam.wgsl against its CPU twin over several steps (Adam and AdamW), on a parameter count that is
// not a multiple of 4 or of the workgroup, and the hyperparameter checks.
import { describe, expect, it } from 'vitest';
import { readFloats, storageFrom } from '../../src/gpu/buffers';
import { prepareAdam, resolveAdam, type AdamConfig } from '../../src/kernels/adam';
import { adamStep } from '../../src/cpu/adam';
import { expectClose } from '../util/compare';
import { uniformArray } from '../util/random';
import { scoped, submit, useGpu } from './harness';

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
      const n = 1031;
      const padded = Math.ceil(n / 4) * 4;
      const p0 = uniformArray(padded, 1), m0 = uniformArray(padded, 2, -0.01, 0.01), v0 = uniformArray(padded, 3, 0, 1e-4);
      const grads = [0, 1, 2, 3, 4].map((s) => uniformArray(padded, 10 + s, -0.1, 0.1));
      const h = resolveAdam(config);
      const cp = Float64Array.from(p0), cm = Float64Array.from(m0), cv = Float64Array.from(v0);
      const got = await scoped(device, async () => {
        const P = storageFrom(device, p0, 'p'), M = storageFrom(device, m0, 'm'), V = storageFrom(device, v0, 'v');
        const G = storageFrom(device, grads[0], 'g');
        const op = prepareAdam(rt, n, config, { params: P, grads: G, m: M, v: V });
        for (let t = 1; t <= 5; t++) {
          device.queue.writeBuffer(G, 0, grads[t - 1] as Float32Array<ArrayBuffer>);
          op.setStep(t);
          await submit(device, [op.dispatch]);
          adamStep(cp, grads[t - 1], cm, cv, h, t);
        }
        const out = { p: await readFloats(device, P, padded), m: await readFloats(device, M, padded), v: await readFloats(device, V, padded) };
        op.destroy();
        [P, M, V, G].forEach((b) => b.destroy());
        return out;
      });
      expectClose(`adam ${JSON.stringify(config)} params`, got.p, cp, 1e-6, 1e-5);
      expectClose(`adam ${JSON.stringify(config)} m`, got.m, cm, 1e-8, 1e-5);
      expectClose(`adam ${JSON.stringify(config)} v`, got.v, cv, 1e-10, 1e-5);
    });
  }

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

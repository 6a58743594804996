// bias_grad.wgsl (activation backward fused with the bias gradient) against its CPU twin, and the
// whole GPU linear-layer backward (dPre, db, dW = xᵀ·dPre, dx = dPre·Wᵀ) against the CPU backward.
import { describe, it } from 'vitest';
import { readFloats, storageFrom } from '../../src/gpu/buffers';
import { ACTIVATIONS } from '../../src/kernels/activation';
import { hasSubgroups, prepareBiasGrad } from '../../src/kernels/bias-grad';
import { prepareMatmul } from '../../src/kernels/matmul';
import { linearBackward, linearForward } from '../../src/cpu/linear';
import { expectClose, expectComparisons } from '../util/compare';
import { biasGradCase } from '../kernels/cases';
import { uniformArray } from '../util/random';
import { poisoned, scoped, submit, useGpu } from './harness';

const gpu = useGpu();

describe('bias_grad', () => {
  const shapes: [number, number][] = [[37, 129], [1, 400], [300, 20], [128, 784], [5, 1]];
  for (const [rows, cols] of shapes) {
    it(`matches the CPU twin for every activation and every schedule on ${rows}×${cols}`, async () => {
      const { device, rt } = gpu();
      // 'subgroup' where the device has subgroups (lavapipe: 8 lanes, SwiftShader: 4; read by the kernel).
      for (const schedule of ['tree', 'serial', ...(hasSubgroups(rt) ? ['subgroup' as const] : [])] as const) {
        for (const act of ACTIVATIONS) expectComparisons(await biasGradCase(device, rt, rows, cols, act, schedule));
      }
    });
  }
});

describe('linear layer backward on the GPU', () => {
  for (const act of ['relu', 'tanh'] as const) {
    it(`matches the CPU backward (${act}, B=33, 70→45)`, async () => {
      const { device, rt } = gpu();
      const B = 33, I = 70, O = 45;
      const x = uniformArray(B * I, 1), W = uniformArray(I * O, 2, -0.3, 0.3), b = uniformArray(O, 3), dy = uniformArray(B * O, 4);
      const y = Float32Array.from(linearForward(x, W, b, B, I, O, act));
      const want = linearBackward(x, W, y, dy, B, I, O, act);
      const got = await scoped(device, async () => {
        const X = storageFrom(device, x, 'x'), Wb = storageFrom(device, W, 'W'), Y = storageFrom(device, y, 'y'), dY = storageFrom(device, dy, 'dy');
        const dPre = poisoned(device, B * O, 'dPre'), db = poisoned(device, O, 'db');
        const dW = poisoned(device, I * O, 'dW'), dx = poisoned(device, B * I, 'dx');
        const ops = [
          prepareBiasGrad(rt, { rows: B, cols: O, activation: act }, { dY, y: Y, dPre, dBias: db }),
          prepareMatmul(rt, { M: I, N: O, K: B, transA: true }, { a: X, b: dPre, c: dW }, 'dW'),
          prepareMatmul(rt, { M: B, N: I, K: O, transB: true }, { a: dPre, b: Wb, c: dx }, 'dx'),
        ];
        await submit(device, ops.flatMap((o) => o.dispatches));
        const out = { dx: await readFloats(device, dx, B * I), dW: await readFloats(device, dW, I * O), db: await readFloats(device, db, O) };
        ops.forEach((o) => o.destroy());
        [X, Wb, Y, dY, dPre, db, dW, dx].forEach((q) => q.destroy());
        return out;
      });
      expectClose(`linear ${act} backward dx`, got.dx, want.dx!, 1e-5, 1e-4);
      expectClose(`linear ${act} backward dW`, got.dW, want.dW, 1e-5, 1e-4);
      expectClose(`linear ${act} backward db`, got.db, want.db, 1e-5, 1e-4);
    });
  }
});

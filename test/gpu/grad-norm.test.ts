// grad_norm.wgsl against its CPU twin: the global gradient norm and clip scale over arenas that are
// not multiples of 4, a workgroup or the partial count, clipping on and off, both schedules, and
// the non-finite flag.
import { describe, expect, it } from 'vitest';
import { storageFrom } from '../../src/gpu/buffers';
import { hasSubgroups } from '../../src/kernels/bias-grad';
import { gradNormPartials, prepareGradNorm } from '../../src/kernels/grad-norm';
import { expectComparisons } from '../util/compare';
import { gradNormCase } from '../kernels/iwae-cases';
import type { Runtime } from '../../src/gpu/runtime';
import { useGpu } from './harness';

const gpu = useGpu();
// 'subgroup' where the device has subgroups (lavapipe: 8 lanes, SwiftShader: 4; read by the kernel).
const schedulesOf = (rt: Runtime) => ['tree', 'serial', ...(hasSubgroups(rt) ? ['subgroup' as const] : [])] as const;

describe('grad_norm', () => {
  for (const count of [1, 1031, 262_147]) {
    for (const clipAt of [0.5, 2]) {
      it(`matches the CPU twin on ${count} floats, max_norm = ${clipAt}·‖g‖, both schedules`, async () => {
        const { device, rt } = gpu();
        for (const schedule of schedulesOf(rt)) expectComparisons(await gradNormCase(device, rt, count, schedule, { clipAt }));
      });
    }
  }

  it('flags a non-finite norm', async () => {
    const { device, rt } = gpu();
    for (const schedule of schedulesOf(rt)) expectComparisons(await gradNormCase(device, rt, 5000, schedule, { poison: 4321 }));
  });

  it('sizes its partials and rejects bad arguments', () => {
    const { device, rt } = gpu();
    expect([1, 1024, 1025, 4 * 256 * 256, 10 ** 7].map(gradNormPartials)).toEqual([1, 1, 2, 256, 256]);
    const b = storageFrom(device, new Float32Array(8), 'b');
    expect(() => prepareGradNorm(rt, { count: 8, maxNorm: 0 }, { grads: b, partials: b, clip: b })).toThrow(/maxNorm must be > 0, got 0/);
    expect(() => prepareGradNorm(rt, { count: 9, maxNorm: 1 }, { grads: b, partials: b, clip: b })).toThrow(/grads is 9 floats padded to 12/);
    b.destroy();
  });
});

// The conv kernels (shaders/conv2d.wgsl, conv2d_transpose.wgsl, conv2d_weight_grad.wgsl) against
// their CPU twins on the preset's shapes (at small batch) and awkward ones, both schedules.
import { describe, it } from 'vitest';
import { expectComparisons } from '../util/compare';
import { convForwardCase, convGradKernelsCase, type ConvCase } from '../kernels/conv-cases';
import { useGpu } from './harness';

const gpu = useGpu();

describe('conv smoke', () => {
  it('forward', async () => {
    const { device, rt } = gpu();
    for (const schedule of ['tiled', 'blocked'] as const) {
      const c: ConvCase = { kind: 'conv', shape: { batch: 2, inH: 9, inW: 7, inC: 3, outC: 5, kernel: 4, stride: 2, padding: 1, activation: 'relu' }, bias: true, schedule };
      expectComparisons(await convForwardCase(device, rt, c, 1));
      expectComparisons(await convGradKernelsCase(device, rt, c, 1));
      const t: ConvCase = { kind: 'convT', shape: { batch: 2, inH: 4, inW: 5, inC: 3, outC: 5, kernel: 4, stride: 2, padding: 1, outputPadding: 1, activation: 'tanh' }, bias: true, schedule };
      expectComparisons(await convForwardCase(device, rt, t, 1));
      expectComparisons(await convGradKernelsCase(device, rt, t, 1));
    }
  });
});

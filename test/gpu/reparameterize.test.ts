// reparameterize.wgsl against its CPU twin: the in-shader Philox noise reproduces the CPU stream
// (so z matches), and the backward adds dz and dz·ε·½σ into the KL gradients already in dstats.
import { describe, expect, it } from 'vitest';
import { storageFrom } from '../../src/gpu/buffers';
import { prepareReparameterize } from '../../src/kernels/reparameterize';
import { expectComparisons } from '../util/compare';
import { reparameterizeCase } from '../kernels/cases';
import { useGpu } from './harness';

const gpu = useGpu();

describe('reparameterize', () => {
  const shapes: [number, number][] = [[37, 13], [1, 2], [300, 20], [128, 20]];
  for (const [B, Z] of shapes) {
    it(`forward and backward match the CPU twin on B=${B}, Z=${Z}`, async () => {
      const { device, rt } = gpu();
      for (const [seed, step, stream] of [[7, 0, 0], [2 ** 33 + 5, 12345, 3]]) {
        expectComparisons(await reparameterizeCase(device, rt, B, Z, { seed, step, stream }));
      }
    });
  }

  it('rejects bad seeds, steps and buffers', () => {
    const { device, rt } = gpu();
    const small = storageFrom(device, new Float32Array(4), 'small');
    const big = storageFrom(device, new Float32Array(400), 'big');
    expect(() => prepareReparameterize(rt, { batch: 10, latent: 10 }, { stats: small, z: big }, { seed: 1, stream: 0 })).toThrow(/stats is B×2Z = 10×20 = 200 floats/);
    expect(() => prepareReparameterize(rt, { batch: 2, latent: 2 }, { stats: big, z: big }, { seed: -1, stream: 0 })).toThrow(/seed must be a non-negative integer/);
    expect(() => prepareReparameterize(rt, { batch: 2, latent: 2 }, { stats: big, z: big, dz: big }, { seed: 1, stream: 0 })).toThrow(/needs both dz and dstats/);
    const op = prepareReparameterize(rt, { batch: 2, latent: 2 }, { stats: big, z: small }, { seed: 1, stream: 0 });
    expect(() => op.setStep(-3)).toThrow(/step must be a 32-bit unsigned integer/);
    op.destroy();
    small.destroy();
    big.destroy();
  });
});

// reparameterize.wgsl against its CPU twin: the in-shader Philox noise reproduces the CPU stream
// (so z matches), and the backward adds dz and dz·ε·½σ into the KL gradients already in dstats.
import { describe, expect, it } from 'vitest';
import { readFloats, storageFrom } from '../../src/gpu/buffers';
import { prepareReparameterize } from '../../src/kernels/reparameterize';
import { reparameterizeBackward, reparameterizeForward } from '../../src/cpu/reparameterize';
import { expectClose } from '../util/compare';
import { uniformArray } from '../util/random';
import { poisoned, scoped, submit, useGpu } from './harness';

const gpu = useGpu();

describe('reparameterize', () => {
  const shapes: [number, number][] = [[37, 13], [1, 2], [300, 20], [128, 20]];
  for (const [B, Z] of shapes) {
    it(`forward and backward match the CPU twin on B=${B}, Z=${Z}`, async () => {
      const { device, rt } = gpu();
      const stats = uniformArray(B * 2 * Z, B + Z, -2, 2);
      const dz = uniformArray(B * Z, B * Z);
      const dstatsIn = uniformArray(B * 2 * Z, B * 5 + Z);
      for (const [seed, step, stream] of [[7, 0, 0], [2 ** 33 + 5, 12345, 3]]) {
        const noise = { seed, step, stream };
        const wantZ = reparameterizeForward(stats, B, Z, noise);
        const wantD = reparameterizeBackward(stats, dz, dstatsIn, B, Z, noise);
        const got = await scoped(device, async () => {
          const S = storageFrom(device, stats, 'stats'), zb = poisoned(device, B * Z, 'z');
          const dzb = storageFrom(device, dz, 'dz'), ds = storageFrom(device, dstatsIn, 'dstats');
          const op = prepareReparameterize(rt, { batch: B, latent: Z }, { stats: S, z: zb, dz: dzb, dstats: ds }, { seed, stream });
          op.setStep(step);
          await submit(device, [op.forward, op.backward!]);
          const out = { z: await readFloats(device, zb, B * Z), d: await readFloats(device, ds, B * 2 * Z) };
          op.destroy();
          [S, zb, dzb, ds].forEach((b) => b.destroy());
          return out;
        });
        // ε passes through f32 log, sqrt and cos: a few ulps of the noise, scaled by σ ≤ e.
        expectClose(`reparameterize B=${B} Z=${Z} seed=${seed} z`, got.z, wantZ, 2e-5, 2e-5);
        expectClose(`reparameterize B=${B} Z=${Z} seed=${seed} dstats`, got.d, wantD, 2e-5, 2e-5);
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

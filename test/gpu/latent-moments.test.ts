// latent_moments.wgsl against its CPU twin (src/cpu/active-units.ts): encoder means folded in
// chunks bound at offsets of one buffer, reset between runs, and the active-unit count from them.
import { describe, expect, it } from 'vitest';
import { readFloats, storageFrom } from '../../src/gpu/buffers';
import { prepareLatentMoments } from '../../src/kernels/latent-moments';
import { activeUnits, addMeans, latentMoments } from '../../src/cpu/active-units';
import { expectClose } from '../util/compare';
import { uniformArray } from '../util/random';
import { poisoned, scoped, submit, useGpu } from './harness';

const gpu = useGpu();

describe('latent_moments', () => {
  it('matches the CPU twin over chunks of 128 rows (and a short last one) and counts the same active units', async () => {
    const { device, rt } = gpu();
    const N = 1000, Z = 20, chunk = 128;
    // μ_u spread over ±s_u (variance s²/3): s = 0.1 (inactive) for even u, 1 for odd u; logvar random.
    const stats = uniformArray(N * 2 * Z, 9, -1, 1).map((v, i) => ((i % (2 * Z)) < Z ? (i % 2 === 0 ? 0.1 * v + 3 : v) : 4 * v));
    const cpu = latentMoments(Z);
    const got = await scoped(device, async () => {
      const S = storageFrom(device, stats, 'stats'), M = poisoned(device, 4 * Z, 'moments');
      const ops = [];
      for (let start = 0, i = 0; start < N; start += chunk, i++) {
        const rows = Math.min(chunk, N - start);
        const slice = { buffer: S, offset: start * 2 * Z * 4, size: rows * 2 * Z * 4 };
        const op = prepareLatentMoments(rt, { rows, latent: Z }, { stats: slice, moments: M });
        ops.push(op);
        addMeans(cpu, stats.subarray(start * 2 * Z), rows);
      }
      // Twice: the second run's reset must drop the first.
      for (let run = 0; run < 2; run++) await submit(device, ops.map((op, i) => (i === 0 ? op.first : op.next)));
      const out = await readFloats(device, M, 4 * Z);
      ops.forEach((op) => op.destroy());
      S.destroy();
      M.destroy();
      return out;
    });
    const pick = (q: number) => Array.from({ length: Z }, (_, u) => got[4 * u + q]);
    expectClose('latent_moments N', pick(0), new Array(Z).fill(N), 0, 0);
    expectClose('latent_moments mean', pick(1), cpu.mean, 1e-6, 1e-5);
    expectClose('latent_moments M2', pick(2), cpu.m2, 1e-5, 1e-4);
    const gpuActive = activeUnits({ count: N, mean: Float64Array.from(pick(1)), m2: Float64Array.from(pick(2)) });
    expect(gpuActive.active).toBe(activeUnits(cpu).active);
    expect(gpuActive.active).toBe(Z / 2);
  });

  it('rejects short buffers and a stride below the latent size', () => {
    const { device, rt } = gpu();
    const b = storageFrom(device, new Float32Array(16), 'b');
    expect(() => prepareLatentMoments(rt, { rows: 3, latent: 4 }, { stats: b, moments: b })).toThrow(/stats is 3 rows of stride 8 = 20 floats/);
    expect(() => prepareLatentMoments(rt, { rows: 1, latent: 4, stride: 2 }, { stats: b, moments: b })).toThrow(/stride 2 is less than the latent size 4/);
    b.destroy();
  });
});

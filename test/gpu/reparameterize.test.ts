// reparameterize.wgsl against its CPU twin: the in-shader Philox noise reproduces the CPU stream
// (so z matches, with one sample per example or several), the ELBO's backward adds dz and dz·ε·½σ
// into the KL gradients already in dstats, and the weighted backward of k samples (ε kept by the
// forward) joins them with the objective's latent-side terms (the prior; q and the per-row scaling
// for DReG; IWAE's direct dlogvar) into dstats.
import { describe, expect, it } from 'vitest';
import { readFloats, storageBuffer, storageFrom } from '../../src/gpu/buffers';
import { REPARAMETERIZE, prepareReparameterize, type IwaeEstimator } from '../../src/kernels/reparameterize';
import { GROUP_LIMITS, groupMoments } from '../util/normal-groups';
import { expectComparisons } from '../util/compare';
import { reparameterizeCase } from '../kernels/cases';
import { samplesCase } from '../kernels/iwae-cases';
import { poisoned, scoped, submit, useGpu } from './harness';

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

  // Rows = batch × samples: each z row draws its own noise.
  for (const [B, Z, S] of [[37, 13, 3], [1, 2, 5], [20, 20, 4], [7, 3, 1]]) {
    it(`the forward with ${S} samples per example matches the CPU twin on B=${B}, Z=${Z}`, async () => {
      const { device, rt } = gpu();
      expectComparisons(await reparameterizeCase(device, rt, B, Z, { seed: 19, step: 4, stream: 1026 }, S));
    });
  }

  // k samples with ε kept, then the importance-weighted backward from ŵ (both estimators).
  const weighted: [number, number, number, IwaeEstimator, number][] = [
    [3, 5, 13, 'iwae', 1],
    [1, 50, 20, 'iwae', 0.5],
    [7, 1, 20, 'iwae', 1],
    [5, 5, 3, 'dreg', 1],
    [2, 50, 7, 'dreg', 0.7],
  ];
  for (const [B, K, Z, estimator, beta] of weighted) {
    it(`k samples, ε kept and the weighted backward match the CPU twin: ${estimator} B=${B} k=${K} Z=${Z} β=${beta}`, async () => {
      const { device, rt } = gpu();
      expectComparisons(await samplesCase(device, rt, { B, K, Z, estimator, beta }));
    });
  }

  it('draws four uncorrelated standard normals per group, across example boundaries', async () => {
    const { device, rt } = gpu();
    // μ = 0, logvar = 0: z is ε. 2^16 groups and a partial one (Z = 13: groups straddle examples).
    const B = 20165, Z = 13;
    const eps = await scoped(device, async () => {
      const stats = storageFrom(device, new Float32Array(2 * B * Z), 'stats'), z = poisoned(device, B * Z, 'z');
      const op = prepareReparameterize(rt, { batch: B, latent: Z }, { stats, z }, { seed: 2024, stream: 5 });
      op.setStep(77);
      await submit(device, [op.forward]);
      const out = await readFloats(device, z, B * Z);
      op.destroy();
      stats.destroy();
      z.destroy();
      return out;
    });
    expect(eps.every(Number.isFinite), 'every element written').toBe(true);
    const m = groupMoments(eps);
    expect(m.groups).toBe(2 ** 16);
    for (let q = 0; q < 4; q++) {
      expect(Math.abs(m.mean[q]), `mean of n${q}`).toBeLessThan(GROUP_LIMITS.mean);
      expect(Math.abs(m.variance[q] - 1), `variance of n${q}`).toBeLessThan(GROUP_LIMITS.variance);
    }
    for (const [pair, r] of Object.entries(m.corr)) expect(Math.abs(r), `correlation ${pair}`).toBeLessThan(GROUP_LIMITS.corr);
  });

  it('computes cos 2πt and sin 2πt far closer than WGSL promises (the CPU replays ε)', async () => {
    const { device } = gpu();
    // A probe entry appended to the shader: sincos_turns at t = unit(k·2^16) = (k·2^7 + ½)/2^23, k < 2^16.
    const n = 2 ** 16;
    const code = `${REPARAMETERIZE.source}
@group(1) @binding(0) var<storage, read_write> probe: array<f32>;
@compute @workgroup_size(64)
fn probe_sincos(@builtin(global_invocation_id) gid: vec3<u32>) {
  let cs = sincos_turns(unit(gid.x << 16u));
  probe[2u * gid.x] = cs.x;
  probe[2u * gid.x + 1u] = cs.y;
}`;
    const got = await scoped(device, async () => {
      const module = device.createShaderModule({ code });
      const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'probe_sincos' } });
      const out = storageBuffer(device, 2 * n, 'probe');
      const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(1), entries: [{ binding: 0, resource: { buffer: out } }] });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(1, bindGroup);
      pass.dispatchWorkgroups(n / 64);
      pass.end();
      device.queue.submit([encoder.finish()]);
      const values = await readFloats(device, out, 2 * n);
      out.destroy();
      return values;
    });
    let worst = 0;
    for (let k = 0; k < n; k++) {
      const t = 2 * Math.PI * ((k * 128 + 0.5) / 8388608);
      worst = Math.max(worst, Math.abs(got[2 * k] - Math.cos(t)), Math.abs(got[2 * k + 1] - Math.sin(t)));
    }
    console.info(`sincos_turns: worst |error| ${worst.toExponential(2)} over ${n} turns`);
    // The polynomials' truncation is < 2e-9; f32 evaluation adds about an ulp (6e-8 in [½, 1)).
    // WGSL's own cos and sin promise only 2^−11.
    expect(worst).toBeLessThan(1.2e-7);
  });

  it('rejects bad seeds, steps and buffers', () => {
    const { device, rt } = gpu();
    const small = storageFrom(device, new Float32Array(4), 'small');
    const big = storageFrom(device, new Float32Array(400), 'big');
    expect(() => prepareReparameterize(rt, { batch: 10, latent: 10 }, { stats: small, z: big }, { seed: 1, stream: 0 })).toThrow(/stats is B×2Z = 10×20 = 200 floats/);
    expect(() => prepareReparameterize(rt, { batch: 2, latent: 2 }, { stats: big, z: big }, { seed: -1, stream: 0 })).toThrow(/seed must be a non-negative integer/);
    expect(() => prepareReparameterize(rt, { batch: 2, latent: 2 }, { stats: big, z: big, dz: big }, { seed: 1, stream: 0 })).toThrow(/needs both dz and dstats/);
    expect(() => prepareReparameterize(rt, { batch: 2, latent: 2, samples: 3 }, { stats: big, z: big, dz: big, dstats: big }, { seed: 1, stream: 0 }))
      .toThrow(/the backward without weights takes one sample per example \(the ELBO's\), got 3; a k-sample objective's backward needs its weights/);
    expect(() => prepareReparameterize(rt, { batch: 2, latent: 2, samples: 3 }, { stats: big, z: big, dz: big, dstats: big, weights: big }, { seed: 1, stream: 0 }))
      .toThrow(/the weighted backward needs dz, dstats and eps beside the weights/);
    expect(() => prepareReparameterize(rt, { batch: 2, latent: 2, samples: 20 }, { stats: big, z: big, eps: small }, { seed: 1, stream: 0 })).toThrow(/eps is \(B·S\)×Z = 40×2 = 80 floats/);
    expect(() => prepareReparameterize(rt, { batch: 2, latent: 2, beta: -1 }, { stats: big, z: big }, { seed: 1, stream: 0 })).toThrow(/beta must be ≥ 0, got -1/);
    expect(() => prepareReparameterize(rt, { batch: 2, latent: 2, estimator: 'vimco' as 'iwae' }, { stats: big, z: big }, { seed: 1, stream: 0 })).toThrow(/estimator must be 'iwae' or 'dreg', got 'vimco'/);
    const op = prepareReparameterize(rt, { batch: 2, latent: 2 }, { stats: big, z: small }, { seed: 1, stream: 0 });
    expect(() => op.setStep(-3)).toThrow(/step must be a 32-bit unsigned integer/);
    expect(() => op.setBeta(Number.NaN)).toThrow(/beta must be a finite number/);
    op.destroy();
    small.destroy();
    big.destroy();
  });
});

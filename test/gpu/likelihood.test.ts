// The learned-scale likelihoods on the GPU against their float64 CPU twins: elbo.wgsl and
// iwae_objective.wgsl with the discretized logistic and the Gaussian of learned per-channel σ (both
// schedules), and likelihood_scale_grad.wgsl (unweighted and ŵ-weighted), on awkward shapes (C = 1,
// 3, 4 and 64 channels, D not a multiple of 4 or of a workgroup) with 8-bit targets that include 0
// and 1 (the logistic's edge bins), log-scales from −7 to 2, and means off [0, 1].
// The log-scales sit at byte 256 of a larger buffer, as the parameter arena holds them.
import { describe, expect, it } from 'vitest';
import { readFloats, storageBuffer, storageFrom } from '../../src/gpu/buffers';
import type { Runtime } from '../../src/gpu/runtime';
import { prepareElbo } from '../../src/kernels/elbo';
import { prepareIwaeObjective } from '../../src/kernels/iwae-objective';
import { prepareScaleGrad } from '../../src/kernels/likelihood-scale-grad';
import { elbo } from '../../src/cpu/elbo';
import { iwaeObjective } from '../../src/cpu/iwae-objective';
import { likelihoodScaleGrad } from '../../src/cpu/likelihood-scale-grad';
import { expectComparisons } from '../util/compare';
import { normalArray, rng, uniformArray } from '../util/random';
import type { Comparison } from '../kernels/cases';
import { poisoned, scoped, submit, useGpu } from './harness';

const gpu = useGpu();
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

interface Case {
  B: number;
  K: number;
  D: number;
  C: number;
  Z: number;
  likelihood: 'gaussian' | 'logistic';
}

/**
 * Wide: log-scales from −7 to 2 and some means far off, past [0, 1] (the ELBO's cases). Not wide (the
 * IWAE cases): means near the targets and log-scales in [−2.5, −1], so that the k samples' log w lie
 * within a few nats and ŵ is not all 0 and 1.
 */
function inputs(c: Case, wide = c.K === 1) {
  const { B, K, D, C, Z } = c;
  const r = rng(B * 1000 + D * 10 + C);
  const x = Float32Array.from({ length: B * D }, (_, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? 1 : Math.round(255 * r()) / 255));
  // Row r = b·k + i: sample i of example b.
  const logits = Float32Array.from({ length: B * K * D }, (_, i) => {
    const t = x[Math.floor(i / (K * D)) * D + (i % D)];
    return wide && i % 17 === 0 ? 3 * r() - 1 : t + (wide ? 0.2 : 0.05) * (r() - 0.5);
  });
  const logScale = Float32Array.from({ length: C }, (_, ch) => (!wide ? -2.5 + 1.5 * r() : ch === 0 ? -7 : ch === 1 % C ? 2 : -5 + 5 * r()));
  const stats = uniformArray(B * 2 * Z, B + Z, -1.5, 1.5);
  const eps = normalArray(B * K * Z, B * K * Z + 3);
  return { x, logits, logScale, stats, eps };
}

/** The log-scales at byte 256 of a 512-byte uniform + storage buffer, as a 256-byte range. */
function scaleRange(device: GPUDevice, logScale: Float32Array) {
  const buffer = device.createBuffer({ label: 'log scale', size: 512, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 256, logScale as Float32Array<ArrayBuffer>);
  return { buffer, offset: 256, size: 256 };
}

async function scaleGrad(device: GPUDevice, rt: Runtime, c: Case, logits: GPUBuffer, x: GPUBuffer, scales: ReturnType<typeof scaleRange>, weights?: GPUBuffer) {
  const dscale = storageBuffer(device, 64 + c.C, 'dscale');
  device.queue.writeBuffer(dscale, 0, new Float32Array(64 + c.C).fill(NaN));
  const g = prepareScaleGrad(rt, { batch: c.B, samples: c.K, dim: c.D, likelihood: c.likelihood, sigma: 'learned', channels: c.C }, {
    logits, x, ...(weights ? { weights } : {}), dscale: { buffer: dscale, offset: 256, size: 4 * c.C }, logScale: scales,
  });
  await submit(device, [g.dispatch]);
  const out = await readFloats(device, dscale, c.C, 256);
  g.destroy();
  dscale.destroy();
  return out;
}

async function elboRun(device: GPUDevice, rt: Runtime, c: Case, schedule: 'tree' | 'serial'): Promise<Comparison[]> {
  const { B, D, C, Z } = c;
  const { x, logits, logScale, stats } = inputs(c);
  const shape = { batch: B, dim: D, latent: Z, likelihood: c.likelihood, sigma: 'learned' as const, channels: C, beta: 0.8, schedule };
  const want = elbo(logits, x, stats, shape, logScale);
  const wantScale = likelihoodScaleGrad(logits, x, logScale, shape);
  const got = await scoped(device, async () => {
    const scales = scaleRange(device, logScale);
    const bufs = {
      logits: storageFrom(device, logits, 'logits'), x: storageFrom(device, x, 'x'), stats: storageFrom(device, stats, 'stats'),
      dlogits: poisoned(device, B * D, 'dlogits'), dstats: poisoned(device, B * 2 * Z, 'dstats'),
      perExample: poisoned(device, 2 * B, 'per example'), loss: poisoned(device, 4, 'loss'), totals: storageFrom(device, [0, 0, 0, 0], 'totals'),
    };
    const op = prepareElbo(rt, shape, { ...bufs, logScale: scales });
    await submit(device, op.dispatches);
    const out = {
      loss: await readFloats(device, bufs.loss, 4), per: await readFloats(device, bufs.perExample, 2 * B),
      dlogits: await readFloats(device, bufs.dlogits, B * D), dscale: await scaleGrad(device, rt, c, bufs.logits, bufs.x, scales),
    };
    op.destroy();
    [...Object.values(bufs), scales.buffer].forEach((b) => b.destroy());
    return out;
  });
  const name = `elbo[${schedule}] ${c.likelihood} B=${B} D=${D} C=${C}`;
  // f32 terms of up to e^7 (1/S at s = −7), summed over D: a few ulps of the largest term per value.
  const recTol = 1e-6 * Math.sqrt(D) * maxAbs(want.perExample);
  return [
    { name: `${name} loss, rec, kl`, got: got.loss.subarray(0, 3), want: [want.loss, want.rec, want.kl], atol: recTol, rtol: 1e-5 },
    { name: `${name} per example`, got: got.per, want: want.perExample, atol: recTol, rtol: 1e-5 },
    { name: `${name} dlogits`, got: got.dlogits, want: want.dlogits, atol: (1e-6 * maxAbs(want.dlogits)), rtol: 1e-4 },
    // A sum of B·D/C terms per channel, each up to e^7·(value) at s = −7.
    { name: `${name} dscale`, got: got.dscale, want: wantScale, atol: 1e-5 * (D / C), rtol: 1e-4 },
  ];
}

async function iwaeRun(device: GPUDevice, rt: Runtime, c: Case, schedule: 'tree' | 'serial'): Promise<Comparison[]> {
  const { B, K, D, C, Z } = c;
  const R = B * K;
  const { x, logits, logScale, stats, eps } = inputs(c);
  const shape = { batch: B, samples: K, dim: D, latent: Z, likelihood: c.likelihood, sigma: 'learned' as const, channels: C, beta: 1, schedule };
  const want = iwaeObjective(logits, x, stats, eps, shape, logScale);
  const wantScale = likelihoodScaleGrad(logits, x, logScale, shape, want.weights);
  const got = await scoped(device, async () => {
    const scales = scaleRange(device, logScale);
    const bufs = {
      logits: storageFrom(device, logits, 'logits'), x: storageFrom(device, x, 'x'), stats: storageFrom(device, stats, 'stats'), eps: storageFrom(device, eps, 'eps'),
      dlogits: poisoned(device, R * D, 'dlogits'), weights: poisoned(device, R, 'weights'),
      perExample: poisoned(device, 4 * B, 'per example'), loss: poisoned(device, 4, 'loss'), totals: storageFrom(device, [0, 0, 0, 0], 'totals'),
    };
    const op = prepareIwaeObjective(rt, shape, { ...bufs, logScale: scales });
    await submit(device, op.dispatches);
    const out = {
      per: await readFloats(device, bufs.perExample, 4 * B), weights: await readFloats(device, bufs.weights, R),
      dlogits: await readFloats(device, bufs.dlogits, R * D), dscale: await scaleGrad(device, rt, c, bufs.logits, bufs.x, scales, bufs.weights),
    };
    op.destroy();
    [...Object.values(bufs), scales.buffer].forEach((b) => b.destroy());
    return out;
  });
  const name = `iwae_objective[${schedule}] ${c.likelihood} B=${B} k=${K} D=${D} C=${C}`;
  const lwErr = 1e-6 * Math.sqrt(D) * maxAbs(want.logW);
  let spread = 0;
  for (let b = 0; b < B; b++) spread = Math.max(spread, Math.max(...want.logW.subarray(b * K, (b + 1) * K)) - Math.min(...want.logW.subarray(b * K, (b + 1) * K)));
  // ŵ must be informative: the samples' log w within a few nats of each other.
  expect(spread).toBeLessThan(10);
  expect(Math.min(...want.weights)).toBeGreaterThan(1e-4);
  return [
    { name: `${name} per example (−L_b, rec, kl, ESS)`, got: got.per, want: want.perExample, atol: 2 * lwErr, rtol: 1e-5 },
    // ŵ = e^{log w − m}/Σ: relative error about that of log w's differences.
    { name: `${name} weights`, got: got.weights, want: want.weights, atol: 1e-7, rtol: 2e-4 },
    { name: `${name} dlogits`, got: got.dlogits, want: want.dlogits, atol: 1e-5 * maxAbs(want.dlogits), rtol: 2e-4 },
    { name: `${name} dscale`, got: got.dscale, want: wantScale, atol: 1e-5 * maxAbs(wantScale), rtol: 2e-4 },
  ];
}

describe('learned-scale likelihoods on the GPU', () => {
  const shapes: Omit<Case, 'likelihood'>[] = [
    { B: 7, K: 1, D: 90, C: 3, Z: 4 },
    { B: 37, K: 1, D: 129, C: 3, Z: 5 },
    { B: 5, K: 1, D: 100, C: 4, Z: 3 },
    { B: 3, K: 1, D: 13, C: 1, Z: 2 },
    { B: 2, K: 1, D: 128, C: 64, Z: 2 },
  ];
  for (const likelihood of ['logistic', 'gaussian'] as const) {
    for (const s of shapes) {
      it(`elbo and the scale gradient match the CPU twins: ${likelihood} B=${s.B} D=${s.D} C=${s.C}`, async () => {
        const { device, rt } = gpu();
        for (const schedule of ['tree', 'serial'] as const) expectComparisons(await elboRun(device, rt, { ...s, likelihood }, schedule));
      });
    }
    for (const s of [{ B: 7, K: 3, D: 90, C: 3, Z: 4 }, { B: 2, K: 5, D: 52, C: 4, Z: 3 }]) {
      it(`iwae_objective and the ŵ-weighted scale gradient match the CPU twins: ${likelihood} B=${s.B} k=${s.K} D=${s.D} C=${s.C}`, async () => {
        const { device, rt } = gpu();
        for (const schedule of ['tree', 'serial'] as const) expectComparisons(await iwaeRun(device, rt, { ...s, likelihood }, schedule));
      });
    }
  }

  it('refuses learned scales without their buffer, too many channels, and a fixed likelihood asked for a scale gradient', () => {
    const { device, rt } = gpu();
    const b = storageFrom(device, new Float32Array(64), 'b');
    const bufs = { logits: b, x: b, stats: b, dlogits: b, dstats: b, perExample: b, loss: b, totals: b };
    expect(() => prepareElbo(rt, { batch: 2, dim: 6, latent: 2, likelihood: 'logistic', channels: 3 }, bufs)).toThrow(/logistic likelihood learns its scales; it needs the logScale buffer/);
    expect(() => prepareElbo(rt, { batch: 1, dim: 65, latent: 2, likelihood: 'gaussian', sigma: 'learned', channels: 65 }, bufs)).toThrow(/at most 64 channels, got 65/);
    expect(() => prepareElbo(rt, { batch: 2, dim: 6, latent: 2, likelihood: 'gaussian', channels: 4 }, bufs)).toThrow(/6 values per row is not a whole number of 4-channel pixels/);
    expect(() => prepareScaleGrad(rt, { batch: 2, dim: 6, likelihood: 'gaussian', sigma: 2 }, { logits: b, x: b, dscale: b, logScale: b })).toThrow(/gaussian likelihood with a fixed σ has no learned scales/);
    b.destroy();
  });
});

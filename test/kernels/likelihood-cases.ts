// The learned-scale likelihoods on the GPU beside their float64 CPU twins on seeded inputs:
// elbo.wgsl and iwae_objective.wgsl with the discretized logistic or the Gaussian of learned
// per-channel σ, each followed by likelihood_scale_grad.wgsl (unweighted, or ŵ-weighted after the
// IWAE objective), returning comparisons with tolerances derived from the shapes. No test-runner
// dependency (the Node test test/gpu/likelihood.test.ts and the browser kernels page share them).
// Targets are 8-bit values including 0 and 1 (the logistic's edge bins). The log-scales sit at byte
// 256 of a larger buffer, as the parameter arena holds them.
import { readFloats, storageBuffer, storageFrom } from '../../src/gpu/buffers';
import type { Runtime } from '../../src/gpu/runtime';
import { prepareElbo } from '../../src/kernels/elbo';
import { prepareIwaeObjective } from '../../src/kernels/iwae-objective';
import { prepareScaleGrad } from '../../src/kernels/likelihood-scale-grad';
import { elbo } from '../../src/cpu/elbo';
import { iwaeObjective } from '../../src/cpu/iwae-objective';
import { likelihoodScaleGrad } from '../../src/cpu/likelihood-scale-grad';
import { normalArray, rng, uniformArray } from '../util/random';
import { poisoned, scoped, submit } from '../gpu/gpu-scope';
import type { Comparison } from './cases';

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

export interface LikelihoodCase {
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
function inputs(c: LikelihoodCase, wide = c.K === 1) {
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

async function scaleGrad(device: GPUDevice, rt: Runtime, c: LikelihoodCase, logits: GPUBuffer, x: GPUBuffer, scales: ReturnType<typeof scaleRange>, weights?: GPUBuffer) {
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

export async function likelihoodElboCase(device: GPUDevice, rt: Runtime, c: LikelihoodCase, schedule: 'tree' | 'serial'): Promise<Comparison[]> {
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

export async function likelihoodIwaeCase(device: GPUDevice, rt: Runtime, c: LikelihoodCase, schedule: 'tree' | 'serial'): Promise<Comparison[]> {
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
  if (!(spread < 10 && Math.min(...want.weights) > 1e-4)) throw new Error(`${c.likelihood} B=${B} k=${K}: the samples' log w spread over ${spread} nats; the case needs informative weights`);
  return [
    { name: `${name} per example (−L_b, rec, kl, ESS)`, got: got.per, want: want.perExample, atol: 2 * lwErr, rtol: 1e-5 },
    // ŵ = e^{log w − m}/Σ: relative error about that of log w's differences.
    { name: `${name} weights`, got: got.weights, want: want.weights, atol: 1e-7, rtol: 2e-4 },
    { name: `${name} dlogits`, got: got.dlogits, want: want.dlogits, atol: 1e-5 * maxAbs(want.dlogits), rtol: 2e-4 },
    { name: `${name} dscale`, got: got.dscale, want: wantScale, atol: 1e-5 * maxAbs(wantScale), rtol: 2e-4 },
  ];
}


// Each kernel run on the GPU beside its float64 CPU twin on seeded inputs, returning the comparisons to
// judge with their tolerances. One definition of every check, used by the Node tests (test/gpu/) and
// the browser test page (test/browser/kernels-page.ts); no test-runner dependency.
import { readFloats, storageFrom } from '../../src/gpu/buffers';
import type { Runtime } from '../../src/gpu/runtime';
import type { SubgroupReductionSchedule } from '../../src/kernels/bias-grad';
import type { Activation } from '../../src/kernels/activation';
import { prepareAdam, resolveAdam, type AdamConfig } from '../../src/kernels/adam';
import { prepareBiasGrad } from '../../src/kernels/bias-grad';
import { prepareElbo, type Likelihood } from '../../src/kernels/elbo';
import { prepareMatmul, type MatmulShape } from '../../src/kernels/matmul';
import { prepareReparameterize } from '../../src/kernels/reparameterize';
import { activate } from '../../src/cpu/activation';
import { adamStep } from '../../src/cpu/adam';
import { biasGrad } from '../../src/cpu/bias-grad';
import { elbo } from '../../src/cpu/elbo';
import { matmul } from '../../src/cpu/matmul';
import { reparameterizeBackward, reparameterizeForward } from '../../src/cpu/reparameterize';
import { uniformArray } from '../util/random';
import { poisoned, scoped, submit } from '../gpu/gpu-scope';

export interface Comparison {
  name: string;
  got: ArrayLike<number>;
  want: ArrayLike<number>;
  atol: number;
  rtol: number;
}

export interface MatmulCase extends MatmulShape {
  bias: boolean;
}

/** f32 accumulation over K terms of size ≤ 1: the error grows at most linearly in K. */
export const matmulTolerance = (K: number) => ({ atol: 1e-6 + 2e-7 * K, rtol: 1e-5 });

export async function matmulCase(device: GPUDevice, rt: Runtime, c: MatmulCase, seed: number): Promise<Comparison[]> {
  const a = uniformArray(c.M * c.K, seed);
  const b = uniformArray(c.K * c.N, seed + 1);
  const bias = c.bias ? uniformArray(c.N, seed + 2) : null;
  const want = matmul(a, b, bias, c);
  const got = await scoped(device, async () => {
    const A = storageFrom(device, a, 'A');
    const B = storageFrom(device, b, 'B');
    const biasBuf = bias ? storageFrom(device, bias, 'bias') : undefined;
    const C = poisoned(device, c.M * c.N, 'C');
    const op = prepareMatmul(rt, c, { a: A, b: B, bias: biasBuf, c: C });
    await submit(device, op.dispatches);
    const out = await readFloats(device, C, c.M * c.N);
    op.destroy();
    for (const x of [A, B, biasBuf, C]) x?.destroy();
    return out;
  });
  const name = `matmul[${c.schedule ?? c.variant ?? 'auto'}] ${c.M}×${c.N}×${c.K} ${c.transA ? 'T' : 'N'}${c.transB ? 'T' : 'N'} ${c.activation ?? 'identity'}${c.bias ? '+bias' : ''}`;
  return [{ name, got, want, ...matmulTolerance(c.K) }];
}

export async function biasGradCase(
  device: GPUDevice,
  rt: Runtime,
  rows: number,
  cols: number,
  act: Activation,
  schedule: SubgroupReductionSchedule = 'auto',
): Promise<Comparison[]> {
  const dY = uniformArray(rows * cols, rows + cols);
  // Layer outputs y = f(pre) for random pre-activations, so y is in f's range.
  const y = uniformArray(rows * cols, rows * 3 + cols, -3, 3).map((p) => activate(act, p));
  const want = biasGrad(dY, y, rows, cols, act);
  const [dPre, dBias] = await scoped(device, async () => {
    const bufs = {
      dY: storageFrom(device, dY, 'dY'),
      y: storageFrom(device, y, 'y'),
      dPre: poisoned(device, rows * cols, 'dPre'),
      dBias: poisoned(device, cols, 'dBias'),
    };
    const op = prepareBiasGrad(rt, { rows, cols, activation: act, schedule }, act === 'identity' ? { dY: bufs.dY, dBias: bufs.dBias } : bufs);
    await submit(device, op.dispatches);
    const out = [await readFloats(device, bufs.dPre, rows * cols), await readFloats(device, bufs.dBias, cols)];
    op.destroy();
    Object.values(bufs).forEach((b) => b.destroy());
    return out;
  });
  const name = `bias_grad[${schedule}] ${rows}×${cols} ${act}`;
  return [
    ...(act !== 'identity' ? [{ name: `${name} dPre`, got: dPre, want: want.dPre, atol: 1e-6, rtol: 1e-5 }] : []),
    { name: `${name} dBias`, got: dBias, want: want.dBias, atol: 1e-6 + 2e-7 * rows, rtol: 1e-5 },
  ];
}

export async function reparameterizeCase(
  device: GPUDevice,
  rt: Runtime,
  B: number,
  Z: number,
  noise: { seed: number; step: number; stream: number },
  samples = 1,
): Promise<Comparison[]> {
  const stats = uniformArray(B * 2 * Z, B + Z, -2, 2);
  const dz = uniformArray(B * samples * Z, B * Z);
  const dstatsIn = uniformArray(B * 2 * Z, B * 5 + Z);
  // More samples than one: the forward only (the backward without weights is the ELBO's, one sample).
  const backward = samples === 1;
  const wantZ = reparameterizeForward(stats, B, Z, noise, samples);
  const wantD = backward ? reparameterizeBackward(stats, dz, dstatsIn, B, Z, noise) : dstatsIn;
  const got = await scoped(device, async () => {
    const S = storageFrom(device, stats, 'stats'), zb = poisoned(device, B * samples * Z, 'z');
    const dzb = storageFrom(device, dz, 'dz'), ds = storageFrom(device, dstatsIn, 'dstats');
    const op = prepareReparameterize(rt, { batch: B, latent: Z, samples }, { stats: S, z: zb, ...(backward ? { dz: dzb, dstats: ds } : {}) }, noise);
    op.setStep(noise.step);
    await submit(device, backward ? [op.forward, op.backward!] : [op.forward]);
    const out = { z: await readFloats(device, zb, B * samples * Z), d: await readFloats(device, ds, B * 2 * Z) };
    op.destroy();
    [S, zb, dzb, ds].forEach((b) => b.destroy());
    return out;
  });
  // ε passes through f32 log and sqrt (cos is exact-reduced in the shader): a few ulps, scaled by σ ≤ e.
  const name = `reparameterize B=${B} Z=${Z}${samples > 1 ? ` S=${samples}` : ''} seed=${noise.seed}`;
  return [
    { name: `${name} z`, got: got.z, want: wantZ, atol: 2e-5, rtol: 2e-5 },
    { name: `${name} dstats`, got: got.d, want: wantD, atol: 2e-5, rtol: 2e-5 },
  ];
}

export interface ElboCase {
  B: number;
  D: number;
  Z: number;
  likelihood: Likelihood;
  beta: number;
  schedule?: SubgroupReductionSchedule;
}

export async function elboCase(device: GPUDevice, rt: Runtime, c: ElboCase): Promise<Comparison[]> {
  const { B, D, Z } = c;
  const logits = uniformArray(B * D, B + D, -6, 6);
  const x = uniformArray(B * D, B * D, 0, 1);
  const stats = uniformArray(B * 2 * Z, B + Z, -2, 2);
  const shape = { batch: B, dim: D, latent: Z, likelihood: c.likelihood, beta: c.beta, sigma: 0.7, schedule: c.schedule };
  const want = elbo(logits, x, stats, shape);
  const got = await scoped(device, async () => {
    const bufs = {
      logits: storageFrom(device, logits, 'logits'),
      x: storageFrom(device, x, 'x'),
      stats: storageFrom(device, stats, 'stats'),
      dlogits: poisoned(device, B * D, 'dlogits'),
      dstats: poisoned(device, B * 2 * Z, 'dstats'),
      perExample: poisoned(device, 2 * B, 'per example'),
      loss: poisoned(device, 4, 'loss'),
      totals: storageFrom(device, [1, 2, 3, 4], 'totals'),
    };
    const op = prepareElbo(rt, shape, bufs);
    // Twice: totals must accumulate both batches on top of what they held.
    await submit(device, op.dispatches);
    await submit(device, op.dispatches);
    const out = {
      loss: await readFloats(device, bufs.loss, 4),
      per: await readFloats(device, bufs.perExample, 2 * B),
      dlogits: await readFloats(device, bufs.dlogits, B * D),
      dstats: await readFloats(device, bufs.dstats, B * 2 * Z),
      totals: await readFloats(device, bufs.totals, 4),
    };
    op.destroy();
    Object.values(bufs).forEach((b) => b.destroy());
    return out;
  });
  const name = `elbo[${c.schedule ?? 'auto'}] B=${B} D=${D} Z=${Z} ${c.likelihood} β=${c.beta}`;
  const sumTol = 2e-6 * Math.sqrt(D);
  const sums = [want.loss * B, want.rec * B, want.kl * B].map((v, i) => i + 1 + 2 * v);
  return [
    { name: `${name} loss, rec, kl, 0`, got: got.loss, want: [want.loss, want.rec, want.kl, 0], atol: 1e-4, rtol: sumTol },
    { name: `${name} totals`, got: got.totals, want: [...sums, 4 + 2 * B], atol: 1e-3, rtol: 2 * sumTol },
    { name: `${name} per example`, got: got.per, want: want.perExample, atol: 1e-4, rtol: sumTol },
    // Gradients are O(1)/B: σ(l) − x cancels, so the absolute error is a few ulps of 1/B; exp(logvar)
    // reaches e² here.
    { name: `${name} dlogits`, got: got.dlogits, want: want.dlogits, atol: 3e-7 / B, rtol: 1e-5 },
    { name: `${name} dstats`, got: got.dstats, want: want.dstats, atol: 1e-6 / B, rtol: 1e-5 },
  ];
}

/** `steps` Adam steps over a parameter count that is not a multiple of 4 or of the workgroup. */
export async function adamCase(device: GPUDevice, rt: Runtime, config: AdamConfig, steps: number, n = 1031, fast?: { begin: number; end: number; scale: number }): Promise<Comparison[]> {
  const padded = Math.ceil(n / 4) * 4;
  const p0 = uniformArray(padded, 1), m0 = uniformArray(padded, 2, -0.01, 0.01), v0 = uniformArray(padded, 3, 0, 1e-4);
  const grads = Array.from({ length: steps }, (_, s) => uniformArray(padded, 10 + s, -0.1, 0.1));
  const h = resolveAdam(config);
  const cp = Float64Array.from(p0), cm = Float64Array.from(m0), cv = Float64Array.from(v0);
  const got = await scoped(device, async () => {
    const P = storageFrom(device, p0, 'p'), M = storageFrom(device, m0, 'm'), V = storageFrom(device, v0, 'v');
    const G = storageFrom(device, grads[0], 'g');
    const op = prepareAdam(rt, n, config, { params: P, grads: G, m: M, v: V, ...(fast ? { fast } : {}) });
    for (let t = 1; t <= steps; t++) {
      device.queue.writeBuffer(G, 0, grads[t - 1] as Float32Array<ArrayBuffer>);
      op.setStep(t);
      await submit(device, [op.dispatch]);
      adamStep(cp, grads[t - 1], cm, cv, h, t, fast);
    }
    const out = { p: await readFloats(device, P, padded), m: await readFloats(device, M, padded), v: await readFloats(device, V, padded) };
    op.destroy();
    [P, M, V, G].forEach((b) => b.destroy());
    return out;
  });
  const name = `adam ${JSON.stringify(config)}${fast ? ` fast [${fast.begin}, ${fast.end}) ×${fast.scale}` : ''} ${steps} steps`;
  return [
    { name: `${name} params`, got: got.p, want: cp, atol: 1e-6, rtol: 1e-5 },
    { name: `${name} m`, got: got.m, want: cm, atol: 1e-8, rtol: 1e-5 },
    { name: `${name} v`, got: got.v, want: cv, atol: 1e-10, rtol: 1e-5 },
  ];
}

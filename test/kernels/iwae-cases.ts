// The importance-weighted training kernels run on the GPU beside their float64 CPU twins on seeded
// inputs (iwae_objective, reparameterize's k samples and weighted backward, grad_norm), returning comparisons with tolerances
// derived from the shapes. No test-runner dependency, like cases.ts.
import { readFloats, storageBuffer, storageFrom } from '../../src/gpu/buffers';
import type { SubgroupReductionSchedule } from '../../src/kernels/bias-grad';
import type { Runtime } from '../../src/gpu/runtime';
import type { Likelihood } from '../../src/kernels/elbo';
import { gradNormPartials, prepareGradNorm } from '../../src/kernels/grad-norm';
import { prepareIwaeObjective } from '../../src/kernels/iwae-objective';
import { prepareReparameterize, type IwaeEstimator } from '../../src/kernels/reparameterize';
import { gradNorm } from '../../src/cpu/grad-norm';
import { iwaeObjective } from '../../src/cpu/iwae-objective';
import { noiseFor, samplesBackward, samplesForward } from '../../src/cpu/reparameterize';
import { normalArray, rng, uniformArray } from '../util/random';
import { poisoned, scoped, submit } from '../gpu/gpu-scope';
import type { Comparison } from './cases';

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

export interface IwaeObjectiveCase {
  B: number;
  K: number;
  D: number;
  Z: number;
  likelihood: Likelihood;
  beta: number;
  schedule?: SubgroupReductionSchedule;
  /** Spreads each example's log w over about this many nats (sample i's logits shifted by i·spread/(k − 1)·3/D). */
  spread?: number;
  /** Shifts every logit by 3·shift/D: log w of every sample about `shift` nats lower. */
  shift?: number;
}

export interface ObjectiveRun {
  comparisons: Comparison[];
  /** The largest max − min of log w over an example's samples (CPU). */
  spread: number;
  /** The largest log w of any sample (CPU). */
  maxLogW: number;
}

export async function iwaeObjectiveCase(device: GPUDevice, rt: Runtime, c: IwaeObjectiveCase): Promise<ObjectiveRun> {
  const { B, K, D, Z } = c;
  const R = B * K;
  const logits = uniformArray(R * D, R + D, -6, 6);
  if (c.spread && K > 1) for (let r = 0; r < R; r++) for (let d = 0; d < D; d++) logits[r * D + d] += ((r % K) / (K - 1)) * ((3 * c.spread) / D);
  if (c.shift) for (let i = 0; i < R * D; i++) logits[i] += (3 * c.shift) / D;
  const x = uniformArray(B * D, B * D + 1, 0, 1);
  const stats = uniformArray(B * 2 * Z, B + Z, -2, 2);
  const eps = normalArray(R * Z, R * Z + 7);
  const shape = { batch: B, samples: K, dim: D, latent: Z, likelihood: c.likelihood, beta: c.beta, sigma: 0.7, schedule: c.schedule, track: true };
  const want = iwaeObjective(logits, x, stats, eps, shape);
  const got = await scoped(device, async () => {
    const bufs = {
      logits: storageFrom(device, logits, 'logits'),
      x: storageFrom(device, x, 'x'),
      stats: storageFrom(device, stats, 'stats'),
      eps: storageFrom(device, eps, 'eps'),
      dlogits: poisoned(device, R * D, 'dlogits'),
      weights: poisoned(device, R, 'weights'),
      perExample: poisoned(device, 4 * B, 'per example'),
      loss: poisoned(device, 4, 'loss'),
      totals: storageFrom(device, [1, 2, 3, 4], 'totals'),
      health: storageBuffer(device, 2, 'health'),
    };
    const op = prepareIwaeObjective(rt, shape, bufs);
    // Twice: totals accumulate both batches on top of what they held; health counts two steps.
    await submit(device, op.dispatches);
    await submit(device, op.dispatches);
    const read = (b: GPUBuffer, n: number) => readFloats(device, b, n);
    const out = {
      loss: await read(bufs.loss, 4), totals: await read(bufs.totals, 4), per: await read(bufs.perExample, 4 * B),
      weights: await read(bufs.weights, R), dlogits: await read(bufs.dlogits, R * D),
      health: new Uint32Array((await read(bufs.health, 2)).buffer),
    };
    op.destroy();
    Object.values(bufs).forEach((b) => b.destroy());
    return out;
  });
  let spread = 0;
  for (let b = 0; b < B; b++) {
    const lw = want.logW.subarray(b * K, (b + 1) * K);
    spread = Math.max(spread, Math.max(...lw) - Math.min(...lw));
  }
  // f32 sums of D pixel terms and Z latent terms: log w is off by about √D ulps of its size, and
  // ŵ and dlogits inherit that relative error.
  const lwErr = 1e-6 + 1e-8 * Math.sqrt(D + Z) * maxAbs(want.logW);
  const name = `iwae_objective[${c.schedule ?? 'auto'}] B=${B} k=${K} D=${D} Z=${Z} ${c.likelihood} β=${c.beta}${c.spread ? ` spread=${spread.toFixed(0)}` : ''}${c.shift ? ` max log w=${Math.max(...want.logW).toFixed(0)}` : ''}`;
  const meanRow = [want.loss, want.rec, want.kl, want.ess];
  const sums = meanRow.slice(0, 3).map((v, i) => i + 1 + 2 * B * v);
  const wMax = maxAbs(want.weights);
  return {
    spread,
    maxLogW: Math.max(...want.logW),
    comparisons: [
      { name: `${name} loss (−L_k, rec, kl, ESS)`, got: got.loss, want: meanRow, atol: 2 * lwErr, rtol: 4 * lwErr },
      { name: `${name} totals`, got: got.totals, want: [...sums, 4 + 2 * B], atol: 4 * B * lwErr, rtol: 4 * lwErr },
      { name: `${name} per example`, got: got.per, want: want.perExample, atol: 2 * lwErr, rtol: 4 * lwErr },
      { name: `${name} weights`, got: got.weights, want: want.weights, atol: 1e-7, rtol: 4 * lwErr },
      { name: `${name} dlogits`, got: got.dlogits, want: want.dlogits, atol: (wMax * 3e-7) / B, rtol: 1e-5 + 4 * lwErr },
      { name: `${name} health (steps, first non-finite)`, got: got.health, want: [2, 0], atol: 0, rtol: 0 },
    ],
  };
}

export interface SamplesCase {
  B: number;
  K: number;
  Z: number;
  estimator: IwaeEstimator;
  beta: number;
}

/** k samples per example from reparameterize.wgsl, which keeps their noise ε, then its weighted backward. */
export async function samplesCase(device: GPUDevice, rt: Runtime, c: SamplesCase): Promise<Comparison[]> {
  const { B, K, Z } = c;
  const R = B * K;
  const noise = { seed: 2 ** 33 + 11, step: 321, stream: 4 };
  const stats = uniformArray(B * 2 * Z, B * 3 + Z, -2, 2);
  const eps = noiseFor(noise, R * Z);
  const dz = uniformArray(R * Z, R + Z, -0.1, 0.1);
  // Normalised weights per example, as the objective leaves them.
  const r = rng(R + 5);
  const weights = new Float32Array(R);
  for (let b = 0; b < B; b++) {
    const raw = Array.from({ length: K }, () => Math.exp(4 * r()));
    const sum = raw.reduce((a, v) => a + v, 0);
    raw.forEach((v, i) => (weights[b * K + i] = v / sum));
  }
  const shape = { batch: B, samples: K, latent: Z, estimator: c.estimator, beta: c.beta };
  const got = await scoped(device, async () => {
    const bufs = {
      eps: poisoned(device, R * Z, 'eps'),
      stats: storageFrom(device, stats, 'stats'),
      z: poisoned(device, R * Z, 'z'),
      dz: storageFrom(device, dz, 'dz'),
      weights: storageFrom(device, weights, 'weights'),
      dstats: poisoned(device, B * 2 * Z, 'dstats'),
    };
    const op = prepareReparameterize(rt, shape, bufs, { seed: noise.seed, stream: noise.stream });
    op.setStep(noise.step);
    await submit(device, [op.forward, op.backward!]);
    const out = { eps: await readFloats(device, bufs.eps, R * Z), z: await readFloats(device, bufs.z, R * Z), dstats: await readFloats(device, bufs.dstats, B * 2 * Z) };
    op.destroy();
    Object.values(bufs).forEach((b) => b.destroy());
    return out;
  });
  // The GPU's ε is f32 (a few ulps from the float64 stream); the twins run on what the GPU drew.
  const wantZ = samplesForward(stats, got.eps, shape);
  const wantD = samplesBackward(stats, got.eps, dz, weights, shape);
  const name = `reparameterize ${c.estimator} B=${B} k=${K} Z=${Z} β=${c.beta}`;
  return [
    { name: `${name} ε (kept by the forward)`, got: got.eps, want: eps, atol: 2e-5, rtol: 2e-5 },
    { name: `${name} z`, got: got.z, want: wantZ, atol: 2e-6, rtol: 1e-6 },
    { name: `${name} dstats`, got: got.dstats, want: wantD, atol: 1e-7 * K, rtol: 1e-5 },
  ];
}

export async function gradNormCase(
  device: GPUDevice,
  rt: Runtime,
  count: number,
  schedule: SubgroupReductionSchedule,
  opts: { clipAt?: number; poison?: number } = {},
): Promise<Comparison[]> {
  const padded = Math.ceil(count / 4) * 4;
  const g = uniformArray(padded, count, -0.1, 0.1);
  for (let i = count; i < padded; i++) g[i] = 0; // the arena's padding
  if (opts.poison !== undefined) g[opts.poison] = Infinity;
  const norm = gradNorm(g.subarray(0, count), 1).norm;
  const maxNorm = (opts.clipAt ?? 2) * (Number.isFinite(norm) ? norm : 1);
  const want = gradNorm(g.subarray(0, count), maxNorm);
  const P = gradNormPartials(count);
  const got = await scoped(device, async () => {
    const bufs = { grads: storageFrom(device, g, 'grads'), partials: poisoned(device, P, 'partials'), clip: poisoned(device, 4, 'clip') };
    const op = prepareGradNorm(rt, { count, maxNorm, schedule }, bufs);
    await submit(device, op.dispatches);
    const out = await readFloats(device, bufs.clip, 4);
    op.destroy();
    Object.values(bufs).forEach((b) => b.destroy());
    return out;
  });
  const name = `grad_norm[${schedule}] ${count} floats max_norm=${opts.clipAt ?? 2}·‖g‖${opts.poison !== undefined ? ' with an Inf' : ''}`;
  const wanted = [want.norm, want.scale, want.sumSquares, want.nonFinite ? 1 : 0];
  if (want.nonFinite) return [{ name: `${name} (norm is finite, non-finite flag)`, got: [Number(Number.isFinite(got[0])), got[3]], want: [0, 1], atol: 0, rtol: 0 }];
  return [{ name: `${name} (norm, scale, Σg², flag)`, got, want: wanted, atol: 1e-7, rtol: 1e-6 + 2e-7 * Math.log2(count + 1) }];
}

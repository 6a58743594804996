// Browser side of test/browser/kernels.test.ts: a smoke subset of the kernels run in the page on
// navigator.gpu, each against its float64 CPU twin with the Node tests' tolerances, output buffers
// poisoned with NaN, every GPU action inside validation and out-of-memory error scopes that must pop
// empty. Results go to window.__results; body[data-state] becomes 'done' when they are complete.
import { acquireDevice, describeAdapter } from '../../src/gpu/device';
import { readFloats, storageFrom } from '../../src/gpu/buffers';
import { encodeDispatches, Runtime, type Dispatch } from '../../src/gpu/runtime';
import { prepareMatmul, type MatmulShape } from '../../src/kernels/matmul';
import { prepareBiasGrad } from '../../src/kernels/bias-grad';
import { prepareReparameterize } from '../../src/kernels/reparameterize';
import { prepareElbo } from '../../src/kernels/elbo';
import { prepareAdam, resolveAdam } from '../../src/kernels/adam';
import { matmul } from '../../src/cpu/matmul';
import { activate } from '../../src/cpu/activation';
import { biasGrad } from '../../src/cpu/bias-grad';
import { reparameterizeBackward, reparameterizeForward } from '../../src/cpu/reparameterize';
import { elbo } from '../../src/cpu/elbo';
import { adamStep } from '../../src/cpu/adam';
import { uniformArray } from '../util/random';

export interface BrowserCheck {
  name: string;
  worstAbs: number;
  ok: boolean;
  /** Where the worst element was, what it was and what was wanted, with the tolerance. */
  detail?: string;
}

export interface BrowserResults {
  adapter: string;
  checks: BrowserCheck[];
  errors: string[];
}

declare global {
  interface Window {
    __results?: BrowserResults;
  }
}

const results: BrowserResults = { adapter: '', checks: [], errors: [] };
const logElement = document.getElementById('log');
const log = (line: string) => {
  if (logElement) logElement.textContent += `${line}\n`;
};

/** |got − want| ≤ atol + rtol·|want| for every element; a NaN (an unwritten element) fails. */
function check(name: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): void {
  let worstAbs = 0, worstRatio = 0, worstIndex = 0, failures = 0;
  if (got.length < want.length) {
    results.checks.push({ name, worstAbs: Infinity, ok: false, detail: `got ${got.length} values, want ${want.length}` });
    return;
  }
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    const ratio = Number.isNaN(d) ? Infinity : d / (atol + rtol * Math.abs(want[i]));
    if (ratio > 1) failures++;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worstAbs = Number.isNaN(d) ? Infinity : d;
      worstIndex = i;
    }
  }
  const detail =
    `worst |Δ| ${worstAbs.toExponential(2)} at [${worstIndex}] (got ${got[worstIndex]}, want ${want[worstIndex]}), ` +
    `${(worstRatio * 100).toFixed(1)}% of tolerance atol=${atol} rtol=${rtol}` +
    (failures > 0 ? `; ${failures} of ${want.length} elements out of tolerance` : '');
  results.checks.push({ name, worstAbs, ok: failures === 0, detail });
  log(`${failures === 0 ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
}

/** Runs fn inside validation and out-of-memory scopes; throws what either pops. */
async function scoped<T>(device: GPUDevice, fn: () => Promise<T>): Promise<T> {
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  let result: T;
  try {
    result = await fn();
  } finally {
    const oom = await device.popErrorScope();
    const validation = await device.popErrorScope();
    if (validation) throw new Error(`WebGPU validation error: ${validation.message}`);
    if (oom) throw new Error(`WebGPU out-of-memory error: ${oom.message}`);
  }
  return result;
}

function poisoned(device: GPUDevice, floats: number, label: string): GPUBuffer {
  return storageFrom(device, new Float32Array(floats).fill(NaN), label);
}

async function submit(device: GPUDevice, dispatches: readonly Dispatch[]): Promise<void> {
  const encoder = device.createCommandEncoder({ label: 'browser test' });
  const pass = encoder.beginComputePass();
  encodeDispatches(pass, dispatches);
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
}

async function checkMatmul(device: GPUDevice, rt: Runtime, s: MatmulShape & { bias: boolean }, seed: number): Promise<void> {
  const a = uniformArray(s.M * s.K, seed);
  const b = uniformArray(s.K * s.N, seed + 1);
  const bias = s.bias ? uniformArray(s.N, seed + 2) : null;
  const want = matmul(a, b, bias, s);
  const got = await scoped(device, async () => {
    const A = storageFrom(device, a, 'A');
    const B = storageFrom(device, b, 'B');
    const biasBuf = bias ? storageFrom(device, bias, 'bias') : undefined;
    const C = poisoned(device, s.M * s.N, 'C');
    const op = prepareMatmul(rt, s, { a: A, b: B, bias: biasBuf, c: C });
    await submit(device, op.dispatches);
    const out = await readFloats(device, C, s.M * s.N);
    op.destroy();
    for (const x of [A, B, biasBuf, C]) x?.destroy();
    return out;
  });
  const name = `matmul${s.variant === 'vec4' ? '[vec4]' : ''} ${s.M}×${s.N}×${s.K} ${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'} ${s.activation ?? 'identity'}${s.bias ? '+bias' : ''}`;
  // As test/gpu/matmul.test.ts: f32 accumulation over K terms of size ≤ 1.
  check(name, got, want, 1e-6 + 2e-7 * s.K, 1e-5);
}

async function checkBiasGrad(device: GPUDevice, rt: Runtime): Promise<void> {
  const rows = 37, cols = 129, act = 'relu' as const;
  const dY = uniformArray(rows * cols, rows + cols);
  const y = uniformArray(rows * cols, rows * 3 + cols, -3, 3).map((p) => activate(act, p));
  const want = biasGrad(dY, y, rows, cols, act);
  const [dPre, dBias] = await scoped(device, async () => {
    const bufs = {
      dY: storageFrom(device, dY, 'dY'),
      y: storageFrom(device, y, 'y'),
      dPre: poisoned(device, rows * cols, 'dPre'),
      dBias: poisoned(device, cols, 'dBias'),
    };
    const op = prepareBiasGrad(rt, { rows, cols, activation: act }, bufs);
    await submit(device, op.dispatches);
    const out = [await readFloats(device, bufs.dPre, rows * cols), await readFloats(device, bufs.dBias, cols)];
    op.destroy();
    Object.values(bufs).forEach((b) => b.destroy());
    return out;
  });
  check(`bias_grad ${rows}×${cols} ${act} dPre`, dPre!, want.dPre, 1e-6, 1e-5);
  check(`bias_grad ${rows}×${cols} ${act} dBias`, dBias!, want.dBias, 1e-6 + 2e-7 * rows, 1e-5);
}

async function checkReparameterize(device: GPUDevice, rt: Runtime): Promise<void> {
  const B = 37, Z = 13;
  const seed = 2 ** 33 + 5, step = 12345, stream = 3;
  const stats = uniformArray(B * 2 * Z, B + Z, -2, 2);
  const dz = uniformArray(B * Z, B * Z);
  const dstatsIn = uniformArray(B * 2 * Z, B * 5 + Z);
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
  // As test/gpu/reparameterize.test.ts: a few ulps of ε through f32 log, sqrt and cos, scaled by σ ≤ e.
  check(`reparameterize B=${B} Z=${Z} forward z`, got.z, wantZ, 2e-5, 2e-5);
  check(`reparameterize B=${B} Z=${Z} backward dstats`, got.d, wantD, 2e-5, 2e-5);
}

async function checkElbo(device: GPUDevice, rt: Runtime): Promise<void> {
  const B = 37, D = 129, Z = 13;
  const logits = uniformArray(B * D, B + D, -6, 6);
  const x = uniformArray(B * D, B * D, 0, 1);
  const stats = uniformArray(B * 2 * Z, B + Z, -2, 2);
  const shape = { batch: B, dim: D, latent: Z, likelihood: 'bernoulli' as const, beta: 1 };
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
  // As test/gpu/elbo.test.ts.
  const name = `elbo B=${B} D=${D} Z=${Z} bernoulli`;
  const sumTol = 2e-6 * Math.sqrt(D);
  check(`${name} loss, rec, kl`, got.loss.subarray(0, 4), [want.loss, want.rec, want.kl, 0], 1e-4, sumTol);
  check(`${name} totals`, got.totals, [1 + want.loss * B, 2 + want.rec * B, 3 + want.kl * B, 4 + B], 1e-3, 4e-6 * Math.sqrt(D));
  check(`${name} per example`, got.per, want.perExample, 1e-4, sumTol);
  check(`${name} dlogits`, got.dlogits, want.dlogits, 3e-7 / B, 1e-5);
  check(`${name} dstats`, got.dstats, want.dstats, 1e-6 / B, 1e-5);
}

async function checkAdam(device: GPUDevice, rt: Runtime): Promise<void> {
  const n = 1031;
  const padded = Math.ceil(n / 4) * 4;
  const config = { lr: 3e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1 };
  const p0 = uniformArray(padded, 1), m0 = uniformArray(padded, 2, -0.01, 0.01), v0 = uniformArray(padded, 3, 0, 1e-4);
  const g = uniformArray(padded, 10, -0.1, 0.1);
  const cp = Float64Array.from(p0), cm = Float64Array.from(m0), cv = Float64Array.from(v0);
  adamStep(cp, g, cm, cv, resolveAdam(config), 1);
  const got = await scoped(device, async () => {
    const P = storageFrom(device, p0, 'p'), M = storageFrom(device, m0, 'm'), V = storageFrom(device, v0, 'v');
    const G = storageFrom(device, g, 'g');
    const op = prepareAdam(rt, n, config, { params: P, grads: G, m: M, v: V });
    op.setStep(1);
    await submit(device, [op.dispatch]);
    const out = { p: await readFloats(device, P, padded), m: await readFloats(device, M, padded), v: await readFloats(device, V, padded) };
    op.destroy();
    [P, M, V, G].forEach((b) => b.destroy());
    return out;
  });
  // As test/gpu/adam.test.ts.
  check(`adam n=${n} step 1 params`, got.p, cp, 1e-6, 1e-5);
  check(`adam n=${n} step 1 m`, got.m, cm, 1e-8, 1e-5);
  check(`adam n=${n} step 1 v`, got.v, cv, 1e-10, 1e-5);
}

function message(e: unknown): string {
  return e instanceof Error ? `${e.message}${e.stack ? `\n${e.stack}` : ''}` : String(e);
}

async function main(): Promise<void> {
  const ctx = await acquireDevice();
  results.adapter = describeAdapter(ctx.adapterInfo);
  log(`adapter: ${results.adapter}`);
  ctx.device.addEventListener('uncapturederror', (e) => {
    results.errors.push(`uncaptured WebGPU error: ${(e as GPUUncapturedErrorEvent).error.message}`);
  });
  void ctx.device.lost.then((info) => {
    if (info.reason !== 'destroyed') results.errors.push(`device lost: ${info.reason} ${info.message}`);
  });
  const rt = Runtime.forContext(ctx);
  const device = ctx.device;
  const cases: [string, () => Promise<void>][] = [
    ['matmul NN relu+bias', () => checkMatmul(device, rt, { M: 37, N: 129, K: 65, activation: 'relu', bias: true }, 100)],
    ['matmul TN identity', () => checkMatmul(device, rt, { M: 65, N: 63, K: 1, transA: true, activation: 'identity', bias: false }, 65 * 11 + 1)],
    ['matmul vec4 NN tanh+bias', () => checkMatmul(device, rt, { M: 37, N: 132, K: 68, activation: 'tanh', bias: true, variant: 'vec4' }, 300)],
    ['matmul vec4 NT identity', () => checkMatmul(device, rt, { M: 37, N: 132, K: 68, transB: true, bias: false, variant: 'vec4' }, 301)],
    ['bias_grad', () => checkBiasGrad(device, rt)],
    ['reparameterize', () => checkReparameterize(device, rt)],
    ['elbo', () => checkElbo(device, rt)],
    ['adam', () => checkAdam(device, rt)],
  ];
  try {
    for (const [name, run] of cases) {
      try {
        await run();
      } catch (e) {
        results.errors.push(`${name}: ${message(e)}`);
        log(`ERROR ${name}: ${message(e)}`);
      }
    }
  } finally {
    rt.destroy();
    ctx.destroy();
  }
}

main()
  .catch((e) => {
    results.errors.push(message(e));
    log(`ERROR ${message(e)}`);
  })
  .finally(() => {
    window.__results = results;
    document.body.dataset.state = 'done';
  });

// The benchmark suite, the same in the browser (bench/page.ts) and in Node (bench/run.ts --node):
//   1. ceilings on this adapter: an FMA loop (peak FLOP/s) and a copy kernel (bandwidth, at the
//      kernels' own sizes and a large one);
//   2. our kernels: the VAE's matmul shapes (forward, with bias and ReLU fused, and the transposed
//      backward ones) and square 512/1024/2048; reparameterization; the fused ELBO; Adam over the
//      default model's parameter arena. Each against its ceiling, and the peers' same matmuls;
//   3. the default model's training step (784-400-20) at batch 32, 128, 512, 2048, ours and the peers'.
// Ours and the peers are interleaved shape by shape, so drifting load hits both alike.
import fmaSource from './shaders/fma.wgsl?raw';
import copySource from './shaders/copy.wgsl?raw';
import { describeAdapter, type GpuContext } from '../src/gpu/device';
import { bindGroupLayoutFor, type KernelDecl, type OverrideValues } from '../src/gpu/kernel';
import { Runtime, encodeDispatches, packUniform, type Dispatch } from '../src/gpu/runtime';
import { readFloats, storageBuffer, storageFrom } from '../src/gpu/buffers';
import { MATMUL, MATMUL_VEC4, autoVariant, matmulFlops, prepareMatmul, vec4Compatible, type MatmulShape } from '../src/kernels/matmul';
import { activationCode } from '../src/kernels/activation';
import { REPARAMETERIZE, prepareReparameterize } from '../src/kernels/reparameterize';
import { ELBO, prepareElbo } from '../src/kernels/elbo';
import { ADAM, prepareAdam } from '../src/kernels/adam';
import { BIAS_GRAD, prepareBiasGrad } from '../src/kernels/bias-grad';
import { planAdam, planPass } from '../src/graph/scheduler';
import { STREAMS } from '../src/model/init';
import { GpuVae } from '../src/model/gpu-vae';
import { DEFAULT_CONFIG } from '../src/model/config';
import { buildVaeGraph } from '../src/graph/graph';
import { PassTimer, sample, type RawSample, type Sampled, type SampleOptions } from './timing';
import type { MatmulCase, Peer } from './peer';
import type { Breakdown, Ceilings, CopyPoint, FmaConfig, KernelResult, StepResult, SuiteResults } from './results';
import { rng, uniformArray } from '../test/util/random';
import { tunedVsUntuned, type TuningResult } from './tuned';

export interface SuiteOptions {
  quick: boolean;
  peers: Peer[];
  log(line: string): void;
  /** Extra errors met before the suite started (a peer that failed to initialise). */
  errors?: string[];
  /** Skip the tuned-against-untuned section. */
  noTune?: boolean;
  /** What runs the kernels (Dawn's version in Node, the user agent in a page): half the tuner's adapter key. */
  implementation?: string;
  /** Only these sections (for debugging): 'ceilings', 'kernels', 'steps', 'tuning'. */
  only?: string[];
  /**
   * Around each measurement: `before` resolves when the machine is quiet enough to measure (the
   * Node driver watches other processes' CPU use and pauses while they run); `after` says whether it
   * stayed quiet, else the measurement is taken again (three tries at most). Optional.
   */
  gate?: { before(what: string): Promise<void>; after(what: string): Promise<boolean> };
}

interface Budgets {
  kernel: SampleOptions;
  step: SampleOptions;
  batches: number[];
  squares: number[];
  /** Also time our other matmul schedule (the one this adapter's profile does not pick). */
  alternates: boolean;
  largeCopyBytes: number;
}

// SwiftShader on two cores runs a 2048³ matmul in seconds: runs are bounded by time, with at least
// three samples; small kernels get many repetitions per sample and many samples.
const QUICK: Budgets = {
  kernel: { warmup: 2, minRuns: 5, maxRuns: 15, budgetMs: 1200, sampleMs: 30 },
  step: { warmup: 2, minRuns: 3, maxRuns: 9, budgetMs: 2500, sampleMs: 120 },
  batches: [32, 128, 512],
  squares: [512, 1024],
  alternates: false,
  largeCopyBytes: 64 << 20,
};
const FULL: Budgets = {
  kernel: { warmup: 3, minRuns: 9, maxRuns: 41, budgetMs: 4000, sampleMs: 80 },
  step: { warmup: 3, minRuns: 5, maxRuns: 25, budgetMs: 10000, sampleMs: 300 },
  batches: [32, 128, 512, 2048],
  squares: [512, 1024, 2048],
  alternates: true,
  largeCopyBytes: 256 << 20,
};

const FMA: KernelDecl = {
  name: 'bench/fma',
  source: fmaSource,
  entryPoints: ['main', 'main_scalar'],
  bindings: [
    { binding: 0, name: 'params', type: 'uniform' },
    { binding: 1, name: 'out', type: 'storage' },
  ],
  overrides: ['ITERS', 'WG'],
  workgroupSize: [64, 1],
};

const COPY: KernelDecl = {
  name: 'bench/copy',
  source: copySource,
  entryPoints: ['main'],
  bindings: [
    { binding: 0, name: 'src', type: 'read-only-storage' },
    { binding: 1, name: 'dst', type: 'storage' },
  ],
  overrides: ['PER'],
  workgroupSize: [256, 1],
};

/** The default model's dimensions. */
const D = DEFAULT_CONFIG.inputDim, H = DEFAULT_CONFIG.encoderHidden[0], Z = DEFAULT_CONFIG.latent;

/** Every matmul of one training step of the default model at batch B, forward then backward. */
export function vaeMatmuls(B: number): MatmulCase[] {
  return [
    { name: 'enc.0 fwd', M: B, N: H, K: D, bias: true, activation: 'relu' },
    { name: 'enc.head fwd', M: B, N: 2 * Z, K: H, bias: true },
    { name: 'dec.0 fwd', M: B, N: H, K: Z, bias: true, activation: 'relu' },
    { name: 'dec.out fwd', M: B, N: D, K: H, bias: true },
    { name: 'dec.out dW', M: H, N: D, K: B, transA: true },
    { name: 'dec.out dX', M: B, N: H, K: D, transB: true },
    { name: 'dec.0 dW', M: Z, N: H, K: B, transA: true },
    { name: 'dec.0 dX', M: B, N: Z, K: H, transB: true },
    { name: 'enc.head dW', M: H, N: 2 * Z, K: B, transA: true },
    { name: 'enc.head dX', M: B, N: H, K: 2 * Z, transB: true },
    { name: 'enc.0 dW', M: D, N: H, K: B, transA: true },
  ];
}

export function stepFlops(B: number): number {
  return vaeMatmuls(B).reduce((s, c) => s + matmulFlops(c), 0);
}

function shapeText(c: MatmulCase): string {
  return `${c.M}×${c.K} · ${c.K}×${c.N}`;
}

function opText(c: MatmulCase): string {
  return `${c.transA ? 'T' : 'N'}${c.transB ? 'T' : 'N'}${c.bias ? ' +bias' : ''}${c.activation === 'relu' ? ' relu' : ''}`;
}

/**
 * MNIST-like synthetic images (about 19% of pixels lit, values in (0, 1]): the same data for every
 * implementation. Timings do not depend on the pixel values; the losses printed are on this data.
 */
export function syntheticImages(count: number, seed = 7): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(count * D);
  for (let i = 0; i < out.length; i++) out[i] = r() < 0.19 ? 0.05 + 0.95 * r() : 0;
  return out;
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 1)} MiB`;

/** Time `inner` repetitions of some dispatches in one compute pass (GPU timestamps when available). */
function dispatchRunner(device: GPUDevice, dispatches: readonly Dispatch[], timer: PassTimer | undefined) {
  return async (inner: number): Promise<RawSample> => {
    const start = performance.now();
    const encoder = device.createCommandEncoder();
    const pass = timer ? timer.beginPass(encoder) : encoder.beginComputePass();
    for (let i = 0; i < inner; i++) encodeDispatches(pass, dispatches);
    pass.end();
    timer?.resolveInto(encoder);
    device.queue.submit([encoder.finish()]);
    const gpuMs = timer ? await timer.read() : undefined;
    await device.queue.onSubmittedWorkDone();
    return { wallMs: performance.now() - start, gpuMs };
  };
}

interface PipelineSpec {
  kernel: KernelDecl;
  entry: string;
  overrides?: OverrideValues;
}

let coldCounter = 0;

/**
 * Cold first use of an op: its shader modules and pipelines made anew from a source that differs
 * by a comment (so no pipeline or shader cache can serve it), then one run of its dispatches,
 * waited for. Lavapipe compiles at the first dispatch, SwiftShader at pipeline creation: this
 * covers both.
 */
async function coldFirstUseMs(device: GPUDevice, dispatches: readonly Dispatch[], specs: PipelineSpec[]): Promise<number> {
  const start = performance.now();
  const fresh: Dispatch[] = [];
  for (let i = 0; i < dispatches.length; i++) {
    const s = specs[i];
    const module = device.createShaderModule({ label: `${s.kernel.name} cold`, code: `${s.kernel.source}\n// bench cold compile ${++coldCounter} ${Date.now()}\n` });
    const layout = device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayoutFor(device, s.kernel)] });
    const constants: Record<string, number> = {};
    for (const [k, v] of Object.entries(s.overrides ?? {})) constants[k] = Number(v);
    const pipeline = await device.createComputePipelineAsync({ layout, compute: { module, entryPoint: s.entry, constants } });
    fresh.push({ ...dispatches[i], pipeline });
  }
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  encodeDispatches(pass, fresh);
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - start;
}

/** Runs a check with a validation error scope; a validation error becomes an exception. */
async function validated<T>(device: GPUDevice, what: string, fn: () => Promise<T>): Promise<T> {
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = await fn();
  } finally {
    const err = await device.popErrorScope();
    if (err) throw new Error(`${what}: WebGPU validation error: ${err.message}`);
  }
  return result;
}

export async function runSuite(ctx: GpuContext, o: SuiteOptions): Promise<SuiteResults> {
  const started = performance.now();
  const b = o.quick ? QUICK : FULL;
  const device = ctx.device;
  const rt = Runtime.forContext(ctx);
  const timer = PassTimer.available(device) ? new PassTimer(device) : undefined;
  const errors: string[] = [...(o.errors ?? [])];
  const run = (section: string) => !o.only || o.only.includes(section);
  /** Runs a measurement between the gate's checks; again (up to three times) if others disturbed it. */
  const guarded = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      await o.gate?.before(what);
      const result = await fn();
      if (!o.gate || (await o.gate.after(what)) || attempt >= 3) return result;
    }
  };
  const primaryOf = (s: Sampled) => (s.gpu ? s.gpu.median : s.wall.median);
  const adapter = describeAdapter(ctx.adapterInfo);
  o.log(`adapter: ${adapter}; profile ${rt.profile}; timing: ${timer ? 'GPU timestamps (wall time kept too)' : 'wall time around queue completion'}`);
  for (const p of o.peers) o.log(`peer: ${p.impl} ${p.info.version} (${p.info.detail})`);

  // ---- 1. Ceilings -------------------------------------------------------------------------------
  const copyCache = new Map<number, CopyPoint>();
  const copyAt = async (bytesMoved: number): Promise<CopyPoint> => {
    const vec4s = Math.max(1, Math.ceil(bytesMoved / 2 / 16));
    const bytes = vec4s * 16 * 2;
    const hit = copyCache.get(bytes);
    if (hit) return hit;
    const src = storageFrom(device, uniformArray(vec4s * 4, 11), 'copy src'), dst = storageBuffer(device, vec4s * 4, 'copy dst');
    // One vec4 per invocation, and eight in a grid-stride loop (fewer invocations: cheaper on CPU
    // adapters, where each costs more than the copy): the ceiling is the better of the two.
    let point: CopyPoint | undefined;
    for (const per of [1, 8]) {
      const d: Dispatch = {
        label: 'copy',
        pipeline: rt.pipeline(COPY, 'main', { PER: per }),
        bindGroup: rt.bindGroup(COPY, { src, dst }),
        workgroups: rt.grid(Math.ceil(vec4s / (256 * per))),
      };
      const s = await guarded(`copy ${mb(bytes)}`, () => validated(device, 'copy kernel', () => sample(dispatchRunner(device, [d], timer), b.kernel)));
      const ms = primaryOf(s);
      if (!point || ms < point.ms) point = { bytes, ms, gbps: bytes / (ms * 1e6), perInvocation: per };
    }
    src.destroy();
    dst.destroy();
    copyCache.set(bytes, point!);
    return point!;
  };

  const fma: FmaConfig[] = [];
  if (run('ceilings') || run('kernels') || run('steps')) {
    o.log('\nceilings');
    const invocations = 32768, iters = 1024;
    const params = rt.uniform('fma params', packUniform([['f32', 0.999999], ['f32', 1e-7], ['f32', 0], ['f32', 0]]));
    const out = storageBuffer(device, invocations * 4, 'fma out');
    const forms = [{ form: 'vec4×8', entry: 'main', flopsPerIter: 64 }, { form: 'f32×16', entry: 'main_scalar', flopsPerIter: 32 }] as const;
    for (const { form, entry, flopsPerIter } of forms) for (const wg of [64, 256]) {
      const d: Dispatch = {
        label: 'fma',
        pipeline: rt.pipeline(FMA, entry, { ITERS: iters, WG: wg }),
        bindGroup: rt.bindGroup(FMA, { params, out }),
        workgroups: rt.grid(invocations / wg),
      };
      const s = await guarded(`fma ${form} wg ${wg}`, () => validated(device, 'fma kernel', () => sample(dispatchRunner(device, [d], timer), b.kernel)));
      const ms = primaryOf(s);
      const flops = invocations * iters * flopsPerIter;
      fma.push({ form, workgroupSize: wg, invocations, iters, flopsPerIter, ms, gflops: flops / (ms * 1e6) });
      o.log(`  fma ${form} wg ${wg}: ${ms.toFixed(3)} ms, ${(flops / (ms * 1e6)).toFixed(1)} GFLOP/s`);
    }
    params.destroy();
    out.destroy();
    const large = await copyAt(b.largeCopyBytes);
    o.log(`  copy ${mb(large.bytes)} moved: ${large.ms.toFixed(3)} ms, ${large.gbps.toFixed(1)} GB/s`);
  }
  const fmaGflops = Math.max(...fma.map((f) => f.gflops));

  // ---- 2. Kernels ----------------------------------------------------------------------------------
  const kernels: KernelResult[] = [];
  if (run('kernels')) {
    o.log('\nmatmuls (ours, then each peer on the same operands)');
    const cases: MatmulCase[] = [...vaeMatmuls(128), ...b.squares.map((n) => ({ name: `square ${n}`, M: n, N: n, K: n }))];
    for (const c of cases) {
      const aData = uniformArray(c.M * c.K, 1 + c.M + c.K), bData = uniformArray(c.K * c.N, 2 + c.K + c.N);
      const biasData = c.bias ? uniformArray(c.N, 3 + c.N) : undefined;
      const a = storageFrom(device, aData, 'A'), bb = storageFrom(device, bData, 'B');
      const bias = biasData ? storageFrom(device, biasData, 'bias') : undefined;
      const cOut = storageBuffer(device, c.M * c.N, 'C');
      const shape: MatmulShape = { M: c.M, N: c.N, K: c.K, transA: c.transA, transB: c.transB, activation: c.activation ?? 'identity' };
      const auto = autoVariant(rt, shape);
      const variants: ('vec4' | 'tiled')[] = [auto];
      const other = auto === 'vec4' ? 'tiled' : 'vec4';
      // The other schedule too (full runs; not on the big squares, where the tiled one takes minutes on SwiftShader).
      if (b.alternates && c.M * c.N * c.K <= 512 ** 3 && (other === 'tiled' || vec4Compatible(shape))) variants.push(other);
      const flops = matmulFlops(c);
      let ours: Float32Array | undefined;
      for (const variant of variants) {
        try {
          const op = prepareMatmul(rt, { ...shape, variant }, { a, b: bb, bias, c: cOut }, c.name);
          const spec: PipelineSpec = {
            kernel: variant === 'vec4' ? MATMUL_VEC4 : MATMUL,
            entry: 'main',
            overrides: { TRANS_A: !!c.transA, TRANS_B: !!c.transB, HAS_BIAS: !!bias, ACT: activationCode(c.activation ?? 'identity') },
          };
          const { firstUseMs, s } = await guarded(`${c.name} ${variant}`, async () => ({
            firstUseMs: await coldFirstUseMs(device, op.dispatches, [spec]),
            s: await validated(device, c.name, () => sample(dispatchRunner(device, op.dispatches, timer), b.kernel)),
          }));
          const ms = primaryOf(s);
          const gflops = flops / (ms * 1e6);
          kernels.push({
            impl: 'webgpu-vae', kind: 'matmul', name: c.name, shape: shapeText(c), detail: `${opText(c)}, ${variant}`,
            primary: variant === auto, flops, ms, wallMs: s.wall.median, gpuMs: s.gpu?.median, spread: (s.gpu ?? s.wall).spread,
            runs: s.wall.runs, inner: s.inner, gflops, ofCeiling: gflops / fmaGflops, firstUseMs,
          });
          o.log(`  ${c.name.padEnd(12)} ${shapeText(c).padEnd(20)} ${variant.padEnd(5)} ${ms.toFixed(3).padStart(9)} ms ${gflops.toFixed(1).padStart(7)} GFLOP/s` +
            `${s.gpu ? ` (wall ${s.wall.median.toFixed(3)})` : ''}, cold first use ${firstUseMs.toFixed(1)} ms`);
          if (variant === auto && !c.name.startsWith('square')) ours = await readFloats(device, cOut, c.M * c.N);
          op.destroy();
        } catch (e) {
          errors.push(`${c.name} [${variant}]: ${(e as Error).message}`);
          o.log(`  ${c.name} [${variant}]: FAILED ${(e as Error).message}`);
        }
      }
      for (const peer of o.peers) {
        try {
          // A fresh peer op per try: its first use is part of what is measured.
          const { pm, s } = await guarded(`${c.name} ${peer.impl}`, async () => {
            const m = await peer.matmul(c, aData, bData, biasData);
            try {
              return { pm: m, s: await sample((inner) => m.run(inner), b.kernel) };
            } catch (e) {
              m.dispose();
              throw e;
            }
          });
          let maxRelDiff: number | undefined;
          if (ours) {
            const theirs = await pm.output();
            let worst = 0, scale = 0;
            for (let i = 0; i < ours.length; i++) {
              worst = Math.max(worst, Math.abs(theirs[i] - ours[i]));
              scale = Math.max(scale, Math.abs(ours[i]));
            }
            maxRelDiff = scale > 0 ? worst / scale : worst;
          }
          pm.dispose();
          const ms = s.wall.median;
          const gflops = flops / (ms * 1e6);
          kernels.push({
            impl: peer.impl, kind: 'matmul', name: c.name, shape: shapeText(c), detail: opText(c), primary: true, flops,
            ms, wallMs: ms, spread: s.wall.spread, runs: s.wall.runs, inner: s.inner, gflops, ofCeiling: peer.impl === 'tfjs-webgpu' ? gflops / fmaGflops : undefined,
            firstUseMs: pm.firstUseMs, maxRelDiff,
          });
          o.log(`  ${''.padEnd(12)} ${peer.impl.padEnd(26)} ${ms.toFixed(3).padStart(9)} ms ${gflops.toFixed(1).padStart(7)} GFLOP/s, first use ${pm.firstUseMs.toFixed(1)} ms` +
            `${maxRelDiff !== undefined ? `, max rel diff vs ours ${maxRelDiff.toExponential(1)}` : ''}`);
        } catch (e) {
          errors.push(`${peer.impl} ${c.name}: ${(e as Error).message}`);
          o.log(`  ${peer.impl} ${c.name}: FAILED ${(e as Error).message}`);
        }
      }
      [a, bb, bias, cOut].forEach((x) => x?.destroy());
    }

    o.log('\nelement-wise kernels (GB/s: bytes each must read and write; ceiling: the copy kernel moving the same bytes)');
    const elementwise = async (name: string, shape: string, detail: string, bytes: number, dispatches: Dispatch[], specs: PipelineSpec[], primary = true) => {
      try {
        const { firstUseMs, s } = await guarded(name, async () => ({
          firstUseMs: await coldFirstUseMs(device, dispatches, specs),
          s: await validated(device, name, () => sample(dispatchRunner(device, dispatches, timer), b.kernel)),
        }));
        const ms = primaryOf(s);
        const gbps = bytes / (ms * 1e6);
        const copy = await copyAt(bytes);
        kernels.push({
          impl: 'webgpu-vae', kind: 'elementwise', name, shape, detail, primary, bytes, ms, wallMs: s.wall.median, gpuMs: s.gpu?.median,
          spread: (s.gpu ?? s.wall).spread, runs: s.wall.runs, inner: s.inner, gbps, ofCeiling: gbps / copy.gbps, firstUseMs,
        });
        o.log(`  ${name.padEnd(16)} ${shape.padEnd(22)} ${ms.toFixed(4).padStart(9)} ms ${gbps.toFixed(2).padStart(7)} GB/s; copy of the same ${mb(bytes)}: ` +
          `${copy.gbps.toFixed(2)} GB/s (${((100 * gbps) / copy.gbps).toFixed(0)}%); cold first use ${firstUseMs.toFixed(1)} ms`);
      } catch (e) {
        errors.push(`${name}: ${(e as Error).message}`);
        o.log(`  ${name}: FAILED ${(e as Error).message}`);
      }
    };

    for (const B of [128, 2048]) {
      const stats = storageFrom(device, uniformArray(B * 2 * Z, 21, -1, 1), 'stats');
      const z = storageBuffer(device, B * Z, 'z'), dz = storageFrom(device, uniformArray(B * Z, 22), 'dz');
      const dstats = storageFrom(device, uniformArray(B * 2 * Z, 23), 'dstats');
      const r = prepareReparameterize(rt, { batch: B, latent: Z }, { stats, z, dz, dstats }, { seed: 1, stream: 0 });
      await elementwise('reparam fwd', `B=${B}, Z=${Z}`, 'Philox noise in-shader', 12 * B * Z, [r.forward], [{ kernel: REPARAMETERIZE, entry: 'forward' }]);
      await elementwise('reparam bwd', `B=${B}, Z=${Z}`, 'noise recomputed', 24 * B * Z, [r.backward!], [{ kernel: REPARAMETERIZE, entry: 'backward' }]);
      r.destroy();
      [stats, z, dz, dstats].forEach((x) => x.destroy());

      const logits = storageFrom(device, uniformArray(B * D, 24, -4, 4), 'logits');
      const x = storageFrom(device, syntheticImages(B), 'x');
      const st = storageFrom(device, uniformArray(B * 2 * Z, 25, -1, 1), 'stats');
      const dlogits = storageBuffer(device, B * D, 'dlogits'), dst = storageBuffer(device, B * 2 * Z, 'dstats');
      const terms = storageBuffer(device, 2 * B, 'terms'), loss = storageBuffer(device, 4, 'loss'), totals = storageBuffer(device, 4, 'totals');
      const health = storageBuffer(device, 4, 'health');
      // The reduction schedule this adapter's profile picks ('serial' on CPU adapters, 'tree' on GPUs),
      // and in full runs the other one too.
      const schedules: ('tree' | 'serial')[] = [rt.serial() ? 'serial' : 'tree'];
      if (b.alternates) schedules.push(schedules[0] === 'serial' ? 'tree' : 'serial');
      for (const schedule of schedules) {
        const primary = schedule === schedules[0];
        const tag = primary ? '' : ` [${schedule}, not used here]`;
        const e = prepareElbo(rt, { batch: B, dim: D, latent: Z, track: true, schedule },
          { logits, x, stats: st, dlogits, dstats: dst, perExample: terms, loss, totals, health });
        const perExample: PipelineSpec = { kernel: ELBO, entry: schedule === 'serial' ? 'per_example_serial' : 'per_example', overrides: { GAUSSIAN: false } };
        const batchMean: PipelineSpec = { kernel: ELBO, entry: schedule === 'serial' ? 'batch_mean_serial' : 'batch_mean', overrides: { GAUSSIAN: false } };
        const how = schedule === 'serial' ? 'one invocation per example' : 'one workgroup per example, tree reduction';
        await elementwise(`elbo (fused)${tag}`, `B=${B}, D=${D}, Z=${Z}`, `loss + gradients: per-example (${how}) + batch mean`, 4 * (3 * B * D + 4 * B * Z + 4 * B), e.dispatches, [perExample, batchMean], primary);
        // Its two dispatches apart, to show which one costs.
        await elementwise(`elbo per_example${tag}`, `B=${B}, D=${D}, Z=${Z}`, how, 4 * (3 * B * D + 4 * B * Z + 2 * B), [e.dispatches[0]], [perExample], false);
        if (primary) await elementwise('elbo batch_mean', `B=${B}`, schedule === 'serial' ? 'one invocation, in order' : 'one workgroup, tree reduction', 4 * (2 * B + 12), [e.dispatches[1]], [batchMean], false);
        e.destroy();
      }
      [logits, x, st, dlogits, dst, terms, loss, totals, health].forEach((t) => t.destroy());

      // bias_grad (in the step, not asked for by name): the ReLU layers' (400 columns) and the output layer's (784, identity).
      for (const [cols, act] of [[H, 'relu'], [D, 'identity']] as const) {
        const dY = storageFrom(device, uniformArray(B * cols, 26), 'dY'), y = storageFrom(device, uniformArray(B * cols, 27, 0, 1), 'Y');
        const dPre = storageBuffer(device, B * cols, 'dPre'), dBias = storageBuffer(device, cols, 'dBias');
        const bytes = 4 * ((act === 'identity' ? 1 : 3) * B * cols + cols);
        for (const schedule of schedules) {
          const primary = schedule === schedules[0];
          const op = prepareBiasGrad(rt, { rows: B, cols, activation: act, schedule }, { dY, y, dPre: act === 'identity' ? undefined : dPre, dBias });
          const how = schedule === 'serial' ? 'one invocation per column' : '16×16 workgroups, tree reduction';
          await elementwise(`bias_grad${primary ? '' : ` [${schedule}, not used here]`}`, `${B}×${cols}, ${act}`, `${act === 'identity' ? 'column sums' : "ReLU' fused, column sums"}; ${how}`, bytes, op.dispatches,
            [{ kernel: BIAS_GRAD, entry: schedule === 'serial' ? 'main_serial' : 'main', overrides: { ACT: activationCode(act) } }], primary);
          op.destroy();
        }
        [dY, y, dPre, dBias].forEach((t) => t.destroy());
      }
    }

    const arena = buildVaeGraph(DEFAULT_CONFIG).arenaSize;
    const p = storageFrom(device, uniformArray(arena, 31, -0.05, 0.05), 'params'), g = storageFrom(device, uniformArray(arena, 32, -0.01, 0.01), 'grads');
    const m = storageBuffer(device, arena, 'm'), v = storageBuffer(device, arena, 'v');
    const adam = prepareAdam(rt, arena, { lr: 1e-3 }, { params: p, grads: g, m, v });
    await elementwise('adam', `${arena} params`, 'p, m, v read+written, g read', 7 * 4 * arena, [adam.dispatch], [{ kernel: ADAM, entry: 'main' }]);
    adam.destroy();
    [p, g, m, v].forEach((t) => t.destroy());
  }

  // ---- 3. Training steps ---------------------------------------------------------------------------
  const steps: StepResult[] = [];
  if (run('steps')) {
    o.log('\ntraining step, default model 784-400-20 (ours: forward, ELBO, backward, Adam in one submit)');
    const poolCount = Math.max(4096, 2 * Math.max(...b.batches));
    const pool = syntheticImages(poolCount);
    for (const batch of b.batches) {
      const flops = stepFlops(batch);
      const feeder = () => {
        let offset = 0;
        return () => {
          if (offset + batch > poolCount) offset = 0;
          const x = pool.subarray(offset * D, (offset + batch) * D);
          offset += batch;
          return x;
        };
      };
      try {
        const { s, first, firstStepMs, lossLast } = await guarded(`step ${batch} webgpu-vae`, async () => {
          // A fresh runtime per try: the first step prepares its passes (pipelines may come from Dawn's cache).
          const brt = Runtime.forContext(ctx);
          const next = feeder();
          const t0 = performance.now();
          const vae = new GpuVae(brt, {}, { maxBatch: batch });
          try {
            const first = (await vae.trainStep(next(), true))!;
            const firstStepMs = performance.now() - t0;
            const s = await sample(async (inner) => {
              const start = performance.now();
              for (let i = 0; i < inner; i++) vae.trainStep(next());
              await device.queue.onSubmittedWorkDone();
              return { wallMs: performance.now() - start };
            }, b.step);
            return { s, first, firstStepMs, lossLast: (await vae.readLoss())[0] };
          } finally {
            vae.dispose();
            brt.destroy();
          }
        });
        const ms = s.wall.median;
        const gflops = flops / (ms * 1e6);
        steps.push({
          impl: 'webgpu-vae', batch, msPerStep: ms, examplesPerSecond: (1000 * batch) / ms, spread: s.wall.spread, runs: s.wall.runs, inner: s.inner,
          firstStepMs, gflops, ofCeiling: gflops / fmaGflops, lossFirst: first.loss, lossLast,
        });
        o.log(`  batch ${String(batch).padStart(4)} ${'webgpu-vae'.padEnd(12)} ${ms.toFixed(2).padStart(9)} ms/step ${((1000 * batch) / ms).toFixed(0).padStart(7)} ex/s ` +
          `(first step ${firstStepMs.toFixed(0)} ms; loss ${first.loss.toFixed(1)} → ${lossLast.toFixed(1)})`);
      } catch (e) {
        errors.push(`webgpu-vae step batch ${batch}: ${(e as Error).message}`);
        o.log(`  batch ${batch} webgpu-vae: FAILED ${(e as Error).message}`);
      }
      for (const peer of o.peers) {
        try {
          const { tr, s, lossLast, leakedTensors } = await guarded(`step ${batch} ${peer.impl}`, async () => {
            const t = await peer.trainer(batch, feeder());
            let leaked: number | undefined;
            try {
              const sampled = await sample((inner) => t.run(inner), b.step);
              const last = await t.lastLoss();
              leaked = t.dispose();
              return { tr: t, s: sampled, lossLast: last, leakedTensors: leaked };
            } finally {
              if (leaked === undefined) t.dispose();
            }
          });
          const ms = s.wall.median;
          const gflops = flops / (ms * 1e6);
          steps.push({
            impl: peer.impl, batch, msPerStep: ms, examplesPerSecond: (1000 * batch) / ms, spread: s.wall.spread, runs: s.wall.runs, inner: s.inner,
            firstStepMs: tr.firstStepMs, gflops, ofCeiling: peer.impl === 'tfjs-webgpu' ? gflops / fmaGflops : undefined,
            lossFirst: tr.lossFirst, lossLast, leakedTensors,
          });
          o.log(`  batch ${String(batch).padStart(4)} ${peer.impl.padEnd(12)} ${ms.toFixed(2).padStart(9)} ms/step ${((1000 * batch) / ms).toFixed(0).padStart(7)} ex/s ` +
            `(first step ${tr.firstStepMs.toFixed(0)} ms; loss ${tr.lossFirst.toFixed(1)} → ${lossLast.toFixed(1)}; leaked tensors ${leakedTensors})`);
        } catch (e) {
          errors.push(`${peer.impl} step batch ${batch}: ${(e as Error).message}`);
          o.log(`  batch ${batch} ${peer.impl}: FAILED ${(e as Error).message}`);
        }
      }
    }
  }

  // ---- 4. Where a step's time goes (timestamps around each dispatch, one pass each) -----------------
  let breakdown: Breakdown | undefined;
  if (run('steps') && PassTimer.available(device)) {
    try {
      breakdown = await guarded('step breakdown', () => stepBreakdown(ctx, 128, o.quick ? 5 : 11, syntheticImages(128)));
      o.log(`\nstep at batch 128, dispatch by dispatch (GPU timestamps, one pass each; median of ${breakdown.samples}): ${breakdown.totalMs.toFixed(2)} ms in all`);
      for (const r of breakdown.rows) o.log(`  ${r.label.padEnd(28)} ${r.kind.padEnd(10)} ${r.ms.toFixed(3).padStart(9)} ms ${(100 * r.share).toFixed(1).padStart(5)}%`);
    } catch (e) {
      errors.push(`step breakdown: ${(e as Error).message}`);
    }
  }

  let tuning: TuningResult | undefined;
  if (run('tuning') && !o.noTune) {
    try {
      o.log('\ntuned against untuned (the tuner on the default model, then both models\' steps alternating)');
      tuning = await guarded('tuning', () => tunedVsUntuned(ctx, {
        batches: o.quick ? [128] : [32, 128, 512], rounds: o.quick ? 9 : 15, stepMs: o.quick ? 1000 : 2000,
        images: (n) => syntheticImages(n), log: o.log, implementation: o.implementation ?? 'unknown',
      }));
    } catch (e) {
      errors.push(`tuning: ${(e as Error).message}`);
    }
  }

  timer?.destroy();
  rt.destroy();
  const ceilings: Ceilings = {
    fmaGflops,
    fma,
    copy: [...copyCache.values()].sort((x, y) => x.bytes - y.bytes),
    peakCopyGbps: Math.max(0, ...[...copyCache.values()].map((p) => p.gbps)),
  };
  for (const k of kernels) if (k.kind === 'elementwise' && k.gbps !== undefined) k.ofPeakCopy = k.gbps / ceilings.peakCopyGbps;
  return {
    adapter,
    adapterInfo: ctx.adapterInfo,
    features: [...ctx.features].sort(),
    timestamps: !!timer,
    profile: rt.profile,
    quick: o.quick,
    ceilings,
    kernels,
    steps,
    breakdown,
    tuning,
    peers: o.peers.map((p) => p.info),
    errors,
    durationS: (performance.now() - started) / 1000,
  };
}

function kindOf(label: string): string {
  if (/ (forward|dW|dX)$/.test(label) && !label.startsWith('reparameterize')) return 'matmul';
  if (label.includes('bias grad')) return 'bias_grad';
  if (label.startsWith('reparameterize')) return 'reparam';
  if (label.startsWith('elbo')) return 'elbo';
  if (label.startsWith('adam')) return 'adam';
  return 'other';
}

/**
 * The default model's training step at `batch`, each dispatch in its own compute pass with GPU
 * timestamps at its start and end: the same dispatches GpuVae.trainStep submits (the scheduler's
 * pass plan and the Adam dispatch on the model's own buffers), in the same order, in one submit.
 */
async function stepBreakdown(ctx: GpuContext, batch: number, samples: number, x: Float32Array): Promise<Breakdown> {
  const device = ctx.device;
  const rt = Runtime.forContext(ctx);
  const vae = new GpuVae(rt, {}, { maxBatch: batch });
  const pass = planPass(rt, vae.graph, vae.plan, { batch, seed: vae.config.seed, stream: STREAMS.train, training: true });
  const adam = planAdam(rt, vae.graph, vae.plan, vae.config.adam);
  const dispatches = [...pass.forward, ...pass.backward, adam.dispatch];
  device.queue.writeBuffer(vae.plan.activations.get(vae.graph.io.input)!, 0, x.buffer, x.byteOffset, x.byteLength);
  const n = dispatches.length;
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * n });
  const resolve = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const per: number[][] = dispatches.map(() => []);
  try {
    for (let r = 0; r < samples + 2; r++) {
      const encoder = device.createCommandEncoder();
      dispatches.forEach((d, i) => {
        const p = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
        encodeDispatches(p, [d]);
        p.end();
      });
      encoder.resolveQuerySet(querySet, 0, 2 * n, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, 16 * n);
      device.queue.submit([encoder.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(read.getMappedRange().slice(0));
      read.unmap();
      if (r >= 2) dispatches.forEach((_, i) => per[i].push(Number(t[2 * i + 1] - t[2 * i]) / 1e6));
    }
  } finally {
    querySet.destroy();
    resolve.destroy();
    read.destroy();
    pass.destroy();
    adam.destroy();
    vae.dispose();
    rt.destroy();
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const rows = dispatches.map((d, i) => ({ label: d.label, kind: kindOf(d.label), ms: median(per[i]), share: 0 }));
  const totalMs = rows.reduce((s, r) => s + r.ms, 0);
  for (const r of rows) r.share = r.ms / totalMs;
  return { batch, samples, totalMs, rows };
}

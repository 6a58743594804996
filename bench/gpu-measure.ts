// The kernel half of the GPU run (bench/gpu.ts): the FMA peak of the adapter, and square f32
// matmuls through the tuner's candidates (each size's class tuned, then the choice timed again and
// its product spot-checked against float64 rows), as % of that peak. Both keep to a deadline.
import { storageBuffer } from '../src/gpu/buffers';
import { readFloats } from '../src/gpu/buffers';
import { Runtime, type Dispatch } from '../src/gpu/runtime';
import { matmulFlops, prepareMatmul } from '../src/kernels/matmul';
import type { Tuner } from '../src/tune/tuner';
import { median, sampleTimer, type SampleTimer } from '../src/tune/timing';
import { FMA, FMA_FORMS } from './fma-kernel';

export interface FmaPoint { form: string; workgroupSize: number; invocations: number; iters: number; reps: number; ms: number; wallMs: number; gflops: number; samples: number }
export interface FmaResult { method: SampleTimer['method']; points: FmaPoint[]; best?: FmaPoint }

export interface MatmulCandidatePoint { candidate: string; ms: number; gflops: number; samples: number }
export interface MatmulPoint {
  n: number;
  skipped?: string;
  rule?: string;
  choice?: string;
  /** 'tuned' or 'budget' (the rule kept: the budget ran out) or 'cache'. */
  source?: string;
  /** The choice timed again on our operands: median ms per product, GFLOP/s, % of the run's FMA peak. */
  ms?: number;
  gflops?: number;
  pctOfFma?: number;
  candidates?: MatmulCandidatePoint[];
  /** max |gpu − ref| / max |ref| over a few whole rows of C, ref in float64. */
  check?: { rows: number; maxRelErr: number; ok: boolean };
}

/** Median ms per repetition of `d`, with repetitions calibrated so a sample lasts about `sampleMs`. */
async function timeDispatches(timer: SampleTimer, d: readonly Dispatch[], sampleMs: number, samples: number, maxReps = 1000): Promise<{ ms: number; reps: number; samples: number }> {
  await timer.sample(d, 1);
  const once = await timer.sample(d, 1);
  const reps = Math.max(1, Math.min(maxReps, Math.ceil(sampleMs / Math.max(once, 1e-3))));
  const t: number[] = [];
  for (let i = 0; i < samples; i++) t.push(await timer.sample(d, reps));
  return { ms: median(t), reps, samples: t.length };
}

/** The FMA loop in both forms and workgroups of 64 and 256; the best is the run's peak. */
export async function fmaPeak(rt: Runtime, p: { invocations: number; iters: number; sampleMs: number; samples: number; left: () => number }): Promise<FmaResult> {
  const device = rt.device;
  const timer = sampleTimer(device);
  const wall = sampleTimer(device, 'wall');
  const params = rt.uniformBlock(FMA, 'params', { mul: 0.999999, add: 1e-7 }, 'fma params').buffer;
  const out = storageBuffer(device, p.invocations * 4, 'fma out');
  const points: FmaPoint[] = [];
  try {
    for (const { form, entry, flopsPerIter } of FMA_FORMS) for (const wg of [64, 256]) {
      if (p.left() <= 0) break;
      const d: Dispatch = { label: `fma ${form} wg ${wg}`, pipeline: rt.pipeline(FMA, entry, { ITERS: p.iters, WG: wg }), bindGroup: rt.bindGroup(FMA, { params, out }), workgroups: rt.grid(p.invocations / wg) };
      const t = await timeDispatches(timer, [d], p.sampleMs, p.samples);
      const w = await wall.sample([d], t.reps);
      const flops = p.invocations * p.iters * flopsPerIter;
      points.push({ form, workgroupSize: wg, invocations: p.invocations, iters: p.iters, reps: t.reps, ms: t.ms, wallMs: w, gflops: flops / (t.ms * 1e6), samples: t.samples });
    }
  } finally {
    timer.destroy();
    wall.destroy();
    params.destroy();
    out.destroy();
  }
  const best = points.reduce<FmaPoint | undefined>((b, x) => (!b || x.gflops > b.gflops ? x : b), undefined);
  return { method: timer.method, points, best };
}

/** n floats in [-1, 1) from an LCG (fast enough for 8192² on the host; the values do not matter for speed, zeros might). */
function lcgArray(n: number, seed: number): Float32Array<ArrayBuffer> {
  const a = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

function upload(device: GPUDevice, data: Float32Array<ArrayBuffer>, label: string): GPUBuffer {
  const b = device.createBuffer({ label, size: data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  device.queue.writeBuffer(b, 0, data);
  return b;
}

/** Whole rows of C = A·B in float64 against the GPU's, as max |Δ| / max |ref|. */
async function checkRows(device: GPUDevice, n: number, a: Float32Array, b: Float32Array, c: GPUBuffer, rows: number): Promise<{ rows: number; maxRelErr: number; ok: boolean }> {
  let maxDiff = 0, maxRef = 0;
  const picked = [...new Set(Array.from({ length: rows }, (_, i) => Math.floor((i * (n - 1)) / Math.max(1, rows - 1))))];
  for (const r of picked) {
    const got = await readFloats(device, c, n, r * n * 4);
    const ref = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const x = a[r * n + k];
      const row = k * n;
      for (let j = 0; j < n; j++) ref[j] += x * b[row + j];
    }
    for (let j = 0; j < n; j++) {
      maxDiff = Math.max(maxDiff, Math.abs(got[j] - ref[j]));
      maxRef = Math.max(maxRef, Math.abs(ref[j]));
    }
  }
  const maxRelErr = maxDiff / Math.max(maxRef, 1e-30);
  // f32 products over K = n terms: errors grow like sqrt(n)·ε; 1e-4 leaves room to 8192 and catches any wrong index.
  return { rows: picked.length, maxRelErr, ok: Number.isFinite(maxRelErr) && maxRelErr <= 1e-4 };
}

/**
 * Square n×n·n×n products: the tuner times every candidate of the size's class (rounds beside the
 * rule's), then the choice is timed again on our own operands and a few rows of its product checked.
 */
export async function squareMatmuls(rt: Runtime, tuner: Tuner, p: { sizes: number[]; sampleMs: number; samples: number; checkRows: number; peakGflops?: number; left: () => number; log: (line: string) => void }): Promise<MatmulPoint[]> {
  const device = rt.device;
  const out: MatmulPoint[] = [];
  const maxBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  for (const n of p.sizes) {
    if (p.left() <= 0) { out.push({ n, skipped: 'deadline' }); continue; }
    if (n * n * 4 > maxBytes) { out.push({ n, skipped: `${n}² floats exceed the device's buffer limit (${maxBytes} bytes)` }); continue; }
    const shape = { M: n, N: n, K: n };
    const flops = matmulFlops(shape);
    const ha = lcgArray(n * n, n), hb = lcgArray(n * n, n + 1);
    const a = upload(device, ha, `A ${n}`), b = upload(device, hb, `B ${n}`), c = storageBuffer(device, n * n, `C ${n}`);
    const timer = sampleTimer(device);
    try {
      // The tuner may take what is left but a share for the timing and the check.
      tuner.budgetMs = Math.max(0, p.left() * 0.7);
      const report = await rt.tune(() => prepareMatmul(rt, shape, { a, b, c }).destroy());
      const r = report.results[0];
      const point: MatmulPoint = { n, rule: r?.rule, choice: r?.choice, source: r?.source };
      point.candidates = (r?.times ?? []).filter((t) => t.samples > 0).map((t) => ({ candidate: t.candidate, ms: t.ms, gflops: flops / (t.ms * 1e6), samples: t.samples }));
      const op = prepareMatmul(rt, shape, { a, b, c });
      try {
        device.pushErrorScope('validation');
        const t = await timeDispatches(timer, op.dispatches, p.sampleMs, p.samples);
        const err = await device.popErrorScope();
        if (err) throw new Error(`matmul ${n}: ${err.message}`);
        Object.assign(point, { ms: t.ms, gflops: flops / (t.ms * 1e6) });
        if (p.peakGflops) point.pctOfFma = (100 * point.gflops!) / p.peakGflops;
        // The last run left C = A·B in c.
        if (p.checkRows > 0) point.check = await checkRows(device, n, ha, hb, c, p.checkRows);
      } finally {
        op.destroy();
      }
      p.log(`  matmul ${n}: ${point.choice} (${point.source}, rule ${point.rule}) ${point.ms!.toFixed(3)} ms, ${point.gflops!.toFixed(0)} GFLOP/s` +
        `${point.pctOfFma !== undefined ? `, ${point.pctOfFma.toFixed(1)}% of the FMA peak` : ''}${point.check ? `; rows check ${point.check.ok ? 'ok' : 'FAILED'} (${point.check.maxRelErr.toExponential(1)})` : ''}`);
      out.push(point);
    } catch (e) {
      // One size that fails (validation, memory) is recorded; the next is still tried.
      out.push({ n, skipped: `error: ${(e as Error).message}` });
      p.log(`  matmul ${n}: ${(e as Error).message}`);
    } finally {
      timer.destroy();
      a.destroy();
      b.destroy();
      c.destroy();
    }
  }
  return out;
}

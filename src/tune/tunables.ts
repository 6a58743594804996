// The kernels a tuner can time, by the name their schedule requests carry: for each, scratch
// operands of the request's shape (seeded values, never zeros) and a dispatch of any candidate on them.
import type { Runtime } from '../gpu/runtime';
import type { ConvGeometry } from '../kernels/conv-shape';
import { convSizes } from '../kernels/conv-shape';
import { convCandidateOptions, prepareConvRelationForward, prepareConvRelationTranspose } from '../kernels/conv2d';
import { prepareConvRelationWeightGrad, weightGradCandidateOptions } from '../kernels/conv2d-grad';
import { ACTIVATIONS } from '../kernels/activation';
import { prepareBiasGrad, type SubgroupReductionSchedule } from '../kernels/bias-grad';
import { gradNormPartials, prepareGradNorm } from '../kernels/grad-norm';
import { prepareElbo } from '../kernels/elbo';
import { prepareIwaeObjective } from '../kernels/iwae-objective';
import { F16_TOLERANCE, gemmTile, prepareMatmul, type MatmulCandidate, type PreparedOp } from '../kernels/matmul';

/**
 * How close a candidate's entry must be to the twin's: |got − want| ≤ rel · scale + abs, where
 * scale is the entry's sum of absolute terms (Σ_k |a_k·b_k| for a product, Σ |g|² for a norm), so
 * the bound follows from the rounding of each term whatever the sum's cancellation.
 */
export interface Tolerance {
  rel: number;
  abs: number;
}

export interface TunableSetup {
  /** The candidate's dispatches on the scratch operands. */
  prepare(candidate: string): PreparedOp;
  /**
   * For validation (validate.ts): the scratch inputs as uploaded, by name, and the buffer every
   * candidate writes; `more` buffers it writes too, checked after it, end to end (the twin's want
   * is laid out the same way).
   */
  io?: { inputs: Readonly<Record<string, Float32Array>>; output: GPUBuffer; outputFloats: number; more?: readonly { buffer: GPUBuffer; floats: number }[] };
  /** How close a candidate's output must be to the twin's (Tolerance above; validate.ts checks it). */
  tolerance?(candidate: string): Tolerance;
  /** Whether a candidate changes precision or summation order (f16 tiles, subgroup sums): never picked without a twin's check. */
  inexact?(candidate: string): boolean;
  destroy(): void;
}

export type Tunable = (rt: Runtime, shape: Readonly<Record<string, number | boolean>>) => TunableSetup;

/** `n` floats in [-1, 1) from a small LCG, the same for the same seed. */
export function scratchData(n: number, seed: number): Float32Array<ArrayBuffer> {
  const data = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return data;
}

/** A storage buffer of `n` floats in [-1, 1) from a small LCG (the values do not matter for speed, but zeros might). */
export function scratch(rt: Runtime, n: number, seed: number, label: string): GPUBuffer {
  return scratchWith(rt, scratchData(n, seed), label);
}

/** A storage buffer holding `data` (readable back, for validation). */
export function scratchWith(rt: Runtime, data: Float32Array<ArrayBuffer>, label: string): GPUBuffer {
  const buffer = rt.device.createBuffer({ label, size: Math.max(16, data.length * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  rt.device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/**
 * A GEMM candidate's tolerance at depth K, relative to the entry's Σ|a·b| on operands of magnitude
 * ≤ 1 (the scratch ones): any f32 summation order is within K·2⁻²⁴ of it (doubled here); the f16
 * tiles add F16_TOLERANCE's input rounding (matmul.ts says how it is derived) and, for inputs
 * below f16's normal range, at most 2⁻²⁴ per term.
 */
export function gemmTolerance(candidate: string, K: number): Tolerance {
  const f32 = { rel: 2 * K * 2 ** -24 + 2 ** -24, abs: 2 ** -100 };
  return gemmTile(candidate)?.f16 ? { rel: f32.rel + F16_TOLERANCE.rel, abs: K * F16_TOLERANCE.abs } : f32;
}

const isF16 = (candidate: string) => gemmTile(candidate)?.f16 === true;

const num = (shape: Readonly<Record<string, number | boolean>>, k: string) => Number(shape[k]);

export const matmulTunable: Tunable = (rt, shape) => {
  const M = num(shape, 'M'), N = num(shape, 'N'), K = num(shape, 'K');
  const A = scratchData(M * K, 1), B = scratchData(K * N, 2);
  const a = scratchWith(rt, A, 'tune A'), b = scratchWith(rt, B, 'tune B'), c = scratch(rt, M * N, 3, 'tune C');
  return {
    prepare: (candidate) => prepareMatmul(rt, { M, N, K, transA: !!shape.transA, transB: !!shape.transB, schedule: candidate as MatmulCandidate }, { a, b, c }, `tune matmul ${candidate}`),
    io: { inputs: { A, B }, output: c, outputFloats: M * N },
    tolerance: (candidate) => gemmTolerance(candidate, K),
    inexact: isF16,
    destroy: () => { a.destroy(); b.destroy(); c.destroy(); },
  };
};

type ConvSide = 'inSide' | 'outSide' | 'w';

/**
 * A conv kernel on a relation's geometry: operands of its in, out and weight sizes, `output` the
 * one it writes (the others are its inputs) and `depth` the terms of each output entry's sum.
 */
function convTunable(
  output: ConvSide, depth: (g: ConvGeometry) => number,
  prepare: (rt: Runtime, g: ConvGeometry, b: Record<ConvSide, GPUBuffer>, candidate: string) => PreparedOp,
): Tunable {
  return (rt, shape) => {
    const g = { ...shape } as unknown as ConvGeometry;
    const sz = convSizes(g);
    const data: Record<ConvSide, Float32Array<ArrayBuffer>> = { inSide: scratchData(sz.in, 1), outSide: scratchData(sz.out, 2), w: scratchData(sz.weights, 3) };
    const b = { inSide: scratchWith(rt, data.inSide, 'tune in'), outSide: scratchWith(rt, data.outSide, 'tune out'), w: scratchWith(rt, data.w, 'tune W') };
    const inputs = Object.fromEntries(Object.entries(data).filter(([k]) => k !== output));
    const floats = { inSide: sz.in, outSide: sz.out, w: sz.weights }[output];
    return {
      prepare: (c) => prepare(rt, g, b, c),
      io: { inputs, output: b[output], outputFloats: floats },
      tolerance: (c) => gemmTolerance(c, depth(g)),
      inexact: isF16,
      destroy: () => { b.inSide.destroy(); b.outSide.destroy(); b.w.destroy(); },
    };
  };
}

/**
 * A reduction's tolerance over n terms, relative to the sum of their absolute values: any f32
 * summation order is within n·2⁻²⁴ of it (doubled here), whatever the schedule.
 */
const sumTolerance = (n: number): Tolerance => ({ rel: 2 * n * 2 ** -24 + 2 ** -24, abs: 2 ** -100 });
const isSubgroup = (candidate: string) => candidate === 'subgroup';

/** bias_grad on rows×cols with the class's activation: dY (and Y) seeded, dBias the output checked. */
export const biasGradTunable: Tunable = (rt, shape) => {
  const rows = num(shape, 'rows'), cols = num(shape, 'cols');
  const activation = ACTIVATIONS[num(shape, 'act')] ?? 'identity';
  const dYData = scratchData(rows * cols, 1), yData = scratchData(rows * cols, 2);
  const dY = scratchWith(rt, dYData, 'tune dY'), y = scratchWith(rt, yData, 'tune Y'), dPre = scratch(rt, rows * cols, 3, 'tune dPre'), dBias = scratch(rt, cols, 4, 'tune dBias');
  return {
    prepare: (c) => prepareBiasGrad(rt, { rows, cols, activation, schedule: c as SubgroupReductionSchedule }, { dY, y, dPre, dBias }, `tune bias_grad ${c}`),
    io: { inputs: { dY: dYData, Y: yData }, output: dBias, outputFloats: cols },
    tolerance: () => sumTolerance(rows),
    inexact: isSubgroup,
    destroy: () => { for (const b of [dY, y, dPre, dBias]) b.destroy(); },
  };
};

/** grad_norm over `count` floats: the clip words [‖g‖, scale, Σ g², flag] the output checked. */
export const gradNormTunable: Tunable = (rt, shape) => {
  const count = num(shape, 'count'), maxNorm = num(shape, 'maxNorm') || 1;
  const padded = Math.ceil(count / 4) * 4;
  const data = scratchData(padded, 1);
  data.fill(0, count);
  const grads = scratchWith(rt, data, 'tune grads'), partials = scratch(rt, gradNormPartials(count), 2, 'tune partials'), clip = scratch(rt, 4, 3, 'tune clip');
  return {
    prepare: (c) => prepareGradNorm(rt, { count, maxNorm, schedule: c as SubgroupReductionSchedule }, { grads, partials, clip }, `tune grad_norm ${c}`),
    io: { inputs: { grads: data, maxNorm: Float32Array.of(maxNorm) }, output: clip, outputFloats: 4 },
    tolerance: () => sumTolerance(count),
    inexact: isSubgroup,
    destroy: () => { for (const b of [grads, partials, clip]) b.destroy(); },
  };
};

/** `n` floats in [0, 1) (targets of the Bernoulli likelihood) from the same LCG. */
const unitData = (n: number, seed: number) => scratchData(n, seed).map((v) => (v + 1) / 2);

/**
 * A fused objective's tolerance (ELBO, IWAE), relative to each entry's sum of absolute terms:
 * summation over an example's D + Z terms and then over the batch (B), any order, as sumTolerance,
 * plus each term's own evaluation in f32 (exp, log: a few ulps relative, 2⁻²¹ absolute near 1,
 * taken as 2⁻²¹ and 2⁻²² per term).
 */
export const objectiveTolerance = (terms: number, batch: number): Tolerance => ({ rel: 2 * (terms + batch) * 2 ** -24 + 2 ** -21, abs: terms * 2 ** -22 });

/**
 * The ELBO on batch×dim logits and batch×2·latent stats, Bernoulli likelihood, β = 1: the
 * per-example terms (B×2) and the loss (4 floats) checked, the reductions being what schedules change.
 */
export const elboTunable: Tunable = (rt, shape) => {
  const B = num(shape, 'batch'), D = num(shape, 'dim'), Z = num(shape, 'latent');
  const logits = scratchData(B * D, 1), x = unitData(B * D, 2), stats = scratchData(2 * B * Z, 3);
  const bufs = {
    logits: scratchWith(rt, logits, 'tune logits'), x: scratchWith(rt, x, 'tune x'), stats: scratchWith(rt, stats, 'tune stats'),
    dlogits: scratch(rt, B * D, 4, 'tune dlogits'), dstats: scratch(rt, 2 * B * Z, 5, 'tune dstats'),
    perExample: scratch(rt, 2 * B, 6, 'tune terms'), loss: scratch(rt, 4, 7, 'tune loss'), totals: scratch(rt, 4, 8, 'tune totals'),
  };
  return {
    prepare: (c) => prepareElbo(rt, { batch: B, dim: D, latent: Z, schedule: c as SubgroupReductionSchedule }, bufs, `tune elbo ${c}`),
    io: { inputs: { logits, x, stats }, output: bufs.perExample, outputFloats: 2 * B, more: [{ buffer: bufs.loss, floats: 4 }] },
    tolerance: () => objectiveTolerance(D + Z, B),
    inexact: isSubgroup,
    destroy: () => { for (const b of Object.values(bufs)) b.destroy(); },
  };
};

/**
 * The importance-weighted objective on batch·samples rows, Bernoulli likelihood, β = 1: the
 * per-example terms (B×4), the loss (4 floats) and the normalised weights ŵ (B·k) checked.
 */
export const iwaeObjectiveTunable: Tunable = (rt, shape) => {
  const B = num(shape, 'batch'), K = num(shape, 'samples'), D = num(shape, 'dim'), Z = num(shape, 'latent');
  const R = B * K;
  const logits = scratchData(R * D, 1), x = unitData(B * D, 2), stats = scratchData(2 * B * Z, 3), eps = scratchData(R * Z, 4);
  const bufs = {
    logits: scratchWith(rt, logits, 'tune logits'), x: scratchWith(rt, x, 'tune x'), stats: scratchWith(rt, stats, 'tune stats'), eps: scratchWith(rt, eps, 'tune eps'),
    dlogits: scratch(rt, R * D, 5, 'tune dlogits'), weights: scratch(rt, R, 6, 'tune weights'),
    perExample: scratch(rt, 4 * B, 7, 'tune terms'), loss: scratch(rt, 4, 8, 'tune loss'), totals: scratch(rt, 4, 9, 'tune totals'),
  };
  return {
    prepare: (c) => prepareIwaeObjective(rt, { batch: B, samples: K, dim: D, latent: Z, schedule: c as SubgroupReductionSchedule }, bufs, `tune iwae_objective ${c}`),
    io: { inputs: { logits, x, stats, eps }, output: bufs.perExample, outputFloats: 4 * B, more: [{ buffer: bufs.loss, floats: 4 }, { buffer: bufs.weights, floats: R }] },
    tolerance: () => objectiveTolerance(D + Z, B + K),
    inexact: isSubgroup,
    destroy: () => { for (const b of Object.values(bufs)) b.destroy(); },
  };
};

/** The built-in tunable kernels, by the names their requests carry. */
export const TUNABLES: Readonly<Record<string, Tunable>> = {
  matmul: matmulTunable,
  bias_grad: biasGradTunable,
  grad_norm: gradNormTunable,
  elbo: elboTunable,
  iwae_objective: iwaeObjectiveTunable,
  conv2d: convTunable('outSide', (g) => g.kH * g.kW * g.inC, (rt, g, b, c) => prepareConvRelationForward(rt, g, { x: b.inSide, w: b.w, y: b.outSide }, convCandidateOptions(c), `tune conv2d ${c}`)),
  conv2d_transpose: convTunable('inSide', (g) => g.kH * g.kW * g.outC, (rt, g, b, c) => prepareConvRelationTranspose(rt, g, { g: b.outSide, w: b.w, r: b.inSide }, convCandidateOptions(c), `tune conv2d_transpose ${c}`)),
  conv2d_weight_grad: convTunable('w', (g) => g.batch * g.outH * g.outW, (rt, g, b, c) => prepareConvRelationWeightGrad(rt, g, { x: b.inSide, g: b.outSide, dW: b.w }, weightGradCandidateOptions(c, g), `tune conv2d_weight_grad ${c}`)),
};

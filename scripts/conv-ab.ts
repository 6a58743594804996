// Measures the conv layouts and methods on the conv preset's layers (batch 128 by default) on the
// adapter at hand, to choose them (docs/CONV.md holds the figures): a direct convolution (one
// invocation per output, scripts/conv-ab/direct.wgsl) in NCHW and in NHWC, against the library's
// implicit GEMMs in NHWC with both schedules ('tiled': workgroup memory; 'blocked': registers); then
// every backward kernel of the layers with both schedules, and the weight gradient with one split.
// With --against REV: this tree's conv kernels (and tiled matmul) against REV's, the same dispatches
// interleaved round by round (the machine is loaded and absolute times drift), and the rule's whole
// conv step per schedule; REV's shaders are read with `git show`, nothing is copied.
//   node scripts/build-node.mjs scripts/conv-ab.ts dist/bench/conv-ab.mjs
//   node dist/bench/conv-ab.mjs [--driver lavapipe|swiftshader] [--batch 128] [--rounds 3] [--against c6bdbbe [--schedules tiled,blocked]]
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import directSource from './conv-ab/direct.wgsl?raw';
import { acquireDevice, describeAdapter, type SoftwareDriver } from '../src/gpu/device';
import { Runtime, encodeDispatches, type Dispatch } from '../src/gpu/runtime';
import type { KernelDecl } from '../src/gpu/kernel';
import { readFloats, storageBuffer, storageFrom } from '../src/gpu/buffers';
import { conv2dGeometry, convFlops, convSizes, convTranspose2dGeometry, type ConvGeometry } from '../src/kernels/conv-shape';
import { CONV2D, CONV2D_TRANSPOSE, CONV_DIMS, convDims, prepareConvRelationForward, prepareConvRelationTranspose } from '../src/kernels/conv2d';
import { shader } from '../src/kernels/shader-lib';
import { CONV2D_WEIGHT_GRAD, prepareConvRelationWeightGrad, weightGradSplits } from '../src/kernels/conv2d-grad';
import { MATMUL, prepareMatmul, type PreparedOp } from '../src/kernels/matmul';
import { sample, type SampleOptions } from '../bench/timing';

const { values } = parseArgs({ options: { driver: { type: 'string' }, batch: { type: 'string' }, rounds: { type: 'string' }, against: { type: 'string' }, schedules: { type: 'string' } } });
const batch = Number(values.batch ?? 128);
const rounds = Number(values.rounds ?? 3);
const ctx = await acquireDevice({ softwareDriver: (values.driver ?? 'auto') as SoftwareDriver });
const device = ctx.device;
const rt = Runtime.forContext(ctx);
console.log(`adapter: ${describeAdapter(ctx.adapterInfo)}; batch ${batch}; median of ${rounds} rounds, each the median of its samples`);

const DIRECT: KernelDecl = {
  name: 'conv-ab/direct', source: shader('conv-ab/direct', directSource), entryPoints: ['main'],
  bindings: [
    CONV_DIMS, { binding: 1, name: 'X', type: 'read-only-storage' },
    { binding: 2, name: 'Wt', type: 'read-only-storage' }, { binding: 3, name: 'Y', type: 'storage' },
  ],
  overrides: ['NHWC', 'TRANSPOSED'], workgroupSize: [64, 1],
};

// The preset's layers as convolution relations (a transposed conv's output is the relation's input).
const layers: { name: string; transposed: boolean; g: ConvGeometry }[] = [
  { name: 'enc Conv(32) 28→14', transposed: false, g: conv2dGeometry('l1', { batch, inH: 28, inW: 28, inC: 1, outC: 32, kernel: 4, stride: 2, padding: 1 }) },
  { name: 'enc Conv(64) 14→7', transposed: false, g: conv2dGeometry('l2', { batch, inH: 14, inW: 14, inC: 32, outC: 64, kernel: 4, stride: 2, padding: 1 }) },
  { name: 'dec ConvT(32) 7→14', transposed: true, g: convTranspose2dGeometry('l3', { batch, inH: 7, inW: 7, inC: 64, outC: 32, kernel: 4, stride: 2, padding: 1 }) },
  { name: 'dec ConvT(1) 14→28', transposed: true, g: convTranspose2dGeometry('l4', { batch, inH: 14, inW: 14, inC: 32, outC: 1, kernel: 4, stride: 2, padding: 1 }) },
];

let seed = 1;
function filled(n: number): GPUBuffer {
  let s = (seed++ * 2654435761) >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s >>> 8) / 16777216 - 0.5;
  }
  return storageFrom(device, a, 'ab input');
}

const OPTS: SampleOptions = { warmup: 2, minRuns: 3, maxRuns: 7, budgetMs: 400, sampleMs: 40 };

async function time(dispatches: readonly Dispatch[]): Promise<number> {
  const run = async (inner: number) => {
    const start = performance.now();
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (let i = 0; i < inner; i++) encodeDispatches(pass, dispatches);
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return { wallMs: performance.now() - start };
  };
  return (await sample(run, OPTS)).wall.median;
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rows: string[] = [];
function report(layer: string, what: string, ms: number, flops: number) {
  const line = `| ${layer} | ${what} | ${ms.toFixed(2)} | ${(flops / (ms * 1e6)).toFixed(2)} |`;
  rows.push(line);
  console.log(line);
}

/** Times candidates interleaved round by round, so a load change on the machine hits all of them. */
async function compare(layer: string, flops: number, candidates: [string, PreparedOp][]) {
  const t = await interleaved(candidates.map(([, op]) => op));
  candidates.forEach(([what, op], i) => { report(layer, what, t[i], flops); op.destroy(); });
}

function direct(g: ConvGeometry, transposed: boolean, nhwc: boolean, x: GPUBuffer, w: GPUBuffer, y: GPUBuffer): PreparedOp {
  const dims = convDims(rt, DIRECT, g, {}, 'direct');
  const sz = convSizes(g);
  const outputs = transposed ? sz.in : sz.out;
  const d: Dispatch = {
    label: 'direct', pipeline: rt.pipeline(DIRECT, 'main', { NHWC: nhwc, TRANSPOSED: transposed }),
    bindGroup: rt.bindGroup(DIRECT, { dims: dims.buffer, X: x, Wt: w, Y: y }), workgroups: rt.grid(Math.ceil(outputs / 64)),
  };
  return { dispatches: [d], destroy: () => dims.destroy() };
}

if (values.against) await againstRevision(values.against);
else await layoutsAndMethods();
rt.destroy();
ctx.destroy();

async function layoutsAndMethods() {
  console.log('| layer | kernel | ms | GFLOP/s |\n|---|---|---|---|');
  for (const { name, transposed, g } of layers) {
    const sz = convSizes(g);
    const flops = convFlops(g);
    const src = filled(transposed ? sz.out : sz.in), w = filled(sz.weights);
    const dst = storageBuffer(device, transposed ? sz.in : sz.out, 'dst');
    const gemm = (schedule: 'tiled' | 'blocked', lanesAlongRows?: boolean) => transposed
      ? prepareConvRelationTranspose(rt, g, { g: src, w, r: dst }, { schedule, lanesAlongRows }, name)
      : prepareConvRelationForward(rt, g, { x: src, w, y: dst }, { schedule, lanesAlongRows }, name);
    // The same GEMM as an explicit matmul (its im2col not counted): M rows, N channels, K taps × channels
    // (for a transposed conv, the taps one sub-pixel phase meets).
    const [M, N, K] = transposed
      ? [batch * g.inH * g.inW, g.inC, Math.ceil(g.kH / g.strideH) * Math.ceil(g.kW / g.strideW) * g.outC]
      : [batch * g.outH * g.outW, g.outC, g.kH * g.kW * g.inC];
    const mA = filled(M * K), mB = filled(K * N), mC = storageBuffer(device, M * N, 'mm C');
    await compare(name, flops, [
      [`forward: matmul on the same GEMM ${M}×${N}×${K}, im2col excluded`, prepareMatmul(rt, { M, N, K }, { a: mA, b: mB, c: mC })],
      ['forward: direct NCHW', direct(g, transposed, false, src, w, dst)],
      ['forward: direct NHWC', direct(g, transposed, true, src, w, dst)],
      ['forward: implicit GEMM NHWC tiled', gemm('tiled')],
      ['forward: implicit GEMM NHWC blocked, lanes along channels', gemm('blocked', false)],
      ['forward: implicit GEMM NHWC blocked, lanes along rows', gemm('blocked', true)],
    ]);
    // Backward: the input gradient (the other kernel of the pair) and the weight gradient.
    const din = filled(transposed ? sz.in : sz.out), dout = storageBuffer(device, transposed ? sz.out : sz.in, 'dx');
    const xin = transposed ? src : filled(sz.in), gout = transposed ? din : filled(sz.out);
    const dW = storageBuffer(device, sz.weights, 'dW');
    const dx = (schedule: 'tiled' | 'blocked', lanesAlongRows?: boolean) => transposed
      ? prepareConvRelationForward(rt, g, { x: din, w, y: dout }, { schedule, lanesAlongRows }, name)
      : prepareConvRelationTranspose(rt, g, { g: din, w, r: dout }, { schedule, lanesAlongRows }, name);
    const wg = (schedule: 'tiled' | 'blocked', splits?: number) =>
      prepareConvRelationWeightGrad(rt, g, { x: transposed ? din : xin, g: transposed ? src : gout, dW }, { schedule, splits }, name);
    const cands: [string, PreparedOp][] = [];
    if (!(name.startsWith('enc Conv(32)'))) cands.push(['dx tiled', dx('tiled')], ['dx blocked, lanes along channels', dx('blocked', false)], ['dx blocked, lanes along rows', dx('blocked', true)]);
    cands.push(
      [`dW tiled, ${weightGradSplits(g, 'tiled')} splits`, wg('tiled')],
      ['dW tiled, 1 split', wg('tiled', 1)],
      ['dW blocked, 1 split', wg('blocked', 1)],
      ['dW blocked, 4 splits', wg('blocked', 4)],
      ['dW blocked, 16 splits', wg('blocked', 16)],
    );
    await compare(name, flops, cands);
    for (const b of new Set([src, w, dst, din, dout, xin, gout, dW, mA, mB, mC])) b.destroy();
  }
}

/** A kernel as REV had it: its shader file there (no includes then), this tree's bindings (the same). */
function oldKernel(rev: string, now: KernelDecl, overrides: string[], prefix = ''): KernelDecl {
  const show = (file: string) => execFileSync('git', ['show', `${rev}:shaders/${file}.wgsl`], { encoding: 'utf8' });
  return { ...now, name: `${now.name}@${rev}`, source: prefix + show(now.name), overrides };
}

/** The same dispatches on REV's kernel: its pipeline for each entry, the overrides REV had. */
function onOld(op: PreparedOp, old: KernelDecl, overrides: (entry: string) => Record<string, number | boolean>): PreparedOp {
  return {
    dispatches: op.dispatches.map((d) => {
      const entry = d.pipeline.label.split(':')[1];
      return { ...d, label: `${d.label} @old`, pipeline: rt.pipeline(old, entry, overrides(entry)) };
    }),
    destroy: () => {},
  };
}

async function againstRevision(rev: string) {
  // REV's matmul had the activation preamble prepended by src/kernels/activation.ts.
  const actPrefix = 'override ACT: u32 = 0u;\n' + ['IDENTITY', 'RELU', 'TANH', 'SIGMOID', 'SOFTPLUS'].map((a, i) => `const ACT_${a}: u32 = ${i}u;`).join('\n') +
    '\n' + execFileSync('git', ['show', `${rev}:shaders/activation.wgsl`], { encoding: 'utf8' }) + '\n';
  const old = {
    conv2d: oldKernel(rev, CONV2D, ['HAS_BIAS', 'ACT', 'LANES_ALONG_ROWS']),
    conv2d_transpose: oldKernel(rev, CONV2D_TRANSPOSE, ['HAS_BIAS', 'ACT', 'LANES_ALONG_ROWS']),
    conv2d_weight_grad: oldKernel(rev, CONV2D_WEIGHT_GRAD, []),
    matmul: oldKernel(rev, MATMUL, ['TRANS_A', 'TRANS_B', 'HAS_BIAS', 'ACT', 'WG_X', 'WG_Y', 'RN', 'TK'], actPrefix),
  };
  console.log(`| layer | kernel | ${rev} ms | now ms | now / ${rev} (median of the rounds' ratios) | outputs |\n|---|---|---|---|---|---|`);
  const schedules = (values.schedules ?? 'tiled,blocked').split(',') as ('tiled' | 'blocked')[];
  const step = { tiled: [0, 0], blocked: [0, 0] };
  for (const { name, transposed, g } of layers) {
    const sz = convSizes(g);
    const inSide = filled(sz.in), outSide = filled(sz.out), w = filled(sz.weights), bias = filled(Math.max(g.inC, g.outC)), dW = storageBuffer(device, sz.weights, 'dW');
    for (const schedule of schedules) {
      const act = transposed && g.inC === 1 ? 'identity' : 'relu';
      // The layer's forward (with bias and its activation), its input gradient and its weight gradient.
      // [what, op, REV's kernel, the buffer it writes]
      const kernels: [string, PreparedOp, KernelDecl, GPUBuffer][] = transposed
        ? [
          ['forward', prepareConvRelationTranspose(rt, g, { g: outSide, w, bias, r: inSide }, { schedule, activation: act }, name), old.conv2d_transpose, inSide],
          ['dx', prepareConvRelationForward(rt, g, { x: inSide, w, y: outSide }, { schedule }, name), old.conv2d, outSide],
        ]
        : [
          ['forward', prepareConvRelationForward(rt, g, { x: inSide, w, bias, y: outSide }, { schedule, activation: act }, name), old.conv2d, outSide],
          ['dx', prepareConvRelationTranspose(rt, g, { g: outSide, w, r: inSide }, { schedule }, name), old.conv2d_transpose, inSide],
        ];
      kernels.push(['dW', prepareConvRelationWeightGrad(rt, g, { x: inSide, g: outSide, dW }, { schedule }, name), old.conv2d_weight_grad, dW]);
      for (const [what, op, oldK, out] of kernels) {
        // The tiled input gradient of a one-channel conv (seconds on lavapipe) is never the choice there.
        if (what === 'dx' && schedule === 'tiled' && g.inC === 1 && !transposed) { op.destroy(); continue; }
        const fused: Record<string, number | boolean> = what === 'forward' ? { HAS_BIAS: true, ACT: act === 'relu' ? 1 : 0 } : oldK === old.conv2d_weight_grad ? {} : { HAS_BIAS: false, ACT: 0 };
        const before = onOld(op, oldK, (entry) => (entry === 'main_cpu' && oldK !== old.conv2d_weight_grad ? { ...fused, LANES_ALONG_ROWS: true } : entry === 'reduce_splits' ? {} : fused));
        const bits = await sameBits(before, op, out);
        const [tOld, tNew] = await interleaved([before, op], true);
        step[schedule][0] += med(tOld);
        step[schedule][1] += med(tNew);
        abRow(name, `${what} ${schedule}`, tOld, tNew, bits);
        op.destroy();
      }
    }
    for (const b of [inSide, outSide, w, bias, dW]) b.destroy();
  }
  for (const schedule of schedules) {
    const [a, b] = step[schedule];
    console.log(`| conv step, every layer | all conv kernels ${schedule} (sums of the medians) | ${a.toFixed(3)} | ${b.toFixed(3)} | ${(b / a).toFixed(3)} |`);
  }
  // The tiled matmul (its tile is lib/gemm_tile.wgsl's now) on the preset's dense layers.
  for (const [M, N, K] of [[batch, 40, 3136], [batch, 3136, 20], [3136, 20, batch]]) {
    const a = filled(M * K), b = filled(K * N), c = storageBuffer(device, M * N, 'C');
    const op = prepareMatmul(rt, { M, N, K, schedule: 'tiled' }, { a, b, c });
    const before = onOld(op, old.matmul, () => ({ TRANS_A: false, TRANS_B: false, HAS_BIAS: false, ACT: 0, WG_X: 16, WG_Y: 16, RN: 4, TK: 16 }));
    const bits = await sameBits(before, op, c);
    const [tOld, tNew] = await interleaved([before, op], true);
    abRow(`dense ${M}×${N}×${K}`, 'matmul tiled', tOld, tNew, bits);
    op.destroy();
    for (const x of [a, b, c]) x.destroy();
  }
}

/** Each op's ms in every round (or their median), the ops timed one after another in each round. */
async function interleaved(ops: PreparedOp[]): Promise<number[]>;
async function interleaved(ops: PreparedOp[], perRound: true): Promise<number[][]>;
async function interleaved(ops: PreparedOp[], perRound = false): Promise<number[] | number[][]> {
  const t = ops.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) for (let i = 0; i < ops.length; i++) t[i].push(await time(ops[i].dispatches));
  return perRound ? t : t.map(med);
}

/** A row of the A/B: both medians, the median of the rounds' ratios (a load change hits both of a round), the outputs' bits. */
function abRow(layer: string, what: string, before: number[], now: number[], bits: string) {
  const ratio = med(now.map((x, r) => x / before[r]));
  console.log(`| ${layer} | ${what} | ${med(before).toFixed(3)} | ${med(now).toFixed(3)} | ${ratio.toFixed(3)} | ${bits} |`);
}

/** Runs REV's op, then this tree's, on the same inputs: whether `out` comes out bit for bit the same. */
async function sameBits(before: PreparedOp, now: PreparedOp, out: GPUBuffer): Promise<string> {
  const run = async (op: PreparedOp) => {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encodeDispatches(pass, op.dispatches);
    pass.end();
    device.queue.submit([encoder.finish()]);
    return new Uint32Array((await readFloats(device, out, out.size / 4)).buffer);
  };
  const a = await run(before), b = await run(now);
  const differ = a.filter((x, i) => x !== b[i]).length;
  return differ === 0 ? 'identical' : `${differ} of ${a.length} differ`;
}


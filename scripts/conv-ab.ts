// Measures the conv layouts and methods on the conv preset's layers (batch 128 by default) on the
// adapter at hand, to choose them (docs/CONV.md holds the figures): a direct convolution (one
// invocation per output, scripts/conv-ab/direct.wgsl) in NCHW and in NHWC, against the library's
// implicit GEMMs in NHWC with both schedules ('tiled': workgroup memory; 'blocked': registers); then
// every backward kernel of the layers with both schedules, and the weight gradient with one split.
//   node scripts/build-node.mjs scripts/conv-ab.ts dist/bench/conv-ab.mjs
//   node dist/bench/conv-ab.mjs [--driver lavapipe|swiftshader] [--batch 128] [--rounds 3]
import { parseArgs } from 'node:util';
import directSource from './conv-ab/direct.wgsl?raw';
import { acquireDevice, describeAdapter, type SoftwareDriver } from '../src/gpu/device';
import { Runtime, encodeDispatches, type Dispatch } from '../src/gpu/runtime';
import type { KernelDecl } from '../src/gpu/kernel';
import { storageBuffer, storageFrom } from '../src/gpu/buffers';
import { conv2dGeometry, convFlops, convSizes, convTranspose2dGeometry, type ConvGeometry } from '../src/kernels/conv-shape';
import { packConvDims, prepareConvRelationForward, prepareConvRelationTranspose } from '../src/kernels/conv2d';
import { prepareConvRelationWeightGrad, weightGradSplits } from '../src/kernels/conv2d-grad';
import { prepareMatmul, type PreparedOp } from '../src/kernels/matmul';
import { sample, type SampleOptions } from '../bench/timing';

const { values } = parseArgs({ options: { driver: { type: 'string' }, batch: { type: 'string' }, rounds: { type: 'string' } } });
const batch = Number(values.batch ?? 128);
const rounds = Number(values.rounds ?? 3);
const ctx = await acquireDevice({ softwareDriver: (values.driver ?? 'auto') as SoftwareDriver });
const device = ctx.device;
const rt = Runtime.forContext(ctx);
console.log(`adapter: ${describeAdapter(ctx.adapterInfo)}; batch ${batch}; median of ${rounds} rounds, each the median of its samples`);

const DIRECT: KernelDecl = {
  name: 'conv-ab/direct', source: directSource, entryPoints: ['main'],
  bindings: [
    { binding: 0, name: 'dims', type: 'uniform' }, { binding: 1, name: 'X', type: 'read-only-storage' },
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
  const t = candidates.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < candidates.length; i++) t[i].push(await time(candidates[i][1].dispatches));
  }
  candidates.forEach(([what, op], i) => { report(layer, what, med(t[i]), flops); op.destroy(); });
}

function direct(g: ConvGeometry, transposed: boolean, nhwc: boolean, x: GPUBuffer, w: GPUBuffer, y: GPUBuffer): PreparedOp {
  const dims = rt.uniform('direct dims', packConvDims(g, [0, 0, 0]));
  const sz = convSizes(g);
  const outputs = transposed ? sz.in : sz.out;
  const d: Dispatch = {
    label: 'direct', pipeline: rt.pipeline(DIRECT, 'main', { NHWC: nhwc, TRANSPOSED: transposed }),
    bindGroup: rt.bindGroup(DIRECT, { dims, X: x, Wt: w, Y: y }), workgroups: rt.grid(Math.ceil(outputs / 64)),
  };
  return { dispatches: [d], destroy: () => dims.destroy() };
}

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
rt.destroy();
ctx.destroy();

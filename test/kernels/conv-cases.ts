// The conv kernels run on the GPU beside their float64 CPU twins on seeded inputs, returning the
// comparisons to judge (as test/kernels/cases.ts does for the others): shared by the Node tests
// (test/gpu/conv2d*.test.ts) and the browser test page. Outputs are NaN-poisoned, every GPU action
// runs inside error scopes that must pop empty.
import { readFloats, storageFrom } from '../../src/gpu/buffers';
import type { Runtime } from '../../src/gpu/runtime';
import type { ReductionSchedule } from '../../src/gpu/kernel';
import { conv2dGeometry, convSizes, convTranspose2dGeometry, type Conv2dShape, type ConvGeometry, type ConvTranspose2dShape } from '../../src/kernels/conv-shape';
import { prepareConv2d, prepareConv2dInputGrad, prepareConvTranspose2d, prepareConvTranspose2dInputGrad, type ConvSchedule } from '../../src/kernels/conv2d';
import { prepareConv2dWeightGrad, prepareConvBiasGrad, prepareConvTranspose2dWeightGrad } from '../../src/kernels/conv2d-grad';
import type { GemmTileId, PreparedOp } from '../../src/kernels/matmul';
import { conv2d, conv2dTranspose, conv2dWeightGrad } from '../../src/cpu/conv2d';
import { convBackward, convForward, convTransposeBackward, convTransposeForward } from '../../src/cpu/conv-layer';
import { matmulTolerance, type Comparison } from './cases';
import { uniformArray } from '../util/random';
import { poisoned, scoped, submit } from '../gpu/gpu-scope';

export type ConvKind = 'conv' | 'convT';

export interface ConvCase {
  kind: ConvKind;
  shape: ConvTranspose2dShape;
  bias: boolean;
  schedule: ConvSchedule;
  /** Depth splits of the weight gradient (default: the wrapper's choice). */
  splits?: number;
  /** The blocked schedule's lane order (default: the wrapper's choice). */
  lanesAlongRows?: boolean;
  /** The tiled schedule's tile (default: the rule's). */
  tile?: GemmTileId;
}

export const geometry = (c: ConvCase): ConvGeometry => (c.kind === 'conv' ? conv2dGeometry('case', c.shape) : convTranspose2dGeometry('case', c.shape));

export function describeCase(c: ConvCase): string {
  const s = c.shape;
  const g = geometry(c);
  const [outH, outW] = c.kind === 'conv' ? [g.outH, g.outW] : [g.inH, g.inW];
  const pad = s.outputPadding ? ` op${s.outputPadding}` : '';
  const lanes = c.lanesAlongRows === undefined ? '' : c.lanesAlongRows ? ', lanes along rows' : ', lanes along channels';
  const tile = c.tile && c.tile !== 'tiled' ? ` ${c.tile}` : '';
  return `${c.kind}[${c.schedule}${tile}${lanes}] B${s.batch} ${s.inH}×${s.inW}×${s.inC}→${outH}×${outW}×${s.outC} k${s.kernel} s${s.stride ?? 1} p${s.padding ?? 0}${pad} ${s.activation ?? 'identity'}${c.bias ? '+bias' : ''}`;
}

/** Runs prepared ops on uploaded inputs and reads back the named outputs (poisoned before). */
async function runOps(
  device: GPUDevice,
  inputs: Record<string, ArrayLike<number>>,
  outputs: Record<string, number>,
  prepare: (b: Record<string, GPUBuffer>) => PreparedOp[],
): Promise<Record<string, Float32Array>> {
  return scoped(device, async () => {
    const bufs: Record<string, GPUBuffer> = {};
    for (const [k, v] of Object.entries(inputs)) bufs[k] = storageFrom(device, v, k);
    for (const [k, n] of Object.entries(outputs)) bufs[k] = poisoned(device, n, k);
    const ops = prepare(bufs);
    await submit(device, ops.flatMap((o) => o.dispatches));
    const out: Record<string, Float32Array> = {};
    for (const [k, n] of Object.entries(outputs)) out[k] = await readFloats(device, bufs[k], n);
    ops.forEach((o) => o.destroy());
    Object.values(bufs).forEach((b) => b.destroy());
    return out;
  });
}

/** The forward kernel of a conv or transposed conv (bias and activation fused) against its twin. */
export async function convForwardCase(device: GPUDevice, rt: Runtime, c: ConvCase, seed: number): Promise<Comparison[]> {
  const g = geometry(c);
  const sz = convSizes(g);
  const conv = c.kind === 'conv';
  const x = uniformArray(conv ? sz.in : sz.out, seed);
  const w = uniformArray(sz.weights, seed + 1);
  const bias = c.bias ? uniformArray(conv ? g.outC : g.inC, seed + 2) : null;
  const act = c.shape.activation ?? 'identity';
  const want = conv ? conv2d(x, w, bias, g, act) : conv2dTranspose(x, w, bias, g, act);
  const shape = { ...c.shape, schedule: c.schedule, tile: c.tile, lanesAlongRows: c.lanesAlongRows };
  const got = await runOps(device, { x, w, ...(bias ? { bias } : {}) }, { y: want.length }, (b) => [
    conv ? prepareConv2d(rt, shape, { x: b.x, w: b.w, bias: b.bias, y: b.y }) : prepareConvTranspose2d(rt, shape, { x: b.x, w: b.w, bias: b.bias, y: b.y }),
  ]);
  const depth = conv ? g.kH * g.kW * g.inC : Math.ceil(g.kH / g.strideH) * Math.ceil(g.kW / g.strideW) * g.outC;
  return [{ name: `${describeCase(c)} forward`, got: got.y, want, ...matmulTolerance(depth) }];
}

/** The input-gradient kernel (dx from dPre) and the weight-gradient kernel (dW) each against its twin. */
export async function convGradKernelsCase(device: GPUDevice, rt: Runtime, c: ConvCase, seed: number): Promise<Comparison[]> {
  const g = geometry(c);
  const sz = convSizes(g);
  const conv = c.kind === 'conv';
  // conv: x is the relation's input, dPre its output; convT the other way round.
  const x = uniformArray(conv ? sz.in : sz.out, seed);
  const w = uniformArray(sz.weights, seed + 1);
  const dPre = uniformArray(conv ? sz.out : sz.in, seed + 2);
  const wantDx = conv ? conv2dTranspose(dPre, w, null, g) : conv2d(dPre, w, null, g);
  const wantDw = conv ? conv2dWeightGrad(x, dPre, g) : conv2dWeightGrad(dPre, x, g);
  const shape = { ...c.shape, schedule: c.schedule, tile: c.tile, splits: c.splits, lanesAlongRows: c.lanesAlongRows };
  const got = await runOps(device, { x, w, dPre }, { dx: wantDx.length, dW: wantDw.length }, (b) =>
    conv
      ? [prepareConv2dInputGrad(rt, shape, { dPre: b.dPre, w: b.w, dx: b.dx }), prepareConv2dWeightGrad(rt, shape, { x: b.x, dPre: b.dPre, dW: b.dW })]
      : [prepareConvTranspose2dInputGrad(rt, shape, { dPre: b.dPre, w: b.w, dx: b.dx }), prepareConvTranspose2dWeightGrad(rt, shape, { x: b.x, dPre: b.dPre, dW: b.dW })],
  );
  const dxDepth = conv ? Math.ceil(g.kH / g.strideH) * Math.ceil(g.kW / g.strideW) * g.outC : g.kH * g.kW * g.inC;
  const name = describeCase(c) + (c.splits ? ` splits ${c.splits}` : '');
  return [
    { name: `${name} dx`, got: got.dx, want: wantDx, ...matmulTolerance(dxDepth) },
    { name: `${name} dW`, got: got.dW, want: wantDw, ...matmulTolerance(g.batch * g.outH * g.outW) },
  ];
}

/**
 * A whole layer's backward on the GPU — bias_grad.wgsl over B·H·W rows (activation backward fused),
 * then the input and weight gradients from its dPre — against the CPU layer backward.
 */
export async function convLayerBackwardCase(
  device: GPUDevice,
  rt: Runtime,
  c: ConvCase,
  seed: number,
  reduction: ReductionSchedule = 'auto',
): Promise<Comparison[]> {
  const g = geometry(c);
  const sz = convSizes(g);
  const conv = c.kind === 'conv';
  const s: Conv2dShape = c.shape;
  const x = uniformArray(conv ? sz.in : sz.out, seed);
  const w = uniformArray(sz.weights, seed + 1, -0.5, 0.5);
  const b = uniformArray(conv ? g.outC : g.inC, seed + 2);
  const y = Float32Array.from(conv ? convForward(x, w, b, s) : convTransposeForward(x, w, b, c.shape));
  const dy = uniformArray(y.length, seed + 3);
  const want = conv ? convBackward(x, w, y, dy, s) : convTransposeBackward(x, w, y, dy, c.shape);
  const [rows, ch] = conv ? [g.batch * g.outH * g.outW, g.outC] : [g.batch * g.inH * g.inW, g.inC];
  const shape = { ...c.shape, schedule: c.schedule, splits: c.splits, lanesAlongRows: c.lanesAlongRows };
  // With the identity, bias_grad writes no dPre: it is dy itself (as for the linear layers).
  const identity = (s.activation ?? 'identity') === 'identity';
  const got = await runOps(device, { x, w, y, dy }, { dPre: y.length, db: ch, dx: x.length, dW: w.length }, (bf) => {
    const dPre = identity ? bf.dy : bf.dPre;
    return [
      prepareConvBiasGrad(rt, { batch: g.batch, h: rows / g.batch, w: 1, c: ch, activation: s.activation, schedule: reduction }, identity ? { dY: bf.dy, dBias: bf.db } : { dY: bf.dy, y: bf.y, dPre, dBias: bf.db }),
      ...(conv
        ? [prepareConv2dInputGrad(rt, shape, { dPre, w: bf.w, dx: bf.dx }), prepareConv2dWeightGrad(rt, shape, { x: bf.x, dPre, dW: bf.dW })]
        : [prepareConvTranspose2dInputGrad(rt, shape, { dPre, w: bf.w, dx: bf.dx }), prepareConvTranspose2dWeightGrad(rt, shape, { x: bf.x, dPre, dW: bf.dW })]),
    ];
  });
  const name = `${describeCase(c)} layer backward`;
  const dxDepth = conv ? Math.ceil(g.kH / g.strideH) * Math.ceil(g.kW / g.strideW) * g.outC : g.kH * g.kW * g.inC;
  return [
    { name: `${name} db`, got: got.db, want: want.db, ...matmulTolerance(rows) },
    { name: `${name} dx`, got: got.dx, want: want.dx, ...matmulTolerance(dxDepth) },
    { name: `${name} dW`, got: got.dW, want: want.dW, ...matmulTolerance(g.batch * g.outH * g.outW) },
  ];
}

// The conv weight-gradient kernel as data (shaders/conv2d_weight_grad.wgsl) and its wrappers for the
// conv and the transposed conv, plus the conv bias gradient: in NHWC it is bias_grad.wgsl itself
// (rows = B·H·W positions, columns = channels), so no new kernel is needed for it.
import source from '../../shaders/conv2d_weight_grad.wgsl?raw';
import type { BufferArg, KernelDecl, ReductionSchedule } from '../gpu/kernel';
import type { Runtime } from '../gpu/runtime';
import type { Activation } from './activation';
import { prepareBiasGrad, type BiasGradBuffers } from './bias-grad';
import { requireFloats, requirePositiveInt } from './checks';
import { conv2dGeometry, convSizes, convTranspose2dGeometry, type Conv2dShape, type ConvGeometry, type ConvTranspose2dShape } from './conv-shape';
import { autoConvSchedule, checkGrid, CONV_DIMS, CONV_TILE, convDims, convShapeClass, convTile, convTileOverrides, describeIn, describeOut, describeWeights, type ConvOptions } from './conv2d';
import { f16Candidates, gemmKernel, gemmTile, TILED_CANDIDATES, type GemmTileId, type PreparedOp } from './matmul';
import { shader, shaderF16 } from './shader-lib';

export const CONV2D_WEIGHT_GRAD: KernelDecl = {
  name: 'conv2d_weight_grad',
  source: shader('conv2d_weight_grad', source),
  entryPoints: ['main', 'main_cpu', 'reduce_splits'],
  bindings: [
    CONV_DIMS,
    { binding: 1, name: 'X', type: 'read-only-storage' },
    { binding: 2, name: 'G', type: 'read-only-storage' },
    { binding: 3, name: 'partial', type: 'storage' },
    { binding: 4, name: 'dW', type: 'storage' },
  ],
  overrides: ['TRANS_A', 'TRANS_B', 'WG_X', 'WG_Y', 'RN', 'TK'],
  workgroupSize: [16, 16],
  entryWorkgroupSizes: { main_cpu: [8, 1], reduce_splits: [64, 1] },
};

/** The f16 variant (tiles staged as f16, f32 sums; devices with shader-f16 only). */
export const CONV2D_WEIGHT_GRAD_F16: KernelDecl = { ...CONV2D_WEIGHT_GRAD, name: 'conv2d_weight_grad_f16', source: shaderF16('conv2d_weight_grad', source) };

/** Workgroups the split along the depth aims for, per schedule, and the least depth per split. */
export const WEIGHT_GRAD_SPLIT = { target: { tiled: 256, blocked: 64 }, minChunk: 256 } as const;

/**
 * How many depth splits: enough workgroups to fill the device (the GEMM is small — M = KH·KW·C,
 * N = O — and deep — K = B·OH·OW), but never a chunk shorter than WEIGHT_GRAD_SPLIT.minChunk.
 */
export function weightGradSplits(g: ConvGeometry, schedule: 'tiled' | 'blocked', tileId: GemmTileId = 'tiled'): number {
  const tile = schedule === 'tiled' ? convTile(tileId).tiled : CONV_TILE.blocked;
  const tiles = Math.ceil(g.outC / tile.cols) * Math.ceil((g.kH * g.kW * g.inC) / tile.rows);
  const K = g.batch * g.outH * g.outW;
  return Math.max(1, Math.min(Math.ceil(WEIGHT_GRAD_SPLIT.target[schedule] / tiles), Math.floor(K / WEIGHT_GRAD_SPLIT.minChunk)));
}

/**
 * The weight gradient's candidates for a tuner: every tiled schedule (TILED_SCHEDULES) with its
 * default split, the rule's tile with one split, blocked with its default split, one split and four
 * times the default; the rule's ('tiled' or 'blocked') among them.
 */
export const WEIGHT_GRAD_CANDIDATES = [...TILED_CANDIDATES, 'tiled-s1', 'blocked', 'blocked-s1', 'blocked-s4x'] as const;

/** WEIGHT_GRAD_CANDIDATES and the f16 tiles this runtime's device can run (shader-f16), with their default splits. */
export const weightGradCandidates = (rt: Runtime): string[] => [...WEIGHT_GRAD_CANDIDATES, ...f16Candidates(rt)];

/** The wrapper options a candidate stands for on geometry `g`. */
export function weightGradCandidateOptions(id: string, g: ConvGeometry): { schedule: 'tiled' | 'blocked'; tile?: GemmTileId; splits: number } {
  if (gemmTile(id)) return { schedule: 'tiled', tile: id as GemmTileId, splits: weightGradSplits(g, 'tiled', id as GemmTileId) };
  const m = /^(tiled|blocked)(?:-(s1|s4x))?$/.exec(id);
  if (!m || !(WEIGHT_GRAD_CANDIDATES as readonly string[]).includes(id)) {
    throw new Error(`conv2d_weight_grad: unknown schedule '${id}'; expected one of ${WEIGHT_GRAD_CANDIDATES.join(', ')}`);
  }
  const schedule = m[1] as 'tiled' | 'blocked';
  const auto = weightGradSplits(g, schedule);
  return { schedule, splits: m[2] === 's1' ? 1 : m[2] === 's4x' ? 4 * auto : auto };
}

export interface WeightGradOptions extends ConvOptions {
  /** Depth splits (default: weightGradSplits); 1 writes dW directly, more add a reduction pass. */
  splits?: number;
  /**
   * Where the partial sums go (splits × KH·KW·C·O floats), e.g. a memory plan's scratch; without it
   * the prepared op makes (and destroys) its own buffer.
   */
  partial?: GPUBuffer;
}

/** Floats of the partial sums the weight gradient needs on a geometry under either schedule and the rule's splits (0: none); smaller tiles split less. */
export function weightGradScratchFloats(g: ConvGeometry): number {
  const splits = Math.max(weightGradSplits(g, 'tiled'), weightGradSplits(g, 'blocked'));
  return splits > 1 ? splits * convSizes(g).weights : 0;
}

/** Relation weight gradient: dW = Σ in ⊗ g over batch and positions (conv2d_weight_grad.wgsl). */
export function prepareConvRelationWeightGrad(
  rt: Runtime,
  g: ConvGeometry,
  buf: { x: BufferArg; g: BufferArg; dW: BufferArg },
  options: WeightGradOptions,
  label: string,
): PreparedOp {
  const sz = convSizes(g);
  requireFloats(label, 'the relation input', buf.x, sz.in, describeIn(g));
  requireFloats(label, 'the relation output gradient', buf.g, sz.out, describeOut(g));
  requireFloats(label, 'dW', buf.dW, sz.weights, describeWeights(g));
  let schedule = autoConvSchedule(rt, options.schedule);
  let splitsChosen = options.splits;
  let tileId = options.tile;
  if ((options.schedule ?? 'auto') === 'auto' && splitsChosen === undefined && tileId === undefined) {
    const id = rt.schedule({ kernel: 'conv2d_weight_grad', shapeClass: convShapeClass(g), rule: schedule, candidates: weightGradCandidates(rt), shape: { ...g } });
    ({ schedule, tile: tileId, splits: splitsChosen } = weightGradCandidateOptions(id, g));
  }
  const M = g.kH * g.kW * g.inC, K = g.batch * g.outH * g.outW;
  const wanted = splitsChosen ?? weightGradSplits(g, schedule, tileId);
  requirePositiveInt(label, 'splits', wanted);
  const chunk = Math.ceil(K / Math.min(wanted, K));
  const splits = Math.ceil(K / chunk);
  const dims = convDims(rt, CONV2D_WEIGHT_GRAD, g, { M, K, chunk }, label);
  if (splits > 1 && options.partial && options.partial.size < splits * sz.weights * 4) {
    throw new Error(`${label}: the partial-sum buffer holds ${options.partial.size} bytes; ${splits} splits × ${sz.weights} floats need ${splits * sz.weights * 4}`);
  }
  const own = splits > 1 && !options.partial
    ? rt.device.createBuffer({ label: `${label} partial sums`, size: splits * sz.weights * 4, usage: GPUBufferUsage.STORAGE })
    : null;
  const partial = splits > 1 ? (options.partial ?? own) : null;
  const kernel = schedule === 'tiled' ? gemmKernel(rt, CONV2D_WEIGHT_GRAD, CONV2D_WEIGHT_GRAD_F16, convTile(tileId).f16, label) : CONV2D_WEIGHT_GRAD;
  const bindGroup = rt.bindGroup(kernel, {
    dims: dims.buffer, X: buf.x, G: buf.g, partial: partial ?? buf.dW, dW: partial ? buf.dW : rt.writablePlaceholder,
  });
  const tile = schedule === 'tiled' ? convTile(tileId).tiled : CONV_TILE.blocked;
  const dispatches = [{
    label,
    // The im2col rows (kh, kw, c) are contiguous along c, X's fastest axis: op(A) along m (TRANS_A).
    pipeline: schedule === 'tiled' ? rt.pipeline(kernel, 'main', convTileOverrides(tileId, { TRANS_A: true })) : rt.pipeline(CONV2D_WEIGHT_GRAD, 'main_cpu'),
    bindGroup,
    workgroups: checkGrid(rt, label, [Math.ceil(g.outC / tile.cols), Math.ceil(M / tile.rows), splits]),
  }];
  if (partial) {
    dispatches.push({ label: `${label} reduce`, pipeline: rt.pipeline(kernel, 'reduce_splits'), bindGroup, workgroups: rt.grid(Math.ceil(sz.weights / 64)) });
  }
  return { dispatches, destroy: () => { dims.destroy(); own?.destroy(); } };
}

/** Conv weight gradient: dW[kh, kw, c, o] = Σ x[n, oh·s − p + kh, ow·s − p + kw, c] · dPre[n, oh, ow, o]. */
export function prepareConv2dWeightGrad(
  rt: Runtime,
  shape: Conv2dShape & WeightGradOptions,
  buf: { x: BufferArg; dPre: BufferArg; dW: BufferArg },
  label = 'conv2d dW',
): PreparedOp {
  return prepareConvRelationWeightGrad(rt, conv2dGeometry(label, shape), { x: buf.x, g: buf.dPre, dW: buf.dW }, shape, label);
}

/** Transposed conv weight gradient: the same kernel with the roles swapped (its output's dPre is the relation's input). */
export function prepareConvTranspose2dWeightGrad(
  rt: Runtime,
  shape: ConvTranspose2dShape & WeightGradOptions,
  buf: { x: BufferArg; dPre: BufferArg; dW: BufferArg },
  label = 'conv_transpose2d dW',
): PreparedOp {
  return prepareConvRelationWeightGrad(rt, convTranspose2dGeometry(label, shape), { x: buf.dPre, g: buf.x, dW: buf.dW }, shape, label);
}

/**
 * The bias gradient of a conv output B×H×W×C with its activation backward fused: bias_grad.wgsl,
 * rows = B·H·W. With the identity it writes no dPre: the input and weight gradients then take dY.
 */
export function prepareConvBiasGrad(
  rt: Runtime,
  shape: { batch: number; h: number; w: number; c: number; activation?: Activation; schedule?: ReductionSchedule },
  buf: BiasGradBuffers,
  label = 'conv bias_grad',
): PreparedOp {
  for (const n of ['batch', 'h', 'w', 'c'] as const) requirePositiveInt(label, n, shape[n]);
  return prepareBiasGrad(rt, { rows: shape.batch * shape.h * shape.w, cols: shape.c, activation: shape.activation, schedule: shape.schedule }, buf, label);
}

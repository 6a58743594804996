// The convolution kernels as data (shaders/conv2d.wgsl, conv2d_transpose.wgsl) and wrappers that
// check shapes and buffers once and return dispatches: the conv forward with fused bias and
// activation, the transposed conv forward (the same for the conv's input gradient, and conv2d.wgsl
// for the transposed conv's input gradient: the sums are identical). NHWC activations, HWIO weights.
import source from '../../shaders/conv2d.wgsl?raw';
import transposeSource from '../../shaders/conv2d_transpose.wgsl?raw';
import type { BufferArg, KernelDecl, UniformBindingDecl } from '../gpu/kernel';
import type { Runtime, UniformBlock } from '../gpu/runtime';
import { activationCode, type Activation } from './activation';
import { requireFloats } from './checks';
import { conv2dGeometry, convSizes, convTranspose2dGeometry, type Conv2dShape, type ConvGeometry, type ConvTranspose2dShape } from './conv-shape';
import { f16Candidates, F16_TILED_SCHEDULES, gemmKernel, gemmTile, TILED_CANDIDATES, TILED_SCHEDULES, tiledTile, tileOverrides, type GemmTileId, type PreparedOp } from './matmul';
import { shader, shaderF16 } from './shader-lib';

/** lib/conv.wgsl's ConvDims at binding 0 of every conv kernel: the geometry, then the GEMM view's M, K and chunk. */
export const CONV_DIMS: UniformBindingDecl = {
  binding: 0, name: 'dims', type: 'uniform',
  fields: [
    ['batch', 'u32'], ['in_h', 'u32'], ['in_w', 'u32'], ['in_c', 'u32'], ['out_h', 'u32'], ['out_w', 'u32'], ['out_c', 'u32'], ['k_h', 'u32'],
    ['k_w', 'u32'], ['stride_h', 'u32'], ['stride_w', 'u32'], ['pad_h', 'u32'], ['pad_w', 'u32'], ['M', 'u32'], ['K', 'u32'], ['chunk', 'u32'],
  ],
};

const BINDINGS = [
  CONV_DIMS,
  { binding: 1, name: 'X', type: 'read-only-storage' },
  { binding: 2, name: 'Wt', type: 'read-only-storage' },
  { binding: 3, name: 'bias', type: 'read-only-storage' },
  { binding: 4, name: 'Y', type: 'storage' },
] as const;

/** The overrides of the conv kernels with an epilogue: theirs, and lib/gemm_tile.wgsl's for `main`. */
const OVERRIDES = ['HAS_BIAS', 'ACT', 'LANES_ALONG_ROWS', 'TRANS_A', 'TRANS_B', 'WG_X', 'WG_Y', 'RN', 'TK'];

export const CONV2D: KernelDecl = {
  name: 'conv2d',
  source: shader('conv2d', source),
  entryPoints: ['main', 'main_cpu'],
  bindings: BINDINGS,
  overrides: OVERRIDES,
  workgroupSize: [16, 16],
  entryWorkgroupSizes: { main_cpu: [8, 1] },
};

export const CONV2D_TRANSPOSE: KernelDecl = {
  name: 'conv2d_transpose',
  source: shader('conv2d_transpose', transposeSource),
  entryPoints: ['main', 'main_cpu'],
  bindings: [BINDINGS[0], { binding: 1, name: 'G', type: 'read-only-storage' }, BINDINGS[2], BINDINGS[3], { binding: 4, name: 'R', type: 'storage' }],
  overrides: OVERRIDES,
  workgroupSize: [16, 16],
  entryWorkgroupSizes: { main_cpu: [8, 1] },
};

/** The f16 variants (tiles staged as f16, f32 sums; devices with shader-f16 only): the tiled entry's f16 candidates. */
export const CONV2D_F16: KernelDecl = { ...CONV2D, name: 'conv2d_f16', source: shaderF16('conv2d', source) };
export const CONV2D_TRANSPOSE_F16: KernelDecl = { ...CONV2D_TRANSPOSE, name: 'conv2d_transpose_f16', source: shaderF16('conv2d_transpose', transposeSource) };

/** The tile of a tiled conv schedule id (default the rule's), or an error naming the known ones. */
export function convTile(id: GemmTileId = 'tiled'): { tiled: ReturnType<typeof tiledTile>; f16: boolean } {
  const t = gemmTile(id);
  if (!t) throw new Error(`conv: unknown tile '${id}'; expected one of ${[...TILED_CANDIDATES, ...Object.keys(F16_TILED_SCHEDULES)].join(', ')}`);
  return { tiled: tiledTile(t.tiled), f16: t.f16 };
}

/**
 * The two schedules of every conv kernel: 'tiled' (entry `main`, lib/gemm_tile.wgsl's output tiles
 * through workgroup memory, for GPUs) and 'blocked' (entry `main_cpu`, 8 rows × 8 channels per
 * invocation in registers, no workgroup memory, for CPU-backed adapters); 'auto' picks from the adapter.
 */
export type ConvSchedule = 'auto' | 'tiled' | 'blocked';

/** The dispatch of a blocked forward kernel over `rows` × `channels` of output, and its lane order. */
function blockedGrid(rows: number, channels: number, z: number, lanesAlongRows?: boolean): { rowsInLanes: boolean; grid: [number, number, number] } {
  // Lanes along rows by default: faster on lavapipe for 1 to 64 channels (docs/CONV.md).
  const rowsInLanes = lanesAlongRows ?? true;
  const { rows: r, cols: c } = CONV_TILE.blocked;
  return rowsInLanes
    ? { rowsInLanes, grid: [Math.ceil(rows / (r * 8)), Math.ceil(channels / (c / 8)), z] }
    : { rowsInLanes, grid: [Math.ceil(channels / c), Math.ceil(rows / r), z] };
}

/** Output block of one workgroup: 'tiled' (the rule's tile) 64 rows × 64 channels; 'blocked' 8 rows × (8 lanes × 8) channels. */
export const CONV_TILE = { tiled: tiledTile(TILED_SCHEDULES.tiled), blocked: { rows: 8, cols: 64 } } as const;

/** The tiled kernels' pipeline overrides: the tile's sizes and the kernel's staging order. */
export function convTileOverrides(tile: GemmTileId = 'tiled', staging: { TRANS_A?: boolean; TRANS_B?: boolean } = {}) {
  const t = gemmTile(tile);
  if (!t) throw new Error(`conv: unknown tile '${tile}'`);
  return { ...tileOverrides(t.tiled), ...staging };
}

/** The schedule 'auto' picks: register blocks on CPU-backed adapters, workgroup-memory tiles on GPUs. */
export function autoConvSchedule(rt: Runtime, schedule: ConvSchedule = 'auto'): 'tiled' | 'blocked' {
  if (schedule !== 'auto') return schedule;
  return rt.profile === 'cpu' ? 'blocked' : 'tiled';
}

/**
 * The schedules a tuner may pick from for the forward and transposed kernels (src/tune/): every
 * tiled schedule the matmul has (TILED_SCHEDULES), and blocked with either lane order. The rule's
 * (autoConvSchedule: 'tiled' or 'blocked-rows') is among them.
 */
export const CONV_CANDIDATES = [...TILED_CANDIDATES, 'blocked-rows', 'blocked-channels'] as const;
export type ConvCandidate = (typeof CONV_CANDIDATES)[number];

/** CONV_CANDIDATES and the f16 tiles this runtime's device can run (shader-f16). */
export const convCandidates = (rt: Runtime): string[] => [...CONV_CANDIDATES, ...f16Candidates(rt)];

/** What a conv wrapper runs: a schedule, and its tile or lane order. */
export interface ResolvedConvSchedule {
  schedule: 'tiled' | 'blocked';
  /** The tiled schedule's tile (default 'tiled', the rule's 64×64; an f16 one needs shader-f16). */
  tile?: GemmTileId;
  lanesAlongRows?: boolean;
}

/** The wrapper options a candidate stands for. */
export function convCandidateOptions(id: string): ResolvedConvSchedule {
  if (gemmTile(id)) return { schedule: 'tiled', tile: id as GemmTileId };
  if (id === 'blocked-rows' || id === 'blocked-channels') return { schedule: 'blocked', lanesAlongRows: id === 'blocked-rows' };
  throw new Error(`conv: unknown schedule '${id}'; expected one of ${[...CONV_CANDIDATES, ...Object.keys(F16_TILED_SCHEDULES)].join(', ')}`);
}

/** The shape class of a conv relation: its geometry with the batch bucketed to a power of two. */
export function convShapeClass(g: ConvGeometry): string {
  const b = 2 ** Math.ceil(Math.log2(Math.max(1, g.batch)));
  return `B${b} ${g.inH}×${g.inW}×${g.inC}→${g.outH}×${g.outW}×${g.outC} k${g.kH}×${g.kW} s${g.strideH}×${g.strideW} p${g.padH}×${g.padW}`;
}

/** What a conv kernel runs: the options given, or with 'auto' and no tile or lane order the tuner's choice or the rule's. */
function resolveSchedule(rt: Runtime, kernel: string, g: ConvGeometry, options: BlockedOptions): ResolvedConvSchedule {
  if ((options.schedule ?? 'auto') !== 'auto' || options.lanesAlongRows !== undefined || options.tile !== undefined) {
    return { schedule: autoConvSchedule(rt, options.schedule), tile: options.tile, lanesAlongRows: options.lanesAlongRows };
  }
  const rule = autoConvSchedule(rt) === 'tiled' ? 'tiled' : 'blocked-rows';
  return convCandidateOptions(rt.schedule({ kernel, shapeClass: convShapeClass(g), rule, candidates: convCandidates(rt), shape: { ...g } }));
}

/** A conv kernel's dims uniform: the geometry, and the GEMM view's words where the kernel has them (else 0). */
export function convDims(rt: Runtime, kernel: KernelDecl, g: ConvGeometry, gemm: { M?: number; K?: number; chunk?: number }, label: string): UniformBlock {
  return rt.uniformBlock(kernel, 'dims', {
    batch: g.batch, in_h: g.inH, in_w: g.inW, in_c: g.inC, out_h: g.outH, out_w: g.outW, out_c: g.outC, k_h: g.kH,
    k_w: g.kW, stride_h: g.strideH, stride_w: g.strideW, pad_h: g.padH, pad_w: g.padW, M: gemm.M ?? 0, K: gemm.K ?? 0, chunk: gemm.chunk ?? 0,
  }, `${label} dims`);
}

export const describeIn = (g: ConvGeometry) => `B×H×W×C = ${g.batch}×${g.inH}×${g.inW}×${g.inC}`;
export const describeOut = (g: ConvGeometry) => `B×H×W×C = ${g.batch}×${g.outH}×${g.outW}×${g.outC}`;
export const describeWeights = (g: ConvGeometry) => `KH×KW×C×O = ${g.kH}×${g.kW}×${g.inC}×${g.outC}`;

export function checkGrid(rt: Runtime, label: string, workgroups: readonly [number, number, number]): [number, number, number] {
  const max = rt.limits.maxComputeWorkgroupsPerDimension;
  if (workgroups.some((w) => w > max)) {
    throw new Error(`${label}: needs ${workgroups.join('×')} workgroups; this device allows ${max} per dimension (use a smaller batch)`);
  }
  return [workgroups[0], workgroups[1], workgroups[2]];
}

/** Relation forward: out = act(conv(in, W) + bias) on a geometry (conv2d.wgsl). */
export function prepareConvRelationForward(
  rt: Runtime,
  g: ConvGeometry,
  buf: { x: BufferArg; w: BufferArg; bias?: BufferArg; y: BufferArg },
  options: BlockedOptions & { activation?: Activation },
  label: string,
): PreparedOp {
  const sz = convSizes(g);
  requireFloats(label, 'x', buf.x, sz.in, describeIn(g));
  requireFloats(label, 'W', buf.w, sz.weights, describeWeights(g));
  if (buf.bias) requireFloats(label, 'bias', buf.bias, g.outC, `C = ${g.outC}`);
  requireFloats(label, 'y', buf.y, sz.out, describeOut(g));
  const M = g.batch * g.outH * g.outW;
  const { schedule, tile: tileId, lanesAlongRows } = resolveSchedule(rt, 'conv2d', g, options);
  const dims = convDims(rt, CONV2D, g, { M, K: g.kH * g.kW * g.inC }, label);
  const blocked = blockedGrid(M, g.outC, 1, lanesAlongRows);
  const act = { HAS_BIAS: !!buf.bias, ACT: activationCode(options.activation ?? 'identity') };
  // The implicit A is contiguous along k (c is X's fastest axis), W along o: the tile's default staging.
  const { tiled: tile, f16 } = convTile(tileId);
  const kernel = schedule === 'tiled' ? gemmKernel(rt, CONV2D, CONV2D_F16, f16, label) : CONV2D;
  const pipeline = schedule === 'tiled'
    ? rt.pipeline(kernel, 'main', { ...act, ...convTileOverrides(tileId) })
    : rt.pipeline(CONV2D, 'main_cpu', { ...act, LANES_ALONG_ROWS: blocked.rowsInLanes });
  const bindGroup = rt.bindGroup(kernel, { dims: dims.buffer, X: buf.x, Wt: buf.w, bias: buf.bias ?? rt.placeholder, Y: buf.y });
  const workgroups = checkGrid(rt, label, schedule === 'tiled' ? [Math.ceil(g.outC / tile.cols), Math.ceil(M / tile.rows), 1] : blocked.grid);
  return { dispatches: [{ label, pipeline, bindGroup, workgroups }], destroy: () => dims.destroy() };
}

/** Relation backward-data: in-sized r = act(convᵀ(out-sized g, W) + bias) (conv2d_transpose.wgsl). */
export function prepareConvRelationTranspose(
  rt: Runtime,
  g: ConvGeometry,
  buf: { g: BufferArg; w: BufferArg; bias?: BufferArg; r: BufferArg },
  options: BlockedOptions & { activation?: Activation },
  label: string,
): PreparedOp {
  const sz = convSizes(g);
  requireFloats(label, 'the gradient or input', buf.g, sz.out, describeOut(g));
  requireFloats(label, 'W', buf.w, sz.weights, describeWeights(g));
  if (buf.bias) requireFloats(label, 'bias', buf.bias, g.inC, `C = ${g.inC}`);
  requireFloats(label, 'the result', buf.r, sz.in, describeIn(g));
  const { schedule, tile: tileId, lanesAlongRows } = resolveSchedule(rt, 'conv2d_transpose', g, options);
  const dims = convDims(rt, CONV2D_TRANSPOSE, g, {}, label);
  // Phase (0, 0) has the most rows: ⌈H/sh⌉·⌈W/sw⌉ per image.
  const rows = g.batch * Math.ceil(g.inH / g.strideH) * Math.ceil(g.inW / g.strideW);
  const phases = g.strideH * g.strideW;
  const blocked = blockedGrid(rows, g.inC, phases, lanesAlongRows);
  const act = { HAS_BIAS: !!buf.bias, ACT: activationCode(options.activation ?? 'identity') };
  // Both operands are contiguous along o, the fastest part of the phase's depth: W is read as C×K (TRANS_B).
  const { tiled: tile, f16 } = convTile(tileId);
  const kernel = schedule === 'tiled' ? gemmKernel(rt, CONV2D_TRANSPOSE, CONV2D_TRANSPOSE_F16, f16, label) : CONV2D_TRANSPOSE;
  const pipeline = schedule === 'tiled'
    ? rt.pipeline(kernel, 'main', { ...act, ...convTileOverrides(tileId, { TRANS_B: true }) })
    : rt.pipeline(CONV2D_TRANSPOSE, 'main_cpu', { ...act, LANES_ALONG_ROWS: blocked.rowsInLanes });
  const bindGroup = rt.bindGroup(kernel, { dims: dims.buffer, G: buf.g, Wt: buf.w, bias: buf.bias ?? rt.placeholder, R: buf.r });
  const workgroups = checkGrid(rt, label, schedule === 'tiled' ? [Math.ceil(g.inC / tile.cols), Math.ceil(rows / tile.rows), phases] : blocked.grid);
  return { dispatches: [{ label, pipeline, bindGroup, workgroups }], destroy: () => dims.destroy() };
}

export interface ConvOptions {
  schedule?: ConvSchedule;
  /** The tiled schedule's tile (TILED_SCHEDULES or F16_TILED_SCHEDULES; default 'tiled', the rule's 64×64). */
  tile?: GemmTileId;
}

export interface BlockedOptions extends ConvOptions {
  /** The blocked schedule's lane order: 8-row blocks (default) or 8-channel blocks along the lanes. */
  lanesAlongRows?: boolean;
}

/** Conv forward: y = act(conv(x, W) + bias); x B×H×W×C, W KH×KW×C×O, y B×OH×OW×O. */
export function prepareConv2d(
  rt: Runtime,
  shape: Conv2dShape & BlockedOptions,
  buf: { x: BufferArg; w: BufferArg; bias?: BufferArg; y: BufferArg },
  label = 'conv2d',
): PreparedOp {
  return prepareConvRelationForward(rt, conv2dGeometry(label, shape), buf, shape, label);
}

/** Conv input gradient: dx = convᵀ(dPre, W), dPre being dy after the activation backward. */
export function prepareConv2dInputGrad(
  rt: Runtime,
  shape: Conv2dShape & BlockedOptions,
  buf: { dPre: BufferArg; w: BufferArg; dx: BufferArg },
  label = 'conv2d dx',
): PreparedOp {
  const g = conv2dGeometry(label, shape);
  return prepareConvRelationTranspose(rt, g, { g: buf.dPre, w: buf.w, r: buf.dx }, { schedule: shape.schedule, tile: shape.tile, lanesAlongRows: shape.lanesAlongRows }, label);
}

/** Transposed conv forward: y = act(convᵀ(x, W) + bias); x B×H×W×C, W KH×KW×O×C, y B×OH×OW×O. */
export function prepareConvTranspose2d(
  rt: Runtime,
  shape: ConvTranspose2dShape & BlockedOptions,
  buf: { x: BufferArg; w: BufferArg; bias?: BufferArg; y: BufferArg },
  label = 'conv_transpose2d',
): PreparedOp {
  const g = convTranspose2dGeometry(label, shape);
  return prepareConvRelationTranspose(rt, g, { g: buf.x, w: buf.w, bias: buf.bias, r: buf.y }, shape, label);
}

/** Transposed conv input gradient: dx = conv(dPre, W), conv2d.wgsl on the same weights. */
export function prepareConvTranspose2dInputGrad(
  rt: Runtime,
  shape: ConvTranspose2dShape & BlockedOptions,
  buf: { dPre: BufferArg; w: BufferArg; dx: BufferArg },
  label = 'conv_transpose2d dx',
): PreparedOp {
  const g = convTranspose2dGeometry(label, shape);
  return prepareConvRelationForward(rt, g, { x: buf.dPre, w: buf.w, y: buf.dx }, { schedule: shape.schedule, tile: shape.tile, lanesAlongRows: shape.lanesAlongRows }, label);
}

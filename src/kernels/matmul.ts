// The matmul kernel as data (shaders/matmul.wgsl) and its wrapper: C = act(op(A)·op(B) + bias).
// `prepareMatmul` checks shapes and buffers once and returns a dispatch to encode every step.
import source from '../../shaders/matmul.wgsl?raw';
import sourceVec4 from '../../shaders/matmul_vec4.wgsl?raw';
import sourceVec4Wide from '../../shaders/matmul_vec4_wide.wgsl?raw';
import { sliceOf, type BufferArg, type KernelDecl } from '../gpu/kernel';
import type { Dispatch, Runtime } from '../gpu/runtime';
import { activationCode, type Activation } from './activation';
import { requireFloats, requirePositiveInt } from './checks';
import { shader, shaderF16 } from './shader-lib';

export const MATMUL: KernelDecl = {
  name: 'matmul',
  source: shader('matmul', source),
  entryPoints: ['main'],
  bindings: [
    { binding: 0, name: 'dims', type: 'uniform', fields: [['M', 'u32'], ['N', 'u32'], ['K', 'u32'], ['_pad', 'u32']] },
    { binding: 1, name: 'A', type: 'read-only-storage' },
    { binding: 2, name: 'B', type: 'read-only-storage' },
    { binding: 3, name: 'bias', type: 'read-only-storage' },
    { binding: 4, name: 'C', type: 'storage' },
  ],
  overrides: ['TRANS_A', 'TRANS_B', 'HAS_BIAS', 'ACT', 'WG_X', 'WG_Y', 'RN', 'TK'],
  workgroupSize: [16, 16],
};

/** matmul.wgsl with its tiles staged as f16 and f32 accumulation (devices with shader-f16 only). */
export const MATMUL_F16: KernelDecl = { ...MATMUL, name: 'matmul_f16', source: shaderF16('matmul', source) };

/** The register-blocked schedule without workgroup memory, for CPU-backed adapters. */
export const MATMUL_VEC4: KernelDecl = {
  ...MATMUL, name: 'matmul_vec4', source: shader('matmul_vec4', sourceVec4), overrides: ['TRANS_A', 'TRANS_B', 'HAS_BIAS', 'ACT', 'LANES'], workgroupSize: [8, 1],
};

/** matmul_vec4's scheme with a 16×16 block per invocation, NN and NT (matmul_vec4_wide.wgsl). */
export const MATMUL_VEC4_WIDE: KernelDecl = {
  ...MATMUL, name: 'matmul_vec4_wide', source: shader('matmul_vec4_wide', sourceVec4Wide), overrides: ['TRANS_B', 'HAS_BIAS', 'ACT', 'LANES'], workgroupSize: [8, 1],
};

/** One schedule of lib/gemm_tile.wgsl (workgroup memory): its WG_X, WG_Y, RN and TK overrides. */
export interface TiledSchedule {
  /** Invocations along N and along M. */
  wgX: number;
  wgY: number;
  /** Register-block columns per invocation (4 or 8; its rows are 4). */
  rn: 4 | 8;
  /** Depth of one step through K. */
  tk: number;
}

/**
 * The tiled schedules a tuner may pick: the rule's 64×64 tile (16×16 invocations, 4×4 blocks, K
 * steps of 16), a 32×32 tile of 8×8 invocations (more workgroups on small outputs), a 16-row tile
 * (16×4 invocations, for small batches), 4×8 register blocks (8×16 invocations, the same 64×64
 * tile with half the invocations), and K steps of 8 (half the workgroup memory).
 */
export const TILED_SCHEDULES = {
  tiled: { wgX: 16, wgY: 16, rn: 4, tk: 16 },
  'tiled-w8x8': { wgX: 8, wgY: 8, rn: 4, tk: 16 },
  'tiled-w16x4': { wgX: 16, wgY: 4, rn: 4, tk: 16 },
  'tiled-b4x8': { wgX: 8, wgY: 16, rn: 8, tk: 16 },
  'tiled-k8': { wgX: 16, wgY: 16, rn: 4, tk: 8 },
} as const satisfies Record<string, TiledSchedule>;
export type TiledCandidate = keyof typeof TILED_SCHEDULES;

/**
 * f16 variants of two tiled schedules (lib/tile_f16.wgsl: the tiles staged as f16 in half the
 * workgroup memory, products and sums in f32), candidates only on devices with shader-f16. They
 * round each input to an 11-bit mantissa, so the tuner may pick one only after its output agreed
 * with the CPU twin on the adapter within F16_TOLERANCE (src/tune/validate.ts).
 */
export const F16_TILED_SCHEDULES = {
  'tiled-f16': TILED_SCHEDULES.tiled,
  'tiled-b4x8-f16': TILED_SCHEDULES['tiled-b4x8'],
} as const satisfies Record<string, TiledSchedule>;
export type F16Candidate = keyof typeof F16_TILED_SCHEDULES;
/** Any schedule of lib/gemm_tile.wgsl: an f32 tile or an f16 one. */
export type GemmTileId = TiledCandidate | F16Candidate;

/**
 * The error bound of an f16-staged GEMM entry, relative to Σ_k |a_k|·|b_k| (the sum of the
 * entry's absolute products): each input rounded to f16 is off by at most u = 2⁻¹¹ of itself, so
 * each product by at most 2u + u² of its absolute value; the f32 products of two 11-bit mantissas
 * are exact, and the f32 sum adds at most K·2⁻²⁴ of the same sum. `rel` is 2u + u² with a 10%
 * margin (the K term is added per shape); `abs` covers inputs below f16's normal range (6.1e-5),
 * which round to a multiple of 2⁻²⁴.
 */
export const F16_TOLERANCE = { rel: 1.1 * (2 * 2 ** -11 + 2 ** -22), abs: 2 ** -24 } as const;

/** The tile and precision of a lib/gemm_tile.wgsl schedule id; unknown ids: undefined. */
export function gemmTile(id: string): { tiled: TiledSchedule; f16: boolean } | undefined {
  if (Object.hasOwn(TILED_SCHEDULES, id)) return { tiled: TILED_SCHEDULES[id as TiledCandidate], f16: false };
  if (Object.hasOwn(F16_TILED_SCHEDULES, id)) return { tiled: F16_TILED_SCHEDULES[id as F16Candidate], f16: true };
  return undefined;
}

/** Whether the runtime's device can compile f16 (the shader-f16 feature). */
export const hasF16 = (rt: Runtime): boolean => rt.device.features?.has('shader-f16') === true;

/** The f16 candidates this runtime's device can run (none without shader-f16). */
export const f16Candidates = (rt: Runtime): F16Candidate[] => (hasF16(rt) ? (Object.keys(F16_TILED_SCHEDULES) as F16Candidate[]) : []);

/** The GEMM kernel a schedule runs in: the f32 declaration or its f16 variant, which needs shader-f16. */
export function gemmKernel(rt: Runtime, f32: KernelDecl, f16: KernelDecl, useF16: boolean, label: string): KernelDecl {
  if (useF16 && !hasF16(rt)) throw new Error(`${label}: an f16 schedule needs a device with the shader-f16 feature; this one lacks it (use a tiled or vec4 schedule)`);
  return useF16 ? f16 : f32;
}

/** The pipeline overrides of a tiled schedule (lib/gemm_tile.wgsl's sizes). */
export const tileOverrides = (t: TiledSchedule) => ({ WG_X: t.wgX, WG_Y: t.wgY, RN: t.rn, TK: t.tk });

/** Output tile of one workgroup for a tiled schedule: 4·WG_Y rows × RN·WG_X columns. */
export const tiledTile = (t: TiledSchedule) => ({ rows: 4 * t.wgY, cols: t.rn * t.wgX });

/** Output block of one matmul_vec4 invocation (8 rows × 8 columns); by the rule its workgroups are 8 wide along N. */
export const MATMUL_VEC4_BLOCK = { rows: 8, cols: 8, lanes: 8 } as const;
/** Output block of one matmul_vec4_wide invocation (16 rows × 16 columns). */
export const MATMUL_VEC4_WIDE_BLOCK = { rows: 16, cols: 16, lanes: 8 } as const;

/** The tiled schedules by name, the rule's first (the matmul and conv tuners' tiled candidates). */
export const TILED_CANDIDATES = Object.keys(TILED_SCHEDULES) as TiledCandidate[];
const VEC4_CANDIDATES = ['vec4-l4', 'vec4-l8', 'vec4-l16', 'vec4-l32'] as const;
/** matmul_vec4_wide with 8-invocation workgroups: NN and NT shapes only (wideCompatible). */
const WIDE_CANDIDATES = ['vec4w-l8'] as const;

/**
 * The schedules a tuner may pick from (src/tune/): the tiled ones (workgroup memory, TILED_SCHEDULES)
 * and matmul_vec4 (registers only) with workgroups 4, 8, 16 or 32 invocations wide (its LANES
 * override), and for NN and NT shapes matmul_vec4_wide (its 16×16 block). The rule's choice is always among them.
 */
export const MATMUL_CANDIDATES = [...TILED_CANDIDATES, ...VEC4_CANDIDATES, ...WIDE_CANDIDATES] as const;
export type MatmulCandidate = TiledCandidate | F16Candidate | (typeof VEC4_CANDIDATES)[number] | (typeof WIDE_CANDIDATES)[number];

/** The candidates that can run this shape (the vec4 ones need vec4Compatible, the wide one wideCompatible), and with `rt` the f16 ones its device can run. */
export function matmulCandidates(s: MatmulShape, rt?: Runtime): MatmulCandidate[] {
  const vec4: MatmulCandidate[] = vec4Compatible(s) ? [...VEC4_CANDIDATES, ...(wideCompatible(s) ? WIDE_CANDIDATES : [])] : [];
  return [...TILED_CANDIDATES, ...vec4, ...(rt ? f16Candidates(rt) : [])];
}

/**
 * The rule's candidate: on CPU-backed adapters matmul_vec4, with the 16×16 block for NN and NT
 * shapes of at least 16 rows and 16 | N (the forward layers and the dX: 0.57–0.83× the 8×8 block's
 * time at the default model's 784- and 400-wide layers, docs/BENCHMARKS.md); elsewhere the tiled schedule.
 */
export function matmulRule(rt: Runtime, s: MatmulShape): MatmulCandidate {
  if (autoVariant(rt, s) !== 'vec4') return 'tiled';
  return wideCompatible(s) && s.M >= 16 && s.N % 16 === 0 ? 'vec4w-l8' : 'vec4-l8';
}

/** Power-of-two bucket of a size (sizes in one bucket share a tuned schedule). */
export const sizeBucket = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/** The shape class a tuned choice is kept for: layout, vec4 fitness and each size's power-of-two bucket. */
export function matmulShapeClass(s: MatmulShape): string {
  return `${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}${vec4Compatible(s) ? 'v4' : ''} M${sizeBucket(s.M)} N${sizeBucket(s.N)} K${sizeBucket(s.K)}`;
}

function parseCandidate(label: string, id: string): { vec4: false; tiled: TiledSchedule; f16: boolean } | { vec4: true; wide: boolean; lanes: number } {
  const tile = gemmTile(id);
  if (tile) return { vec4: false, ...tile };
  const m = /^vec4(w?)-l(\d+)$/.exec(id);
  if (!m || !(MATMUL_CANDIDATES as readonly string[]).includes(id)) {
    throw new Error(`${label}: unknown matmul schedule '${id}'; expected one of ${[...MATMUL_CANDIDATES, ...Object.keys(F16_TILED_SCHEDULES)].join(', ')}`);
  }
  return { vec4: true, wide: m[1] === 'w', lanes: Number(m[2]) };
}

/** Output tile of one workgroup of the rule's tiled schedule (matmul.wgsl's TM × TN). */
export const MATMUL_TILE = tiledTile(TILED_SCHEDULES.tiled);

export interface MatmulShape {
  M: number;
  N: number;
  K: number;
  /** A is stored K×M and op(A) = Aᵀ. */
  transA?: boolean;
  /** B is stored N×K and op(B) = Bᵀ. */
  transB?: boolean;
  activation?: Activation;
  /** Which schedule: 'auto' picks matmul_vec4 on CPU-backed adapters when the shape allows it. */
  variant?: 'auto' | 'tiled' | 'vec4';
  /** One candidate exactly (MATMUL_CANDIDATES), bypassing the rule and the tuner; wins over `variant`. */
  schedule?: MatmulCandidate;
}

/** Whether matmul_vec4.wgsl can run this shape: vec4 rows along every contiguous axis, no TT. */
export function vec4Compatible(s: MatmulShape): boolean {
  if (s.N % 4 !== 0) return false;
  if (s.transA && s.transB) return false;
  return s.transA ? s.M % 4 === 0 : s.K % 4 === 0;
}

/** Whether matmul_vec4_wide.wgsl can run this shape: vec4Compatible, NN or NT. */
export function wideCompatible(s: MatmulShape): boolean {
  return vec4Compatible(s) && !s.transA;
}

/** The schedule 'auto' picks: matmul_vec4 on CPU-backed adapters when the shape allows it. */
export function autoVariant(rt: Runtime, s: MatmulShape): 'vec4' | 'tiled' {
  return rt.profile === 'cpu' && vec4Compatible(s) ? 'vec4' : 'tiled';
}

export interface MatmulBuffers {
  a: BufferArg;
  b: BufferArg;
  bias?: BufferArg;
  c: BufferArg;
}

export interface PreparedOp {
  dispatches: Dispatch[];
  destroy(): void;
}

export function prepareMatmul(rt: Runtime, shape: MatmulShape, buf: MatmulBuffers, label = 'matmul'): PreparedOp {
  const { M, N, K } = shape;
  requirePositiveInt(label, 'M', M);
  requirePositiveInt(label, 'N', N);
  requirePositiveInt(label, 'K', K);
  requireFloats(label, 'A', buf.a, M * K, shape.transA ? `K×M = ${K}×${M}` : `M×K = ${M}×${K}`);
  requireFloats(label, 'B', buf.b, K * N, shape.transB ? `N×K = ${N}×${K}` : `K×N = ${K}×${N}`);
  if (buf.bias) requireFloats(label, 'bias', buf.bias, N, `N = ${N}`);
  requireFloats(label, 'C', buf.c, M * N, `M×N = ${M}×${N}`);
  const variant = shape.variant ?? 'auto';
  // Explicit schedule, explicit variant, or 'auto': the tuner's choice for this shape class when the
  // runtime has one, else the rule's.
  const chosen = shape.schedule ?? (variant === 'tiled' ? 'tiled' : variant === 'vec4' ? 'vec4-l8'
    : rt.schedule({ kernel: 'matmul', shapeClass: matmulShapeClass(shape), rule: matmulRule(rt, shape), candidates: matmulCandidates(shape, rt), shape: { M, N, K, transA: !!shape.transA, transB: !!shape.transB } }));
  const parsed = parseCandidate(label, chosen);
  const vec4 = parsed.vec4;
  if (vec4 && !vec4Compatible(shape)) {
    throw new Error(`${label}: the vec4 schedule needs 4 | N and 4 | the contiguous axis of each operand, and no TT; got ${M}×${N}×${K}`);
  }
  const wide = parsed.vec4 && parsed.wide;
  if (wide && !wideCompatible(shape)) {
    throw new Error(`${label}: the wide vec4 schedule '${chosen}' runs NN and NT shapes only (A not transposed); got ${shape.transA ? 'T' : 'N'}${shape.transB ? 'T' : 'N'} ${M}×${N}×${K}`);
  }
  const kernel = wide ? MATMUL_VEC4_WIDE : parsed.vec4 ? MATMUL_VEC4 : gemmKernel(rt, MATMUL, MATMUL_F16, parsed.f16, label);
  const dims = rt.uniformBlock(kernel, 'dims', { M, N, K }, `${label} dims`);
  const pipeline = rt.pipeline(kernel, 'main', {
    ...(wide ? {} : { TRANS_A: !!shape.transA }),
    TRANS_B: !!shape.transB,
    HAS_BIAS: !!buf.bias,
    ACT: activationCode(shape.activation ?? 'identity'),
    ...(parsed.vec4 ? { LANES: parsed.lanes } : tileOverrides(parsed.tiled)),
  });
  // vec4 bindings must span whole vec4s: bind exactly the operand sizes.
  const exact = (arg: BufferArg, floats: number): BufferArg => {
    const s = sliceOf(arg);
    return vec4 ? { buffer: s.buffer, offset: s.offset, size: floats * 4 } : arg;
  };
  const bindGroup = rt.bindGroup(kernel, {
    dims: dims.buffer, A: exact(buf.a, M * K), B: exact(buf.b, K * N), bias: buf.bias ? exact(buf.bias, N) : rt.placeholder, C: exact(buf.c, M * N),
  });
  const tile = parsed.vec4 ? null : tiledTile(parsed.tiled);
  const block = wide ? MATMUL_VEC4_WIDE_BLOCK : MATMUL_VEC4_BLOCK;
  const workgroups = parsed.vec4
    ? ([Math.ceil(N / block.cols / parsed.lanes), Math.ceil(M / block.rows), 1] as const)
    : ([Math.ceil(N / tile!.cols), Math.ceil(M / tile!.rows), 1] as const);
  const max = rt.limits.maxComputeWorkgroupsPerDimension;
  if (workgroups[0] > max || workgroups[1] > max) {
    throw new Error(`${label}: ${M}×${N} output needs ${workgroups[1]}×${workgroups[0]} workgroups; this device allows ${max} per dimension`);
  }
  return { dispatches: [{ label, pipeline, bindGroup, workgroups }], destroy: () => dims.destroy() };
}

/** Floating-point operations of one matmul (a multiply-add counts 2). */
export function matmulFlops(s: MatmulShape): number {
  return 2 * s.M * s.N * s.K;
}

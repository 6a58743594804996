// The matmul kernel as data (shaders/matmul.wgsl) and its wrapper: C = act(op(A)·op(B) + bias).
// `prepareMatmul` checks shapes and buffers once and returns a dispatch to encode every step.
import source from '../../shaders/matmul.wgsl?raw';
import sourceVec4 from '../../shaders/matmul_vec4.wgsl?raw';
import { sliceOf, type BufferArg, type KernelDecl } from '../gpu/kernel';
import { packFields, type Dispatch, type Runtime } from '../gpu/runtime';
import { activationCode, withActivations, type Activation } from './activation';
import { requireFloats, requirePositiveInt } from './checks';

export const MATMUL: KernelDecl = {
  name: 'matmul',
  source: withActivations(source),
  entryPoints: ['main'],
  bindings: [
    { binding: 0, name: 'dims', type: 'uniform', fields: [['M', 'u32'], ['N', 'u32'], ['K', 'u32'], ['_pad', 'u32']] },
    { binding: 1, name: 'A', type: 'read-only-storage' },
    { binding: 2, name: 'B', type: 'read-only-storage' },
    { binding: 3, name: 'bias', type: 'read-only-storage' },
    { binding: 4, name: 'C', type: 'storage' },
  ],
  overrides: ['TRANS_A', 'TRANS_B', 'HAS_BIAS', 'ACT'],
  workgroupSize: [16, 16],
};

/** The register-blocked schedule without workgroup memory, for CPU-backed adapters. */
export const MATMUL_VEC4: KernelDecl = { ...MATMUL, name: 'matmul_vec4', source: withActivations(sourceVec4), workgroupSize: [8, 1] };

/** Output block of one matmul_vec4 invocation (8 rows × 8 columns); its workgroups are 8 wide along N. */
export const MATMUL_VEC4_BLOCK = { rows: 8, cols: 8, lanes: 8 } as const;

/** Output tile of one workgroup (matmul.wgsl's TM × TN). */
export const MATMUL_TILE = { rows: 64, cols: 64 } as const;

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
}

/** Whether matmul_vec4.wgsl can run this shape: vec4 rows along every contiguous axis, no TT. */
export function vec4Compatible(s: MatmulShape): boolean {
  if (s.N % 4 !== 0) return false;
  if (s.transA && s.transB) return false;
  return s.transA ? s.M % 4 === 0 : s.K % 4 === 0;
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
  const vec4 = (variant === 'auto' ? autoVariant(rt, shape) : variant) === 'vec4';
  if (vec4 && !vec4Compatible(shape)) {
    throw new Error(`${label}: the vec4 schedule needs 4 | N and 4 | the contiguous axis of each operand, and no TT; got ${M}×${N}×${K}`);
  }
  const kernel = vec4 ? MATMUL_VEC4 : MATMUL;
  const dims = rt.uniform(`${label} dims`, packFields(kernel, 'dims', { M, N, K }));
  const pipeline = rt.pipeline(kernel, 'main', {
    TRANS_A: !!shape.transA,
    TRANS_B: !!shape.transB,
    HAS_BIAS: !!buf.bias,
    ACT: activationCode(shape.activation ?? 'identity'),
  });
  // vec4 bindings must span whole vec4s: bind exactly the operand sizes.
  const exact = (arg: BufferArg, floats: number): BufferArg => {
    const s = sliceOf(arg);
    return vec4 ? { buffer: s.buffer, offset: s.offset, size: floats * 4 } : arg;
  };
  const bindGroup = rt.bindGroup(kernel, {
    dims, A: exact(buf.a, M * K), B: exact(buf.b, K * N), bias: buf.bias ? exact(buf.bias, N) : rt.placeholder, C: exact(buf.c, M * N),
  });
  const workgroups = vec4
    ? ([Math.ceil(N / MATMUL_VEC4_BLOCK.cols / MATMUL_VEC4_BLOCK.lanes), Math.ceil(M / MATMUL_VEC4_BLOCK.rows), 1] as const)
    : ([Math.ceil(N / MATMUL_TILE.cols), Math.ceil(M / MATMUL_TILE.rows), 1] as const);
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

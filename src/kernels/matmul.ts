// The matmul kernel as data (shaders/matmul.wgsl) and its wrapper: C = act(op(A)·op(B) + bias).
// `prepareMatmul` checks shapes and buffers once and returns a dispatch to encode every step.
import source from '../../shaders/matmul.wgsl?raw';
import type { BufferArg, KernelDecl } from '../gpu/kernel';
import { packUniform, type Dispatch, type Runtime } from '../gpu/runtime';
import { activationCode, type Activation } from './activation';
import { requireFloats, requirePositiveInt } from './checks';

export const MATMUL: KernelDecl = {
  name: 'matmul',
  source,
  entryPoints: ['main'],
  bindings: [
    { binding: 0, name: 'dims', type: 'uniform' },
    { binding: 1, name: 'A', type: 'read-only-storage' },
    { binding: 2, name: 'B', type: 'read-only-storage' },
    { binding: 3, name: 'bias', type: 'read-only-storage' },
    { binding: 4, name: 'C', type: 'storage' },
  ],
  overrides: ['TRANS_A', 'TRANS_B', 'HAS_BIAS', 'ACT'],
  workgroupSize: [16, 16],
};

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
  const dims = rt.uniform(`${label} dims`, packUniform([['u32', M], ['u32', N], ['u32', K], ['u32', 0]]));
  const pipeline = rt.pipeline(MATMUL, 'main', {
    TRANS_A: !!shape.transA,
    TRANS_B: !!shape.transB,
    HAS_BIAS: !!buf.bias,
    ACT: activationCode(shape.activation ?? 'identity'),
  });
  const bindGroup = rt.bindGroup(MATMUL, { dims, A: buf.a, B: buf.b, bias: buf.bias ?? rt.placeholder, C: buf.c });
  const workgroups = [Math.ceil(N / MATMUL_TILE.cols), Math.ceil(M / MATMUL_TILE.rows), 1] as const;
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

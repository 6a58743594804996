// CPU twin of shaders/matmul.wgsl: C = act(op(A)·op(B) + bias) in float64.
// Shapes: op(A) M×K (A stored K×M when transA), op(B) K×N (B stored N×K when transB), C M×N.
import type { MatmulShape } from '../kernels/matmul';
import { activate } from './activation';

/** The kernel's shape description (the schedule choice means nothing here). */
export type CpuMatmulShape = Omit<MatmulShape, 'variant'>;

export function matmul(
  A: ArrayLike<number>,
  B: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  s: CpuMatmulShape,
  out: Float64Array = new Float64Array(s.M * s.N),
): Float64Array {
  const { M, N, K } = s;
  if (A.length < M * K || B.length < K * N || (bias && bias.length < N) || out.length < M * N) {
    throw new Error(`cpu matmul: operands too small for M=${M} N=${N} K=${K}`);
  }
  const act = s.activation ?? 'identity';
  const row = new Float64Array(N);
  for (let m = 0; m < M; m++) {
    row.fill(0);
    // i-k-j order: the inner loop walks a row of op(B) contiguously when B is not transposed.
    for (let k = 0; k < K; k++) {
      const a = s.transA ? A[k * M + m] : A[m * K + k];
      if (a === 0) continue;
      if (s.transB) {
        for (let n = 0; n < N; n++) row[n] += a * B[n * K + k];
      } else {
        const base = k * N;
        for (let n = 0; n < N; n++) row[n] += a * B[base + n];
      }
    }
    for (let n = 0; n < N; n++) out[m * N + n] = activate(act, row[n] + (bias ? bias[n] : 0));
  }
  return out;
}

// CPU twin of shaders/grad_norm.wgsl (float64): the global L2 norm of a gradient arena and
// PyTorch's clip_grad_norm_ scale, min(1, max_norm / (‖g‖ + 1e-6)).

export interface CpuGradNorm {
  norm: number;
  scale: number;
  sumSquares: number;
  nonFinite: boolean;
}

export function gradNorm(grads: ArrayLike<number>, maxNorm: number): CpuGradNorm {
  let sumSquares = 0;
  for (let i = 0; i < grads.length; i++) sumSquares += grads[i] * grads[i];
  const norm = Math.sqrt(sumSquares);
  return { norm, scale: Math.min(1, maxNorm / (norm + 1e-6)), sumSquares, nonFinite: !Number.isFinite(norm) };
}

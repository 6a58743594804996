// CPU twin of shaders/adam.wgsl (float64, in place), PyTorch's Adam / AdamW update at step t ≥ 1.
import type { AdamHyper } from '../kernels/adam';

/** `fast`: floats [begin, end) take lr · scale (as the kernel's fast range). */
export function adamStep(p: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, h: AdamHyper, t: number, fast?: { begin: number; end: number; scale: number }): void {
  const bc1 = 1 - Math.pow(h.beta1, t);
  const bc2 = 1 - Math.pow(h.beta2, t);
  for (let i = 0; i < p.length; i++) {
    const lr = fast && i >= fast.begin && i < fast.end ? h.lr * fast.scale : h.lr;
    let grad = g[i];
    if (h.decoupled) p[i] *= 1 - lr * h.weightDecay;
    else grad += h.weightDecay * p[i];
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * grad;
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * grad * grad;
    p[i] -= (lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + h.eps);
  }
}

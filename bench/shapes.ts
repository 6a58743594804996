// What the benchmark runs on: the default model's dimensions, the matmuls of one training step, its
// FLOP count, and the synthetic MNIST-like images every implementation is fed.
import { matmulFlops } from '../src/kernels/matmul';
import { DEFAULT_CONFIG } from '../src/model/config';
import { rng } from '../test/util/random';
import type { MatmulCase } from './peer';

/** The default model's dimensions. */
export const D = DEFAULT_CONFIG.inputDim, H = DEFAULT_CONFIG.encoderHidden[0], Z = DEFAULT_CONFIG.latent;

/** Every matmul of one training step of the default model at batch B, forward then backward. */
export function vaeMatmuls(B: number): MatmulCase[] {
  return [
    { name: 'enc.0 fwd', M: B, N: H, K: D, bias: true, activation: 'relu' },
    { name: 'enc.head fwd', M: B, N: 2 * Z, K: H, bias: true },
    { name: 'dec.0 fwd', M: B, N: H, K: Z, bias: true, activation: 'relu' },
    { name: 'dec.out fwd', M: B, N: D, K: H, bias: true },
    { name: 'dec.out dW', M: H, N: D, K: B, transA: true },
    { name: 'dec.out dX', M: B, N: H, K: D, transB: true },
    { name: 'dec.0 dW', M: Z, N: H, K: B, transA: true },
    { name: 'dec.0 dX', M: B, N: Z, K: H, transB: true },
    { name: 'enc.head dW', M: H, N: 2 * Z, K: B, transA: true },
    { name: 'enc.head dX', M: B, N: H, K: 2 * Z, transB: true },
    { name: 'enc.0 dW', M: D, N: H, K: B, transA: true },
  ];
}

export function stepFlops(B: number): number {
  return vaeMatmuls(B).reduce((s, c) => s + matmulFlops(c), 0);
}

export function shapeText(c: MatmulCase): string {
  return `${c.M}×${c.K} · ${c.K}×${c.N}`;
}

export function opText(c: MatmulCase): string {
  return `${c.transA ? 'T' : 'N'}${c.transB ? 'T' : 'N'}${c.bias ? ' +bias' : ''}${c.activation === 'relu' ? ' relu' : ''}`;
}

/**
 * MNIST-like synthetic images (about 19% of pixels lit, values in (0, 1]): the same data for every
 * implementation. Timings do not depend on the pixel values; the losses printed are on this data.
 */
export function syntheticImages(count: number, seed = 7): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(count * D);
  for (let i = 0; i < out.length; i++) out[i] = r() < 0.19 ? 0.05 + 0.95 * r() : 0;
  return out;
}

/** A byte count as MiB, for log lines. */
export const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 1)} MiB`;

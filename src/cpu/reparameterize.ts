// CPU twin of shaders/reparameterize.wgsl (float64). stats is B×2Z (μ | logvar), z and dz are B×Z.
//   forward:  z = μ + exp(½ logvar)·ε
//   backward: dμ += dz,  dlogvar += dz·ε·½·exp(½ logvar)
import { gaussianNoise } from './philox';

export interface CpuNoise {
  seed: number;
  step: number;
  stream: number;
}

export function reparameterizeForward(stats: ArrayLike<number>, B: number, Z: number, noise: CpuNoise): Float64Array {
  const z = new Float64Array(B * Z);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < Z; j++) {
      const i = b * Z + j;
      const eps = gaussianNoise(noise.seed, noise.step, noise.stream, i);
      z[i] = stats[b * 2 * Z + j] + Math.exp(0.5 * stats[b * 2 * Z + Z + j]) * eps;
    }
  }
  return z;
}

/** Returns dstats + the contribution through z (dstats is not modified). */
export function reparameterizeBackward(
  stats: ArrayLike<number>,
  dz: ArrayLike<number>,
  dstats: ArrayLike<number>,
  B: number,
  Z: number,
  noise: CpuNoise,
): Float64Array {
  const out = Float64Array.from(dstats);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < Z; j++) {
      const i = b * Z + j;
      const eps = gaussianNoise(noise.seed, noise.step, noise.stream, i);
      const mu = b * 2 * Z + j;
      const lv = mu + Z;
      out[mu] += dz[i];
      out[lv] += dz[i] * eps * 0.5 * Math.exp(0.5 * stats[lv]);
    }
  }
  return out;
}

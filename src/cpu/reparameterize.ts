// CPU twin of shaders/reparameterize.wgsl (float64). stats is B×2Z (μ | logvar), z and dz are B·S×Z
// (S samples per example, row b·S + s).
//   forward:  z = μ + exp(½ logvar)·ε
//   backward: dμ += dz,  dlogvar += dz·ε·½·exp(½ logvar)
// ε of element i = b·Z + j = 4g + q is normal q of Philox group g (src/cpu/philox.ts, gaussianGroup).
import { gaussianGroup } from './philox';

export interface CpuNoise {
  seed: number;
  step: number;
  stream: number;
}

/** ε for elements 0 .. count−1 of one step: the groups' four normals in order. */
export function noiseFor(noise: CpuNoise, count: number): Float64Array {
  const eps = new Float64Array(count);
  for (let g = 0; 4 * g < count; g++) {
    const n = gaussianGroup(noise.seed, noise.step, noise.stream, g);
    for (let q = 0; q < 4 && 4 * g + q < count; q++) eps[4 * g + q] = n[q];
  }
  return eps;
}

/** z has S rows per example (row r = b·S + s), each drawing its own noise; stats one row per example. */
export function reparameterizeForward(stats: ArrayLike<number>, B: number, Z: number, noise: CpuNoise, S = 1): Float64Array {
  const z = new Float64Array(B * S * Z);
  const epsilon = noiseFor(noise, B * S * Z);
  for (let r = 0; r < B * S; r++) {
    const b = Math.floor(r / S);
    for (let j = 0; j < Z; j++) {
      const i = r * Z + j;
      z[i] = stats[b * 2 * Z + j] + Math.exp(0.5 * stats[b * 2 * Z + Z + j]) * epsilon[i];
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
  S = 1,
): Float64Array {
  const out = Float64Array.from(dstats);
  const epsilon = noiseFor(noise, B * S * Z);
  for (let r = 0; r < B * S; r++) {
    const b = Math.floor(r / S);
    for (let j = 0; j < Z; j++) {
      const i = r * Z + j;
      const eps = epsilon[i];
      const mu = b * 2 * Z + j;
      const lv = mu + Z;
      out[mu] += dz[i];
      out[lv] += dz[i] * eps * 0.5 * Math.exp(0.5 * stats[lv]);
    }
  }
  return out;
}

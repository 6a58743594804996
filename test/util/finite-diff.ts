// Shared by the float64 gradient tests: seeded uniform inputs and central finite differences.
import { rng } from './random';

/** n seeded uniforms in [-scale, scale). */
export function randoms(n: number, seed: number, scale = 1): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => scale * (2 * r() - 1));
}

/** Central differences of a scalar function at every coordinate of x (x is restored). */
export function numericGrad(f: () => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const old = x[i];
    x[i] = old + h; const up = f();
    x[i] = old - h; const down = f();
    x[i] = old;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

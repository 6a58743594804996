// Seeded initialisation like PyTorch's nn.Linear default (weights and biases ~ U(−1/√fan_in, 1/√fan_in)),
// drawn from the same counter-based Philox stream on every platform, so GPU and CPU start identical.
import type { Graph } from '../graph/graph';
import { philox4x32, seedKey, unitInterval } from '../cpu/philox';

/** Noise streams of one seed: each use of randomness has its own, so none overlaps another. */
export const STREAMS = {
  train: 0,
  evalElbo: 1,
  prior: 2,
  init: 3,
  shuffle: 4,
  binarize: 5,
  /** Importance samples use iwaeBase + sample index. */
  iwaeBase: 1024,
} as const;

export function initParams(g: Graph, seed: number): Float32Array {
  const arena = new Float32Array(g.arenaSize);
  const key = seedKey(seed);
  g.params.forEach((p, t) => {
    for (let i = 0; i < p.size; i++) {
      const u = unitInterval(philox4x32([i, t, STREAMS.init, 0], key)[0]);
      arena[p.offset + i] = p.init ?? (2 * u - 1) * p.initBound;
    }
  });
  return arena;
}

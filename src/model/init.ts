// Seeded initialisation like PyTorch's nn.Linear default (weights and biases ~ U(−1/√fan_in, 1/√fan_in)),
// drawn from the same counter-based Philox stream on every platform, so GPU and CPU start identical.
import type { Graph } from '../graph/graph';
import { STREAMS, seedKey } from '../base/words';
import { philox4x32, unitInterval } from '../cpu/philox';

export { STREAMS };

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

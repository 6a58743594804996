// The static memory plan of a training step: every buffer a step touches, made once for the largest
// batch. Activations kept for backward get one buffer each; activation gradients live only between
// two neighbouring layers' backward, so they share two ping-pong buffers (dstats, which the ELBO
// writes first and the encoder reads last, keeps its own); the parameter, gradient and Adam moment
// arenas share one layout.
import type { BufferSlice } from '../gpu/kernel';
import type { Graph, ParamSpec } from './graph';

export interface MemoryPlan {
  maxBatch: number;
  /** Activation buffers by tensor name (maxBatch × width floats). */
  activations: Map<string, GPUBuffer>;
  /** Gradient buffer of each activation that needs one, by tensor name. */
  gradients: Map<string, GPUBuffer>;
  /** dY ⊙ f'(·) scratch of layers with a non-identity activation. */
  dPre: GPUBuffer;
  params: GPUBuffer;
  grads: GPUBuffer;
  adamM: GPUBuffer;
  adamV: GPUBuffer;
  /** ELBO outputs: per-example (rec, kl), batch loss, running totals; IWAE running sums. */
  terms: GPUBuffer;
  loss: GPUBuffer;
  totals: GPUBuffer;
  /** [steps taken, first step with a non-finite loss] (u32), kept by training passes. */
  health: GPUBuffer;
  iwaeRun: GPUBuffer;
  /** Every buffer above, for byte counts and disposal. */
  all: GPUBuffer[];
}

const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export function planMemory(device: GPUDevice, g: Graph, maxBatch: number): MemoryPlan {
  const all: GPUBuffer[] = [];
  const make = (label: string, floats: number) => {
    const bytes = Math.max(16, Math.ceil((floats * 4) / 16) * 16);
    if (bytes > device.limits.maxStorageBufferBindingSize) {
      throw new Error(
        `memory plan: ${label} needs ${bytes} bytes, more than this device's maxStorageBufferBindingSize (${device.limits.maxStorageBufferBindingSize}); use a smaller batch`,
      );
    }
    const b = device.createBuffer({ label, size: bytes, usage: STORAGE() });
    all.push(b);
    return b;
  };
  const activations = new Map<string, GPUBuffer>();
  for (const t of g.tensors) activations.set(t.name, make(`act ${t.name}`, maxBatch * t.width));

  // Gradients flow backwards along the chain: walk the ops in reverse and alternate buffers.
  const gradients = new Map<string, GPUBuffer>();
  const chainGrads = g.tensors.filter((t) => t.name !== g.input && t.name !== g.stats);
  const widest = Math.max(...chainGrads.map((t) => t.width));
  const ping = make('grad ping', maxBatch * widest);
  const pong = make('grad pong', maxBatch * widest);
  let flip = false;
  for (const op of [...g.ops].reverse()) {
    if (op.kind !== 'linear' && op.kind !== 'reparameterize') continue;
    if (op.output !== g.stats && !gradients.has(op.output)) {
      gradients.set(op.output, flip ? pong : ping);
      flip = !flip;
    }
  }
  gradients.set(g.stats, make('grad stats', maxBatch * g.tensors.find((t) => t.name === g.stats)!.width));
  const activated = g.ops.filter((o) => o.kind === 'linear' && o.activation !== 'identity');
  const dPreWidth = Math.max(1, ...activated.map((o) => (o.kind === 'linear' ? o.outDim : 0)));
  return {
    maxBatch,
    activations,
    gradients,
    dPre: make('dPre', maxBatch * dPreWidth),
    params: make('params', g.arenaSize),
    grads: make('grads', g.arenaSize),
    adamM: make('adam m', g.arenaSize),
    adamV: make('adam v', g.arenaSize),
    terms: make('elbo terms', 2 * maxBatch),
    loss: make('loss', 4),
    totals: make('totals', 4),
    health: make('health', 2),
    iwaeRun: make('iwae run', 2 * maxBatch),
    all,
  };
}

export function paramSlice(arena: GPUBuffer, p: ParamSpec): BufferSlice {
  return { buffer: arena, offset: p.offset * 4, size: p.size * 4 };
}

export function planBytes(plan: MemoryPlan): number {
  return plan.all.reduce((s, b) => s + b.size, 0);
}

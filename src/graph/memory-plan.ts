// The static memory plan of a training step: every buffer a step touches, made once for the largest
// batch (and number of samples). Activations, gradients and scratch share slots by liveness
// (src/graph/liveness.ts); what ops declare persistent (an objective's terms, loss, totals, health)
// gets its own buffer; the parameter, gradient and Adam moment arenas share one layout. An inference
// plan holds the parameters, the forward's activations and what a forward binds of the backward's
// buffers (a fused objective's gradients, one-bind-group ops), packed alike; anything else an op
// asks for anyway (a parameter's gradient, an op that prepares its backward regardless) gets a sink.
import type { BufferSlice } from '../gpu/kernel';
import type { Graph, ParamSpec } from './graph';
import { liveValues, packSlots, type SlotPlan } from './liveness';

export interface MemoryPlan {
  maxBatch: number;
  maxSamples: number;
  /** Activation buffers by tensor name (shared with other values whose lifetimes do not overlap). */
  activations: Map<string, GPUBuffer>;
  /** Gradient buffer of each activation that needs one, by tensor name. */
  gradients: Map<string, GPUBuffer>;
  /** Scratch by `<op>/<name>`. */
  scratch: Map<string, GPUBuffer>;
  /** Buffers that outlive a pass by `<op>/<name>`. */
  persistent: Map<string, GPUBuffer>;
  params: GPUBuffer;
  /** The gradient and Adam moment arenas of a training plan; null in an inference plan. */
  train: { grads: GPUBuffer; adamM: GPUBuffer; adamV: GPUBuffer } | null;
  /**
   * Inference plans: a buffer of its own for `key` (a gradient, scratch or parameter gradient that a
   * forward dispatch binds but no backward reads), made the first time it is asked for and kept.
   */
  sink(key: string, floats: number): GPUBuffer;
  /** Every buffer above, for byte counts and disposal. */
  all: GPUBuffer[];
}

const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Bytes of a buffer of `floats` values: whole 16-byte words, at least one. */
export function bufferBytes(floats: number): number {
  return Math.max(16, Math.ceil((floats * 4) / 16) * 16);
}

/** The plan's buffers as (label, floats), without a device: the slots, the persistent buffers, the arenas. */
export function planLayout(g: Graph, maxBatch: number, maxSamples = 1, training = true): { slots: SlotPlan; persistent: [string, number][]; arenas: [string, number][] } {
  const slots = packSlots(liveValues(g, maxBatch, maxSamples, training));
  const persistent: [string, number][] = [];
  for (const op of g.ops) {
    for (const p of op.kind.buffers(op).persistent) persistent.push([`${op.name}/${p.name}`, p.floats(maxBatch * (p.perSample ? maxSamples : 1))]);
  }
  const arenas = (training ? ['params', 'grads', 'adam m', 'adam v'] : ['params']).map((n): [string, number] => [n, g.arenaSize]);
  return { slots, persistent, arenas };
}

/** Bytes the plan of `g` holds (what planBytes reports once it is made). */
export function layoutBytes(layout: ReturnType<typeof planLayout>): number {
  return [...layout.slots.slots, ...layout.persistent.map(([, f]) => f), ...layout.arenas.map(([, f]) => f)].reduce((s, f) => s + bufferBytes(f), 0);
}

/** The plan of `g` on a device: a training plan, or (training false) an inference plan. */
export function planMemory(device: GPUDevice, g: Graph, maxBatch: number, maxSamples = 1, training = true): MemoryPlan {
  const all: GPUBuffer[] = [];
  const make = (label: string, floats: number, usage = STORAGE()) => {
    const bytes = bufferBytes(floats);
    if (bytes > device.limits.maxStorageBufferBindingSize) {
      throw new Error(
        `memory plan: ${label} needs ${bytes} bytes, more than this device's maxStorageBufferBindingSize (${device.limits.maxStorageBufferBindingSize}); use a smaller batch`,
      );
    }
    const b = device.createBuffer({ label, size: bytes, usage });
    all.push(b);
    return b;
  };
  const layout = planLayout(g, maxBatch, maxSamples, training);
  const packed = layout.slots;
  const names = packed.slots.map(() => [] as string[]);
  for (const v of packed.values) names[packed.slotOf.get(v.key)!].push(v.key);
  const slots = packed.slots.map((floats, i) => make(names[i].join(' | '), floats));
  const activations = new Map<string, GPUBuffer>();
  const gradients = new Map<string, GPUBuffer>();
  const scratch = new Map<string, GPUBuffer>();
  for (const v of packed.values) {
    const buffer = slots[packed.slotOf.get(v.key)!];
    const [what, name] = [v.key.slice(0, v.key.indexOf(' ')), v.key.slice(v.key.indexOf(' ') + 1)];
    (what === 'act' ? activations : what === 'grad' ? gradients : scratch).set(name, buffer);
  }
  for (const [alias, storage] of g.aliases ?? []) {
    const a = activations.get(storage), d = gradients.get(storage);
    if (a) activations.set(alias, a);
    if (d) gradients.set(alias, d);
  }
  const persistent = new Map(layout.persistent.map(([key, floats]) => [key, make(key.replace('/', ' '), floats)]));
  const sinks = new Map<string, GPUBuffer>();
  return {
    maxBatch,
    maxSamples,
    activations,
    gradients,
    scratch,
    persistent,
    // Also UNIFORM: an objective reads a likelihood's learned scales through a uniform binding.
    params: make('params', g.arenaSize, STORAGE() | GPUBufferUsage.UNIFORM),
    train: training ? { grads: make('grads', g.arenaSize), adamM: make('adam m', g.arenaSize), adamV: make('adam v', g.arenaSize) } : null,
    sink(key, floats) {
      if (training) throw new Error(`memory plan: no ${key} in this training plan (ops must declare what they use in buffers())`);
      let b = sinks.get(key);
      if (!b) sinks.set(key, (b = make(`sink ${key}`, floats)));
      return b;
    },
    all,
  };
}

/** Looks a plan's buffer up, with an error that names what is missing. */
export function planBuffer(map: Map<string, GPUBuffer>, key: string, what: string): GPUBuffer {
  const b = map.get(key);
  if (!b) throw new Error(`memory plan: no ${what} '${key}' (ops must declare what they use in buffers())`);
  return b;
}

export function paramSlice(arena: GPUBuffer, p: ParamSpec): BufferSlice {
  return { buffer: arena, offset: p.offset * 4, size: p.size * 4 };
}

export function planBytes(plan: MemoryPlan): number {
  return plan.all.reduce((s, b) => s + b.size, 0);
}

// Liveness of a training step's buffers and their packing into shared slots. The step runs op i's
// forward at time i and its backward at time 2n − 1 − i. Each activation lives from the op that writes
// it to its last reader (forward consumers, and backward rules that keep it); each gradient from its
// first writer to the backward of the op that made the tensor; scratch only during its op's backward.
// Values whose lifetimes do not overlap share a slot (best fit, else a new slot), except values that
// one op binds together in a single bind group. An inference plan (training false) has the forward
// alone: activations live from their writer to their last forward reader (the io tensors to the
// end), and of the backward's buffers only those a forward dispatch binds. Pure: no GPU here.
import type { Graph } from './graph';
import { needsGrad, storageOf } from './graph';

export interface Value {
  /** 'act x', 'grad stats', 'scratch encoder.0/dPre'. */
  key: string;
  floats: number;
  start: number;
  end: number;
}

/** Keys of values that must not share a slot (an op binding them all at once). */
export type Conflict = string[];

export interface SlotPlan {
  values: Value[];
  /** Floats of each slot. */
  slots: number[];
  /** Slot index of each value, by key. */
  slotOf: Map<string, number>;
}

export function liveValues(g: Graph, maxBatch: number, maxSamples: number, training = true): { values: Value[]; conflicts: Conflict[] } {
  const n = g.ops.length;
  const fwd = (i: number) => i;
  const bwd = (i: number) => 2 * n - 1 - i;
  const rows = (perSample: boolean) => maxBatch * (perSample ? maxSamples : 1);
  const spec = new Map(g.tensors.map((t) => [t.name, t]));
  const act = new Map<string, Value>();
  const grad = new Map<string, Value>();
  const values: Value[] = [];
  const touch = (v: Value, t: number) => {
    v.start = Math.min(v.start, t);
    v.end = Math.max(v.end, t);
  };
  // The value of a tensor's activation or gradient, made the first time it is touched. A reshape's
  // output is its input's buffer: both names are one value.
  const valueOf = (map: Map<string, Value>, what: 'act' | 'grad', tensor: string) => {
    const name = storageOf(g, tensor);
    let v = map.get(name);
    if (!v) {
      const t = spec.get(name)!;
      v = { key: `${what} ${name}`, floats: rows(t.perSample) * t.width, start: Infinity, end: -Infinity };
      map.set(name, v);
      values.push(v);
    }
    return v;
  };
  const actOf = (tensor: string) => valueOf(act, 'act', tensor);
  // The data (and a conditional model's labels) are uploaded before the step.
  touch(actOf(g.io.input), -1);
  if (g.io.label) touch(actOf(g.io.label), -1);
  const producer = new Map<string, number>();
  g.ops.forEach((op, i) => {
    for (const t of Object.values(op.inputs)) touch(actOf(t), fwd(i));
    for (const t of Object.values(op.outputs)) {
      touch(actOf(t), fwd(i));
      producer.set(t, i);
    }
  });
  const writers = new Map<string, { time: number; mode: 'write' | 'add'; op: string }[]>();
  if (!training) {
    // Evaluation reads the model's io tensors after later stages ran (L_k reads z and stats after
    // the objective): they live to the end. What a forward binds of the backward's buffers (a fused
    // objective's gradients; every gradient and scratch of a one-bind-group op) lives at that op.
    for (const t of Object.values(g.io)) touch(actOf(t), 2 * n);
    g.ops.forEach((op, i) => {
      const b = op.kind.buffers(op);
      const bound = new Set(b.grads.filter((w) => w.phase === 'forward').map((w) => w.tensor));
      if (b.oneBindGroup) for (const t of [...Object.values(op.inputs), ...Object.values(op.outputs)]) bound.add(t);
      for (const t of bound) if (needsGrad(g, t)) touch(valueOf(grad, 'grad', t), fwd(i));
      if (b.oneBindGroup) for (const sc of b.scratch) values.push({ key: `scratch ${op.name}/${sc.name}`, floats: sc.floats(rows(!!sc.perSample)), start: fwd(i), end: fwd(i) });
    });
  }
  if (training) g.ops.forEach((op, i) => {
    const b = op.kind.buffers(op);
    for (const t of b.saved) touch(actOf(t), bwd(i));
    for (const w of b.grads) {
      if (!needsGrad(g, w.tensor)) continue;
      const time = w.phase === 'forward' ? fwd(i) : bwd(i);
      const tensor = storageOf(g, w.tensor);
      if (!writers.has(tensor)) writers.set(tensor, []);
      writers.get(tensor)!.push({ time, mode: w.mode, op: op.name });
    }
    for (const s of b.scratch) {
      values.push({ key: `scratch ${op.name}/${s.name}`, floats: s.floats(rows(!!s.perSample)), start: bwd(i), end: bwd(i) });
    }
  });
  for (const [tensor, ws] of writers) {
    ws.sort((a, b) => a.time - b.time);
    ws.forEach((w, k) => {
      if ((k === 0) !== (w.mode === 'write')) {
        throw new Error(
          k === 0
            ? `memory plan: ${w.op} adds into the gradient of '${tensor}' before any op writes it`
            : `memory plan: ${w.op} overwrites the gradient of '${tensor}' that ${ws[0].op} wrote (a tensor read by several ops needs every later one to add)`,
        );
      }
    });
    const t = spec.get(tensor)!;
    const v: Value = { key: `grad ${tensor}`, floats: rows(t.perSample) * t.width, start: ws[0].time, end: ws[ws.length - 1].time };
    const p = producer.get(tensor);
    if (p !== undefined) touch(v, bwd(p));
    grad.set(tensor, v);
    values.push(v);
  }
  const conflicts: Conflict[] = [];
  for (const op of g.ops) {
    const b = op.kind.buffers(op);
    if (!b.oneBindGroup) continue;
    const tensors = [...Object.values(op.inputs), ...Object.values(op.outputs)].map((t) => storageOf(g, t));
    conflicts.push([
      ...tensors.map((t) => `act ${t}`),
      ...tensors.filter((t) => grad.has(t)).map((t) => `grad ${t}`),
      ...b.scratch.map((s) => `scratch ${op.name}/${s.name}`),
    ]);
  }
  return { values, conflicts };
}

export function packSlots({ values, conflicts }: { values: Value[]; conflicts: Conflict[] }): SlotPlan {
  const order = [...values].sort((a, b) => a.start - b.start);
  const slots: number[] = [];
  const busyUntil: number[] = [];
  const held: Set<string>[] = [];
  const slotOf = new Map<string, number>();
  const avoid = new Map<string, Set<string>>();
  for (const group of conflicts) {
    for (const k of group) {
      if (!avoid.has(k)) avoid.set(k, new Set());
      for (const other of group) if (other !== k) avoid.get(k)!.add(other);
    }
  }
  for (const v of order) {
    const clash = avoid.get(v.key);
    let best = -1;
    for (let s = 0; s < slots.length; s++) {
      if (busyUntil[s] >= v.start || slots[s] < v.floats) continue;
      if (clash && [...held[s]].some((k) => clash.has(k))) continue;
      if (best < 0 || slots[s] < slots[best]) best = s;
    }
    if (best < 0) {
      best = slots.length;
      slots.push(v.floats);
      busyUntil.push(-Infinity);
      held.push(new Set());
    }
    busyUntil[best] = v.end;
    held[best].add(v.key);
    slotOf.set(v.key, best);
  }
  return { values, slots, slotOf };
}

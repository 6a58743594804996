// The scheduler: from the op graph and the memory plan it prepares, per batch size and number of
// samples, each op's dispatches (its module's `gpu` rule) and orders them into a training step: every
// forward in order, every backward in reverse order, and the step program (src/optim/gpu-step.ts) adds
// the clip and the Adam update.
// Everything is prepared once per pass; a step only writes small uniforms and encodes.
import type { Dispatch, Runtime } from '../gpu/runtime';
import { needsGrad, tensorSpec, type Graph } from './graph';
import { paramSlice, planBuffer, type MemoryPlan } from './memory-plan';
import type { GpuOpContext, OpNode, PreparedGpuOp, Stage } from './op';

/** The dispatches of one pass over the graph for one batch size, and the resources they own. */
export interface PassPlan {
  batch: number;
  samples: number;
  /** encode + sample + decode + objective, in order. */
  forward: Dispatch[];
  /** The forward dispatches of each stage: the encoder's layers, the noise, the decoder's, the objective. */
  stages: Record<Stage, Dispatch[]>;
  backward: Dispatch[];
  /** Sets the step (and stream) words of every noise op of the pass. */
  setNoise(step: number, stream?: number): void;
  /** Sets β in every op of the pass that has one (a KL warm-up). */
  setBeta(beta: number): void;
  destroy(): void;
}

export interface PassOptions {
  batch: number;
  samples?: number;
  seed: number;
  /** The noise stream of this pass (training or evaluation). */
  stream: number;
  /** A training pass (its objective counts steps and watches for a non-finite loss). */
  training: boolean;
  /** Prepare only these stages (default all), e.g. k samples per example through the decoder without the objective. */
  stages?: readonly Stage[];
}

function opContext(rt: Runtime, graph: Graph, plan: MemoryPlan, op: OpNode, o: PassOptions, samples: number): GpuOpContext {
  const rows = (t: string, batch: number, s: number) => batch * (tensorSpec(graph, t).perSample ? s : 1);
  const train = plan.train;
  // An inference plan: what a forward binds of the backward's buffers comes from a sink sized for the plan.
  const scratchFloats = (name: string) => {
    const s = op.kind.buffers(op).scratch.find((b) => b.name === name);
    if (!s) throw new Error(`memory plan: no scratch buffer '${op.name}/${name}' (ops must declare what they use in buffers())`);
    return s.floats(plan.maxBatch * (s.perSample ? plan.maxSamples : 1));
  };
  return {
    rt,
    batch: o.batch,
    samples,
    training: o.training,
    backward: train !== null,
    noise: { seed: o.seed, stream: o.stream },
    rows: (t) => rows(t, o.batch, samples),
    tensor: (t) => planBuffer(plan.activations, t, 'activation'),
    grad: (t) => train || plan.gradients.has(t) ? planBuffer(plan.gradients, t, 'gradient') : plan.sink(`grad ${t}`, rows(t, plan.maxBatch, plan.maxSamples) * tensorSpec(graph, t).width),
    needsGrad: (t) => needsGrad(graph, t),
    scratch: (name) => train || plan.scratch.has(`${op.name}/${name}`) ? planBuffer(plan.scratch, `${op.name}/${name}`, 'scratch buffer') : plan.sink(`scratch ${op.name}/${name}`, scratchFloats(name)),
    persistent: (name) => planBuffer(plan.persistent, `${op.name}/${name}`, 'persistent buffer'),
    param: (p) => paramSlice(plan.params, p),
    paramGrad: (p) => train ? paramSlice(train.grads, p) : { buffer: plan.sink(`param grad ${p.name}`, p.size), offset: 0, size: p.size * 4 },
  };
}

export function planPass(rt: Runtime, graph: Graph, plan: MemoryPlan, o: PassOptions): PassPlan {
  const samples = o.samples ?? 1;
  if (!Number.isInteger(o.batch) || o.batch < 1 || o.batch > plan.maxBatch) {
    throw new Error(`scheduler: batch size must be an integer from 1 to ${plan.maxBatch}, got ${o.batch}`);
  }
  if (!Number.isInteger(samples) || samples < 1 || samples > plan.maxSamples) {
    throw new Error(`scheduler: samples per example must be an integer from 1 to ${plan.maxSamples}, got ${samples}`);
  }
  const prepared: PreparedGpuOp[] = [];
  const stages: Record<Stage, Dispatch[]> = { encoder: [], sample: [], decoder: [], objective: [] };
  try {
    for (const op of graph.ops) {
      if (o.stages && !o.stages.includes(op.stage)) continue;
      const p = op.kind.gpu(op, opContext(rt, graph, plan, op, o, samples));
      prepared.push(p);
      stages[op.stage].push(...p.forward);
    }
  } catch (e) {
    for (const p of prepared) p.destroy();
    throw e;
  }
  return {
    batch: o.batch,
    samples,
    forward: [...stages.encoder, ...stages.sample, ...stages.decoder, ...stages.objective],
    stages,
    backward: [...prepared].reverse().flatMap((p) => p.backward),
    setNoise: (step, stream) => prepared.forEach((p) => p.setNoise?.(step, stream)),
    setBeta: (beta) => prepared.forEach((p) => p.setBeta?.(beta)),
    destroy: () => prepared.forEach((p) => p.destroy()),
  };
}

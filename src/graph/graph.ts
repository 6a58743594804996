// The op graph of a VAE from its layer lists: the encoder's layers from the data x to stats
// (μ | log σ²), the sampler to z (`samples` rows per example: the objective's own, else the
// registry's), the decoder's layers to the logits, and the objective. Every op's shape rule checks
// its inputs as the graph is built. Parameters live in one arena, each tensor 64-float aligned so it
// can be bound on its own (256-byte storage offsets) and updated by one Adam dispatch over the arena.
import type { LayerSpec, ObjectiveSpec } from '../base/words';
import type { ObjectiveContext, ObjectiveInfo, ObjectiveKind, OpNode, OpRegistry, ParamRequest, ParamSpec, Stage, TensorShape, TensorSpec } from './op';

export type { ParamSpec, TensorSpec } from './op';

export interface Graph {
  ops: OpNode[];
  tensors: TensorSpec[];
  params: ParamSpec[];
  /** Floats in the parameter arena (a multiple of 4). */
  arenaSize: number;
  /** The VAE's tensors by role: the data, the encoder's μ | logvar, the latent sample, the decoder's output. */
  io: { input: string; stats: string; z: string; logits: string };
  /** The objective op (the last op). */
  objective: OpNode & { kind: ObjectiveKind };
  /** Tensors that are another tensor under a new shape (reshape, flatten): name → the tensor holding the memory. */
  aliases: Map<string, string>;
}

/** Floats: 64 × 4 bytes = 256, the largest minStorageBufferOffsetAlignment WebGPU allows. */
export const PARAM_ALIGN = 64;

const widthOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** What a graph is built from: the model's shared words, its two layer lists and its objective. */
export interface GraphSpec extends ObjectiveContext {
  encoder: LayerSpec[];
  decoder: LayerSpec[];
  objective: ObjectiveSpec;
}

export function buildGraph(c: GraphSpec, registry: OpRegistry): Graph {
  const ops: OpNode[] = [];
  const tensors: TensorSpec[] = [];
  const params: ParamSpec[] = [];
  const byName = new Map<string, TensorSpec>();
  let arena = 0;
  const tensor = (name: string, t: TensorShape) => {
    if (byName.has(name)) throw new Error(`graph: two tensors are named '${name}'`);
    const spec = { name, shape: [...t.shape], perSample: t.perSample, width: widthOf(t.shape) };
    tensors.push(spec);
    byName.set(name, spec);
  };
  const add = (op: Omit<OpNode, 'kind'> & { kind: OpNode['kind'] }) => {
    const shapes = Object.fromEntries(Object.entries(op.inputs).map(([role, t]) => [role, byName.get(t)!]));
    const out = op.kind.shape(op.name, op.attrs, shapes);
    for (const [role, t] of Object.entries(op.outputs)) {
      if (!out[role]) throw new Error(`graph: ${op.name} (${op.kind.name}) gives no output '${role}'`);
      tensor(t, out[role]);
    }
    ops.push(op);
  };
  const place = (prefix: string, wanted: ParamRequest[]) => {
    const placed: Record<string, ParamSpec> = {};
    for (const p of wanted) {
      const size = widthOf(p.shape);
      const spec: ParamSpec = { name: `${prefix}.${p.role}`, shape: p.shape, offset: arena, size, initBound: 1 / Math.sqrt(p.fanIn), ...(p.init !== undefined ? { init: p.init } : {}) };
      arena += Math.ceil(size / PARAM_ALIGN) * PARAM_ALIGN;
      params.push(spec);
      placed[p.role] = spec;
    }
    return placed;
  };
  const layers = (list: LayerSpec[], prefix: string, stage: Stage, input: string, last: string) => {
    let prev = input;
    list.forEach((spec, i) => {
      const name = spec.name ?? `${prefix}.${i}`;
      const kind = registry.layer(spec.kind, `layer ${name}`);
      const { attrs, params: wanted } = kind.layer(spec, byName.get(prev)!, name);
      const placed = place(name, wanted);
      const output = i === list.length - 1 ? last : `${name}.out`;
      add({ kind, name, stage, inputs: { x: prev }, outputs: { y: output }, params: placed, attrs });
      prev = output;
    });
    if (list.length === 0) throw new Error(`config: the ${prefix} needs at least one layer`);
  };
  const io = { input: 'x', stats: 'stats', z: 'z', logits: 'logits' };
  tensor(io.input, { shape: [c.inputDim], perSample: false });
  const model: ObjectiveContext = { inputDim: c.inputDim, latent: c.latent, likelihood: c.likelihood, sigma: c.sigma, channels: c.channels, beta: c.beta };
  layers(c.encoder, 'encoder', 'encoder', io.input, io.stats);
  const objective = registry.objective(c.objective.kind);
  const objAttrs = objective.parse(c.objective, model);
  // The objective may bring its own sampler; its outputs besides z are the objective's extra inputs.
  const sampler = objective.sampler
    ? { kind: objective.sampler.kind, attrs: objective.sampler.attrs(objAttrs) }
    : { kind: registry.sampler.kind, attrs: registry.sampler.attrs(model) };
  const samplerName = sampler.kind.name;
  const roles = Object.keys(sampler.kind.shape(samplerName, sampler.attrs, { stats: byName.get(io.stats)! })).filter((r) => r !== 'z');
  const extra = Object.fromEntries(roles.map((r) => [r, `${samplerName}.${r}`]));
  add({ kind: sampler.kind, name: samplerName, stage: 'sample', inputs: { stats: io.stats }, outputs: { z: io.z, ...extra }, params: {}, attrs: sampler.attrs });
  layers(c.decoder, 'decoder', 'decoder', io.z, io.logits);
  // The objective's own parameters (a likelihood's scales) come after every layer's.
  const objParams = place('likelihood', objective.params?.(objAttrs) ?? []);
  add({ kind: objective, name: objective.name, stage: 'objective', inputs: { logits: io.logits, target: io.input, stats: io.stats, ...extra }, outputs: {}, params: objParams, attrs: objAttrs });
  const aliases = new Map<string, string>();
  for (const op of ops) for (const [out, inp] of op.kind.buffers(op).aliases ?? []) aliases.set(out, aliases.get(inp) ?? inp);
  return { ops, tensors, params, arenaSize: arena, io, objective: ops[ops.length - 1] as Graph['objective'], aliases };
}

export function tensorSpec(g: Graph, name: string): TensorSpec {
  const t = g.tensors.find((s) => s.name === name);
  if (!t) throw new Error(`graph: no tensor '${name}'`);
  return t;
}

export function tensorWidth(g: Graph, name: string): number {
  return tensorSpec(g, name).width;
}

/** The tensors whose gradients a backward pass needs: all but the data. */
export function needsGrad(g: Graph, tensor: string): boolean {
  return storageOf(g, tensor) !== g.io.input;
}

/** The tensor whose buffer holds `tensor` (itself unless it is a reshape of another). */
export function storageOf(g: Graph, tensor: string): string {
  return g.aliases?.get(tensor) ?? tensor;
}

/** The objective's parts, labels, bound, term columns and samples per training pass. */
export function objectiveInfo(g: Graph): ObjectiveInfo {
  const { kind, attrs } = g.objective;
  const parts = kind.parts(attrs);
  const columns = kind.columns?.(attrs) ?? parts;
  const bound = kind.importanceBound === undefined ? -1 : columns.indexOf(kind.importanceBound);
  if (kind.importanceBound !== undefined && bound < 0) {
    throw new Error(`objective ${kind.name}: its importance bound '${kind.importanceBound}' is not one of its term columns (${columns.join(', ')})`);
  }
  return {
    parts,
    labels: kind.labels(attrs),
    bound: (p) => kind.bound(attrs, p),
    columns,
    samples: kind.samples?.(attrs) ?? 1,
    ...(bound >= 0 ? { importanceBound: bound } : {}),
  };
}

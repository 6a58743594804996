// What an op kind is: one module per kind owns its shape rule, the buffers it needs (outputs, what
// its backward reads, scratch, outputs that outlive a pass), its GPU forward and backward dispatches
// and its CPU twin's forward and backward. The graph, the memory plan, the scheduler and the CPU
// reference only iterate ops and call these; none of them knows a kind by name. A missing member is a
// type error, and the prepared GPU op keeps whatever its forward and backward share (no shared context).
import type { BufferSlice } from '../gpu/kernel';
import type { Dispatch, Runtime } from '../gpu/runtime';
import type { LayerFields, Likelihood, ObjectiveSpec, Sigma } from '../base/words';

export type { LayerFields, LayerSpec, ObjectiveSpec } from '../base/words';

/** A tensor's shape per row; rows are examples, or examples × samples for tensors after the noise. */
export interface TensorShape {
  /** Shape of one row (e.g. [784], or [channels, height, width]). */
  shape: number[];
  /** Rows = batch × samples (true) or batch (false). */
  perSample: boolean;
}

export interface TensorSpec extends TensorShape {
  name: string;
  /** Floats per row: the product of `shape`. */
  width: number;
}

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Offset in floats inside the parameter arena (a multiple of PARAM_ALIGN). */
  offset: number;
  size: number;
  /** nn.Linear's default init bound: U(−1/√fan_in, 1/√fan_in) (or a constant, see `init`). */
  initBound: number;
  /** A constant initial value instead of the uniform draw. */
  init?: number;
}

/** A parameter as a layer asks for it; the graph places it in the arena. */
export interface ParamRequest {
  /** Suffix of the parameter's name (`<layer>.<role>`, e.g. encoder.0.weight). */
  role: string;
  shape: number[];
  fanIn: number;
  init?: number;
}

/** Where an op sits in the VAE: passes run the stages they need (encode, sample, decode, objective). */
export type Stage = 'encoder' | 'sample' | 'decoder' | 'objective';

export interface OpNode<A = unknown> {
  kind: OpKind<A>;
  name: string;
  stage: Stage;
  /** Tensor names by the op's own role names (e.g. { x: 'encoder.0.out' }). */
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  /** Parameters by role. */
  params: Record<string, ParamSpec>;
  attrs: A;
}

/** A gradient an op produces for one of its inputs: in its forward (a fused objective) or backward. */
export interface GradWrite {
  tensor: string;
  phase: 'forward' | 'backward';
  /** 'write' overwrites; 'add' adds into what an earlier op wrote (it must be the later one). */
  mode: 'write' | 'add';
}

/** A buffer an op owns: `floats(rows)` from the rows of a pass (examples; ×samples if perSample). */
export interface OwnedBuffer {
  name: string;
  floats: (rows: number) => number;
  perSample?: boolean;
}

export interface OpBuffers {
  /** Tensors (inputs or outputs) that the backward reads: they stay live until it has run. */
  saved: string[];
  grads: GradWrite[];
  /** Live only during the op's backward. */
  scratch: OwnedBuffer[];
  /** Live for the model's whole life (an objective's terms, loss, totals, health). */
  persistent: OwnedBuffer[];
  /**
   * True when one bind group holds all of the op's buffers, forward and backward alike: then none of
   * them may share memory (WebGPU refuses aliased writable bindings) even where lifetimes allow it.
   */
  oneBindGroup?: boolean;
  /**
   * Outputs that are their input under another shape (a reshape): [output, input] tensor names. The
   * memory plan gives both one buffer, and their gradients one buffer; the op dispatches nothing.
   */
  aliases?: [string, string][];
}

/** What a GPU op is prepared with, for one pass (batch size, samples, noise stream). */
export interface GpuOpContext {
  rt: Runtime;
  batch: number;
  samples: number;
  /** A training pass (an objective counts steps and watches for a non-finite loss). */
  training: boolean;
  /**
   * False on an inference-only model: prepare the forward only (return `backward: []`). Gradients,
   * scratch and parameter gradients asked for anyway get buffers of their own (sinks), so an op
   * that ignores this still works, at the cost of those buffers.
   */
  backward: boolean;
  /** The model's seed and this pass's noise stream. */
  noise: { seed: number; stream: number };
  rows(tensor: string): number;
  tensor(name: string): GPUBuffer;
  grad(name: string): GPUBuffer;
  /** Whether the backward needs the gradient w.r.t. this tensor (false for the data). */
  needsGrad(name: string): boolean;
  scratch(name: string): GPUBuffer;
  persistent(name: string): GPUBuffer;
  param(p: ParamSpec): BufferSlice;
  paramGrad(p: ParamSpec): BufferSlice;
}

export interface PreparedGpuOp {
  forward: Dispatch[];
  backward: Dispatch[];
  /** Noise ops: sets the step (and stream) words of the counter for the next submit. */
  setNoise?(step: number, stream?: number): void;
  /** Objectives (and ops that share their β): sets β for the next submit (a KL warm-up). */
  setBeta?(beta: number): void;
  destroy(): void;
}

/** An objective's value for one batch on the CPU, parts in the order the objective declares. */
export interface ObjectiveValue {
  loss: number;
  parts: number[];
  /** rows × parts: each example's parts. */
  perExample: Float64Array;
}

export interface CpuOpContext {
  batch: number;
  samples: number;
  noise: { seed: number; step: number; stream: number };
  /** β of this step when a KL warm-up sets it (else the op's own attribute). */
  beta?: number;
  rows(tensor: string): number;
  acts: Map<string, ArrayLike<number>>;
  /** Gradients by tensor; an op with mode 'add' adds into the entry an earlier op set. */
  grads: Map<string, Float64Array>;
  needsGrad(name: string): boolean;
  param(p: ParamSpec): Float64Array;
  /** Where the op writes its parameter's gradient. */
  paramGrad(p: ParamSpec): Float64Array;
  /** An objective's forward reports its value here. */
  report(v: ObjectiveValue): void;
}

export interface OpKind<A = unknown> {
  readonly name: string;
  /** The shape rule: output shapes from the attributes and input shapes; throws naming the op. */
  shape(name: string, attrs: A, inputs: Record<string, TensorShape>): Record<string, TensorShape>;
  buffers(op: OpNode<A>): OpBuffers;
  gpu(op: OpNode<A>, ctx: GpuOpContext): PreparedGpuOp;
  cpuForward(op: OpNode<A>, ctx: CpuOpContext): void;
  cpuBackward(op: OpNode<A>, ctx: CpuOpContext): void;
}


/** An op kind that can be a layer: one input `x`, one output `y`, attributes from a layer spec. */
export interface LayerKind<A = unknown> extends OpKind<A> {
  /** Checks the spec's fields (errors name the layer) and gives the attributes and parameters. */
  layer(spec: LayerFields, input: TensorShape, name: string): { attrs: A; params: ParamRequest[] };
  /**
   * Its PyTorch equivalent, for conversion (src/model/pytorch-layout.ts): the torch.nn module that
   * scripts/torch_vae.py builds for it, and for each parameter role the axes of ours in the order
   * PyTorch stores them (a Linear's weight, ours [in, out], is PyTorch's [out, in]: [1, 0]).
   * Absent: a model with this layer has no PyTorch layout.
   */
  readonly pytorch?: { module: string; axes: Record<string, readonly number[]> };
}

/** Buffer names every objective declares, in this layout (floats): */
export const OBJECTIVE_BUFFERS = {
  /** rows × parts */
  terms: 'terms',
  /** [loss, ...parts] of the last batch */
  loss: 'loss',
  /** [Σ loss, ...Σ parts, examples] since the last reset */
  totals: 'totals',
  /** u32 [steps taken, first step with a non-finite loss or 0] */
  health: 'health',
} as const;

/** What an objective (and the default sampler) is given of the model besides its own spec. */
export interface ObjectiveContext {
  /** Values per example of the data (D). */
  inputDim: number;
  latent: number;
  likelihood: Likelihood;
  /** The Gaussian likelihood's σ: fixed, or 'learned' (a log σ per channel). */
  sigma: Sigma;
  /** Channels of the data (C; value d of a row is in channel d mod C): what per-channel scales are learned over. */
  channels: number;
  /** Weight of the latent terms (the KL). */
  beta: number;
}

/** An op kind that is a training objective: it writes its inputs' gradients in its forward. */
export interface ObjectiveKind<A = unknown> extends OpKind<A> {
  /**
   * Its attributes from its spec ({ kind, ...its own fields }) and the model's shared words; refuses
   * a field it does not know or a bad value, naming it.
   */
  parse(spec: ObjectiveSpec, model: ObjectiveContext): A;
  /**
   * Parameters of its own, trained with the model's (a likelihood's learned per-channel scales):
   * the graph names them `likelihood.<role>` and passes them as the objective op's `params` by role.
   */
  params?(attrs: A): ParamRequest[];
  /** The spec's fields it takes besides `kind` (e.g. ['k']), for help texts and forms. */
  readonly fields?: readonly string[];
  /** A short name for people (a form's choice, e.g. 'IWAE (L_k)'); default the kind's name. */
  readonly title?: string;
  /** Names of the parts the loss is made of (e.g. rec, kl), in buffer order. */
  parts(attrs: A): string[];
  /** Names of the columns of its per-example terms (default: the parts). */
  columns?(attrs: A): string[];
  /**
   * The column of the per-example terms that holds −log (1/n) Σ_i w_i over the n samples of a pass,
   * for an importance-weighted objective: L_k is then evaluated from its own passes, in chunks.
   */
  importanceBound?: string;
  /** The bound on −log p(x) that the parts give, whatever the loss weights them by (ELBO: rec + KL for any β). */
  bound(attrs: A, parts: Record<string, number>): number;
  /** How reports name the loss and the parts (e.g. '−ELBO', { kl: 'KL' }). */
  labels(attrs: A): { loss: string; key: string; parts: Record<string, string> };
  /** Samples per example in a training pass (default 1). */
  samples?(attrs: A): number;
  /**
   * The op that draws z in place of the default reparameterization (e.g. one that keeps its noise for
   * the objective). Its outputs other than z become tensors `<sampler>.<role>` that the objective gets
   * as inputs under the same roles.
   */
  sampler?: { kind: OpKind<unknown>; attrs(attrs: A): unknown };
}

/** An objective's part names and how reports label the loss and the parts. */
export interface ObjectiveInfo {
  parts: readonly string[];
  /** `key` names the loss in metrics (e.g. 'elbo'); `loss` and `parts` are the printed labels. */
  labels: { loss: string; key: string; parts: Record<string, string> };
  /** The bound on −log p(x) from the parts (the ELBO's rec + KL whatever β is). */
  bound(parts: Record<string, number>): number;
  /** Columns of the per-example terms. */
  columns: readonly string[];
  /** Samples per example of a training pass. */
  samples: number;
  /** The terms column of an importance-weighted objective's per-example bound (see ObjectiveKind). */
  importanceBound?: number;
}

/** The op kinds a model's layer list and objective may name, and the sampler an objective gets by default. */
export interface OpRegistry {
  layer(kind: string, where: string): LayerKind<unknown>;
  objective(name: string): ObjectiveKind<unknown>;
  /** The op drawing z from stats when the objective brings none (the reparameterization). */
  readonly sampler: { kind: OpKind<unknown>; attrs(model: ObjectiveContext): unknown };
  /** A registry that also knows these kinds (a kind of the same name replaces the old one). */
  with(...kinds: (LayerKind<unknown> | ObjectiveKind<unknown>)[]): OpRegistry;
  readonly layerNames: readonly string[];
  readonly objectiveNames: readonly string[];
}

/** Declares an op kind with its attribute type checked against every member. */
export function defineOp<A>(kind: OpKind<A>): OpKind<A> {
  return kind;
}

export function defineLayer<A>(kind: LayerKind<A>): LayerKind<A> {
  return kind;
}

export function defineObjective<A>(kind: ObjectiveKind<A>): ObjectiveKind<A> {
  return kind;
}

/** Refuses a spec field its kind does not take (`where` names the spec, e.g. "objective iwae"). */
export function checkSpecFields(spec: { kind: string }, fields: readonly string[], where: string): void {
  for (const key of Object.keys(spec)) {
    if (key !== 'kind' && !fields.includes(key)) {
      throw new Error(`${where}: unknown field ${JSON.stringify(key)}; ${fields.length ? `it takes ${fields.join(', ')}` : 'it takes no fields besides kind'}`);
    }
  }
}

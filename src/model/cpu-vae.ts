// The CPU reference trainer: the same graph, initial weights, noise stream and update as GpuVae,
// computed with each op's float64 CPU twin (its module's cpuForward / cpuBackward). It is the
// definition of a training step that the GPU path is checked against (and `--backend cpu`).
import { resolveConfig, type VaeConfig, type VaeConfigInput } from './config';
import { initParams, STREAMS } from './init';
import { buildVaeGraph } from './vae-graph';
import { needsGrad, tensorSpec, type Graph } from '../graph/graph';
import type { CpuOpContext, ObjectiveValue, OpNode, Stage } from '../graph/op';
import { BUILTIN_OPS, type OpRegistry } from '../ops/registry';
import { adamStep } from '../cpu/adam';
import { gradNorm } from '../cpu/grad-norm';
import { betaAt, lrAt } from '../optim/schedule';

const ALL_STAGES: readonly Stage[] = ['encoder', 'sample', 'decoder', 'objective'];

interface CpuPass {
  ctx: CpuOpContext;
  result?: ObjectiveValue;
}

export class CpuVae {
  readonly config: VaeConfig;
  readonly graph: Graph;
  params: Float64Array;
  grads: Float64Array;
  m: Float64Array;
  v: Float64Array;
  step = 0;
  /** Samples per example of the objective's passes (k for an importance-weighted objective, else 1). */
  readonly trainSamples: number;

  constructor(config: VaeConfigInput = {}, params?: Float32Array, registry: OpRegistry = BUILTIN_OPS) {
    this.config = resolveConfig(config);
    this.graph = buildVaeGraph(this.config, registry);
    this.params = Float64Array.from(params ?? initParams(this.graph, this.config.seed));
    this.grads = new Float64Array(this.graph.arenaSize);
    this.trainSamples = this.graph.objective.kind.samples?.(this.graph.objective.attrs) ?? 1;
    this.m = new Float64Array(this.graph.arenaSize);
    this.v = new Float64Array(this.graph.arenaSize);
  }

  /** Names of the objective's parts, in the order of `ObjectiveValue.parts`. */
  get parts(): string[] {
    return this.graph.objective.kind.parts(this.graph.objective.attrs);
  }

  private pass(batch: number, samples: number, step: number, stream: number, inputs: [string, ArrayLike<number>][]): CpuPass {
    const s: CpuPass = {} as CpuPass;
    const slice = (arena: Float64Array) => (p: { offset: number; size: number }) => arena.subarray(p.offset, p.offset + p.size);
    s.ctx = {
      batch,
      samples,
      noise: { seed: this.config.seed, step, stream },
      rows: (t) => batch * (tensorSpec(this.graph, t).perSample ? samples : 1),
      acts: new Map(inputs),
      grads: new Map(),
      needsGrad: (t) => needsGrad(this.graph, t),
      param: slice(this.params),
      paramGrad: slice(this.grads),
      report: (v) => { s.result = v; },
    };
    return s;
  }

  private run(s: CpuPass, stages: readonly Stage[]) {
    for (const op of this.graph.ops) if (stages.includes(op.stage)) op.kind.cpuForward(op as OpNode, s.ctx);
  }

  private forward(x: ArrayLike<number>, batch: number, step: number, stream: number, samples = 1, stages: readonly Stage[] = ALL_STAGES): CpuPass {
    const s = this.pass(batch, samples, step, stream, [[this.graph.io.input, x]]);
    this.run(s, stages);
    return s;
  }

  /** One training step on batch × inputDim pixels; returns the batch's [loss, ...parts]. */
  trainStep(x: ArrayLike<number>, batch: number): number[] {
    if (x.length !== batch * this.config.inputDim) throw new Error(`trainStep: expected ${batch} × ${this.config.inputDim} pixels, got ${x.length}`);
    const s = this.pass(batch, this.trainSamples, this.step >>> 0, STREAMS.train, [[this.graph.io.input, x]]);
    if (this.config.schedule?.klWarmup) s.ctx.beta = betaAt(this.config.schedule, this.config.beta, this.step);
    this.run(s, ALL_STAGES);
    for (const op of [...this.graph.ops].reverse()) op.kind.cpuBackward(op, s.ctx);
    const clipGrad = this.config.schedule?.clipGrad;
    if (clipGrad !== undefined) {
      const { scale } = gradNorm(this.grads, clipGrad);
      for (let i = 0; i < this.grads.length; i++) this.grads[i] *= scale;
    }
    adamStep(this.params, this.grads, this.m, this.v, { ...this.config.adam, lr: lrAt(this.config.schedule, this.config.adam.lr, this.step) }, this.step + 1);
    this.step++;
    return [s.result!.loss, ...s.result!.parts];
  }

  /** The batch's objective with the evaluation noise of batch `index` (as GpuVae.evaluate draws it). */
  evaluateBatch(x: ArrayLike<number>, batch: number, index: number): ObjectiveValue {
    return this.forward(x, batch, index, STREAMS.evalElbo, this.trainSamples).result!;
  }

  /** Activations of the encoder, noise and decoder with given noise step, stream and samples per example (for tests and L_k). */
  forwardActivations(x: ArrayLike<number>, batch: number, step: number, stream: number, samples = 1): Map<string, ArrayLike<number>> {
    return this.forward(x, batch, step, stream, samples, ['encoder', 'sample', 'decoder']).ctx.acts;
  }

  forwardResult(x: ArrayLike<number>, batch: number, step: number, stream: number, samples = 1): ObjectiveValue {
    return this.forward(x, batch, step, stream, samples).result!;
  }

  /** Runs the decoder's layers on latents (rows × latent); returns the logits. */
  decodeLogits(z: ArrayLike<number>, rows: number): ArrayLike<number> {
    const s = this.pass(rows, 1, 0, 0, [[this.graph.io.z, z]]);
    this.run(s, ['decoder']);
    return s.ctx.acts.get(this.graph.io.logits)!;
  }

  /** Runs the encoder's layers; returns μ | logvar rows (batch × 2Z). */
  encodeStats(x: ArrayLike<number>, batch: number): ArrayLike<number> {
    const s = this.pass(batch, 1, 0, 0, [[this.graph.io.input, x]]);
    this.run(s, ['encoder']);
    return s.ctx.acts.get(this.graph.io.stats)!;
  }
}

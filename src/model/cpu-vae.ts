// The CPU reference trainer: the same graph, initial weights, noise stream and update as GpuVae,
// computed with each op's float64 CPU twin (its module's cpuForward / cpuBackward). It is the
// definition of a training step that the GPU path is checked against (and `--backend cpu`), and it
// has the evaluation primitives of src/eval/runner.ts, so the one set of protocols runs on it too.
import { checkLabels, describeInput, resolveConfig, type VaeConfig, type VaeConfigInput } from './config';
import { initParams } from './init';
import { buildVaeGraph } from './vae-graph';
import { STREAMS, type NoiseWords } from '../base/words';
import { fastRange, needsGrad, objectiveInfo, tensorSpec, type Graph } from '../graph/graph';
import type { CpuOpContext, ObjectiveInfo, ObjectiveValue, OpNode, Stage } from '../graph/op';
import { logImportanceWeight, logMeanExp } from '../cpu/iwae';
import type { LossTotals } from '../optim/readback';
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
  /** The arena range Adam moves at a scaled rate (a likelihood's log-scales), found once. */
  private readonly fast: ReturnType<typeof fastRange>;
  params: Float64Array;
  grads: Float64Array;
  m: Float64Array;
  v: Float64Array;
  step = 0;
  /** Samples per example of the objective's passes (k for an importance-weighted objective, else 1). */
  readonly trainSamples: number;
  readonly objective: ObjectiveInfo;
  /** Σ loss, Σ each part, examples since the last reset: the GPU's totals layout, in float64. */
  private totals: number[];
  /** The per-example terms of the last runObjective. */
  private lastTerms: Float64Array = new Float64Array(0);

  /**
   * `maxBatch` and `maxSamples` bound an evaluation call as a GpuVae's plan does (the CPU has no
   * buffers to size; L_k of an importance-weighted objective goes in chunks of maxSamples samples).
   */
  constructor(config: VaeConfigInput = {}, params?: Float32Array, registry: OpRegistry = BUILTIN_OPS, readonly maxBatch = 128, maxSamples = 1) {
    this.config = resolveConfig(config);
    this.graph = buildVaeGraph(this.config, registry);
    this.fast = fastRange(this.graph);
    this.objective = objectiveInfo(this.graph);
    this.params = Float64Array.from(params ?? initParams(this.graph, this.config.seed));
    this.grads = new Float64Array(this.graph.arenaSize);
    this.trainSamples = this.objective.samples;
    this.maxSamples = Math.max(maxSamples, this.trainSamples);
    this.m = new Float64Array(this.graph.arenaSize);
    this.v = new Float64Array(this.graph.arenaSize);
    this.totals = this.zeros();
  }

  readonly maxSamples: number;

  /** Names of the objective's parts, in the order of `ObjectiveValue.parts`. */
  get parts(): string[] {
    return [...this.objective.parts];
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

  /** The pass's inputs: the data (or z) and, for a conditional model, the labels (checked, as GpuModel does). */
  private inputs(tensor: string, data: ArrayLike<number>, labels: ArrayLike<number> | undefined, rows: number, what: string): [string, ArrayLike<number>][] {
    const label = this.graph.io.label;
    if (!label) {
      if (labels !== undefined) throw new Error(`${what}: labels given, but this model is not conditional (its config has no conditional)`);
      return [[tensor, data]];
    }
    return [[tensor, data], [label, checkLabels(what, labels, rows, this.config.conditional!.classes)]];
  }

  private run(s: CpuPass, stages: readonly Stage[]) {
    for (const op of this.graph.ops) if (stages.includes(op.stage)) op.kind.cpuForward(op as OpNode, s.ctx);
  }

  private forward(x: ArrayLike<number>, batch: number, step: number, stream: number, samples = 1, stages: readonly Stage[] = ALL_STAGES, labels?: ArrayLike<number>): CpuPass {
    const s = this.pass(batch, samples, step, stream, this.inputs(this.graph.io.input, x, labels, batch, 'evaluate'));
    this.run(s, stages);
    return s;
  }

  /** One training step on batch × inputDim pixels (a conditional model: and their labels); returns the batch's [loss, ...parts]. */
  trainStep(x: ArrayLike<number>, batch: number, labels?: ArrayLike<number>): number[] {
    if (x.length !== batch * this.config.inputDim) throw new Error(`trainStep: expected ${batch} × ${describeInput(this.config)}, got ${x.length}`);
    const s = this.pass(batch, this.trainSamples, this.step >>> 0, STREAMS.train, this.inputs(this.graph.io.input, x, labels, batch, 'trainStep'));
    if (this.config.schedule?.klWarmup) s.ctx.beta = betaAt(this.config.schedule, this.config.beta, this.step);
    this.run(s, ALL_STAGES);
    for (const op of [...this.graph.ops].reverse()) op.kind.cpuBackward(op, s.ctx);
    const clipGrad = this.config.schedule?.clipGrad;
    if (clipGrad !== undefined) {
      const { scale } = gradNorm(this.grads, clipGrad);
      for (let i = 0; i < this.grads.length; i++) this.grads[i] *= scale;
    }
    adamStep(this.params, this.grads, this.m, this.v, { ...this.config.adam, lr: lrAt(this.config.schedule, this.config.adam.lr, this.step) }, this.step + 1, this.fast);
    this.step++;
    this.addTotals(s.result!, batch);
    return [s.result!.loss, ...s.result!.parts];
  }

  private zeros(): number[] {
    return new Array(this.objective.parts.length + 2).fill(0);
  }

  private addTotals(r: ObjectiveValue, b: number) {
    const t = this.totals;
    [r.loss, ...r.parts].forEach((v, i) => { t[i] += v * b; });
    t[t.length - 1] += b;
  }

  /** Σ loss, Σ each part, examples since the last reset. */
  get runningTotals(): readonly number[] {
    return [...this.totals];
  }

  resetTotals(): void {
    this.totals = this.zeros();
  }

  async readTotals(): Promise<LossTotals> {
    const t = this.totals, n = t[t.length - 1];
    return { loss: t[0] / n, parts: Object.fromEntries(this.objective.parts.map((name, i) => [name, t[1 + i] / n])), examples: n };
  }

  // ---- the evaluation primitives (src/eval/runner.ts) ----

  runObjective(x: Float32Array, batch: number, noise: NoiseWords, samples: number, labels?: Uint32Array): void {
    const r = this.forward(x, batch, noise.step, noise.stream, samples, ALL_STAGES, labels).result!;
    this.addTotals(r, batch);
    this.lastTerms = r.perExample;
  }

  async readTerms(batch: number): Promise<Float64Array> {
    return this.lastTerms.subarray(0, this.objective.columns.length * batch);
  }

  async addLogMeanWeights(x: Float32Array, batch: number, k: number, noise: (s: number) => NoiseWords, _progress?: (done: number) => void, signal?: AbortSignal, labels?: Uint32Array): Promise<void> {
    const Z = this.config.latent, { io } = this.graph;
    const logW: number[][] = Array.from({ length: batch }, () => []);
    for (let s = 0; s < k; s++) {
      signal?.throwIfAborted();
      const n = noise(s);
      const pass = this.forward(x, batch, n.step, n.stream, 1, ALL_STAGES, labels);
      const rec = pass.result!.perExample, stats = pass.ctx.acts.get(io.stats)!, z = pass.ctx.acts.get(io.z)!;
      const row = (a: ArrayLike<number>, from: number, to: number) => Array.prototype.slice.call(a, from, to) as number[];
      for (let e = 0; e < batch; e++) {
        logW[e].push(logImportanceWeight(rec[2 * e], row(z, e * Z, (e + 1) * Z), row(stats, e * 2 * Z, e * 2 * Z + Z), row(stats, e * 2 * Z + Z, (e + 1) * 2 * Z)));
      }
    }
    const t = this.totals;
    for (const w of logW) t[0] += logMeanExp(w);
    t[t.length - 1] += batch;
  }

  /** The CPU runs each call to its end: nothing is queued. */
  async settle(): Promise<void> {}

  async statsOf(x: Float32Array, batch: number, labels?: Uint32Array): Promise<ArrayLike<number>> {
    return this.encodeStats(x, batch, labels);
  }

  async logitsOf(z: Float32Array, rows: number, labels?: Uint32Array): Promise<ArrayLike<number>> {
    return this.decodeLogits(z, rows, labels);
  }

  /** The batch's objective with the evaluation noise of batch `index` (as GpuVae.evaluate draws it). */
  evaluateBatch(x: ArrayLike<number>, batch: number, index: number, labels?: ArrayLike<number>): ObjectiveValue {
    return this.forward(x, batch, index, STREAMS.evalElbo, this.trainSamples, ALL_STAGES, labels).result!;
  }

  /** Activations of the encoder, noise and decoder with given noise step, stream and samples per example (for tests and L_k). */
  forwardActivations(x: ArrayLike<number>, batch: number, step: number, stream: number, samples = 1, labels?: ArrayLike<number>): Map<string, ArrayLike<number>> {
    return this.forward(x, batch, step, stream, samples, ['encoder', 'sample', 'decoder'], labels).ctx.acts;
  }

  forwardResult(x: ArrayLike<number>, batch: number, step: number, stream: number, samples = 1, labels?: ArrayLike<number>): ObjectiveValue {
    return this.forward(x, batch, step, stream, samples, ALL_STAGES, labels).result!;
  }

  /** Runs the decoder's layers on latents (rows × latent; a conditional model: a label per row); returns the logits. */
  decodeLogits(z: ArrayLike<number>, rows: number, labels?: ArrayLike<number>): ArrayLike<number> {
    const s = this.pass(rows, 1, 0, 0, this.inputs(this.graph.io.z, z, labels, rows, 'decode'));
    this.run(s, ['decoder']);
    return s.ctx.acts.get(this.graph.io.logits)!;
  }

  /** Runs the encoder's layers; returns μ | logvar rows (batch × 2Z). */
  encodeStats(x: ArrayLike<number>, batch: number, labels?: ArrayLike<number>): ArrayLike<number> {
    const s = this.pass(batch, 1, 0, 0, this.inputs(this.graph.io.input, x, labels, batch, 'encode'));
    this.run(s, ['encoder']);
    return s.ctx.acts.get(this.graph.io.stats)!;
  }
}

// A VAE's model on the GPU: its memory plan and prepared passes (per batch size, noise stream and
// samples), one training step (the step program of src/optim/gpu-step.ts in one command encoder and
// one submit, no readback), the objective's running totals read on demand, the parameter and Adam
// state in and out, and dispose; or, inference only, the weights and the forward's buffers alone.
// Evaluation and inference run on it through src/model/gpu-runner.ts.
import { batchSize, checkLabels, describeConfig, describeImage, resolveConfig, type VaeConfig, type VaeConfigInput } from './config';
import { initParams } from './init';
import { buildVaeGraph } from './vae-graph';
import { STREAMS } from '../base/words';
import { objectiveInfo, tensorWidth, type Graph } from '../graph/graph';
import { planMemory, planBytes, planBuffer, type MemoryPlan } from '../graph/memory-plan';
import { planPass, type PassPlan } from '../graph/scheduler';
import { OBJECTIVE_BUFFERS, type ObjectiveInfo } from '../graph/op';
import { BUILTIN_OPS, type OpRegistry } from '../ops/registry';
import { encodeDispatches, type Dispatch, type Runtime } from '../gpu/runtime';
import { readFloats } from '../gpu/buffers';
import { StepProgram } from '../optim/gpu-step';
import { prepareUnpackU8 } from '../kernels/unpack-u8';
import type { PreparedOp } from '../kernels/matmul';
import { U8_TO_FLOAT } from '../data/image-set';
import { LossReadback, type LossSample, type LossTotals } from '../optim/readback';

export interface GpuVaeOptions {
  /** The largest batch a step or an evaluation pass may use (buffers are sized for it). */
  maxBatch?: number;
  /** The most samples per example a pass may draw (rows after the noise = batch × samples). */
  maxSamples?: number;
  /** Initial parameter arena (else a seeded nn.Linear-style init). */
  params?: Float32Array;
  /** The op kinds the config's layers and objective may name (default: the built-in ones). */
  registry?: OpRegistry;
  /**
   * Inference only: the parameters and the forward's activations, no gradients and no Adam moments
   * (evaluation, encode, decode, sample and save work; trainStep, fit and the optimizer state refuse).
   */
  inference?: boolean;
}

/** `work`, or a rejection with the signal's reason as soon as it is aborted (the work runs on unseen). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}

export class GpuModel {
  readonly config: VaeConfig;
  readonly graph: Graph;
  readonly rt: Runtime;
  readonly plan: MemoryPlan;
  /** The objective's part names, labels, bound, term columns and samples per training pass. */
  readonly objective: ObjectiveInfo;
  private steps = 0;
  /** Why the device was lost, once it is (e.g. 'destroyed'); training stops with this. */
  deviceLost: string | undefined;
  /** Made for inference only (GpuVaeOptions.inference): no gradients, no optimizer state. */
  readonly inference: boolean;
  /** The op kinds the model was built with (save and load rebuild it with these). */
  readonly registry: OpRegistry;
  private readonly program: StepProgram | null;
  private readonly passes = new Map<string, PassPlan>();
  private readonly readback: LossReadback;
  private disposed = false;
  /** The objective's outputs (src/graph/op.ts OBJECTIVE_BUFFERS). */
  protected readonly out: { parts: string[]; terms: GPUBuffer; loss: GPUBuffer; totals: GPUBuffer; health: GPUBuffer };
  /** Samples per example of the objective's passes (k for an importance-weighted objective, else 1). */
  readonly trainSamples: number;
  /** The uint8 input path, made on its first step: packed bytes, the byte → float table, unpack ops per batch. */
  private bytesInput: { packed: GPUBuffer; table: GPUBuffer; staging: Uint8Array; ops: Map<number, PreparedOp> } | null = null;
  private uploaded = 0;

  constructor(rt: Runtime, config: VaeConfigInput = {}, options: GpuVaeOptions = {}) {
    this.rt = rt;
    this.config = resolveConfig(config);
    this.registry = options.registry ?? BUILTIN_OPS;
    this.inference = options.inference === true;
    this.graph = buildVaeGraph(this.config, this.registry);
    this.objective = objectiveInfo(this.graph);
    const maxBatch = options.maxBatch ?? 128;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`GpuVae: maxBatch must be a positive integer, got ${maxBatch}`);
    this.trainSamples = this.objective.samples;
    const maxSamples = Math.max(options.maxSamples ?? 1, this.trainSamples);
    if (!Number.isInteger(maxSamples) || maxSamples < 1) throw new Error(`GpuVae: maxSamples must be a positive integer, got ${maxSamples}`);
    this.plan = planMemory(rt.device, this.graph, maxBatch, maxSamples, !this.inference);
    const obj = this.graph.objective;
    const buf = (name: string) => planBuffer(this.plan.persistent, `${obj.name}/${name}`, 'objective output');
    this.out = {
      parts: [...this.objective.parts],
      terms: buf(OBJECTIVE_BUFFERS.terms),
      loss: buf(OBJECTIVE_BUFFERS.loss),
      totals: buf(OBJECTIVE_BUFFERS.totals),
      health: buf(OBJECTIVE_BUFFERS.health),
    };
    this.program = this.inference ? null : new StepProgram(rt, this.graph, this.plan, { adam: this.config.adam, beta: this.config.beta, schedule: this.config.schedule });
    this.readback = new LossReadback(rt.device, this.out);
    this.writeParams(options.params ?? initParams(this.graph, this.config.seed));
    this.step = 0;
    rt.device.lost.then((info) => {
      this.deviceLost = `${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''}`;
    });
  }

  /** Optimiser steps taken; also the step word of the training noise. */
  get step(): number {
    return this.steps;
  }

  /** Sets the step count (e.g. from a checkpoint); the GPU's own step counter follows. */
  set step(step: number) {
    this.checkLive();
    if (!Number.isSafeInteger(step) || step < 0 || step > 0xffffffff) throw new Error(`step must be an integer from 0 to 2^32 − 1, got ${step}`);
    this.steps = step;
    this.rt.device.queue.writeBuffer(this.out.health, 0, Uint32Array.of(step, 0));
  }

  /** Bytes of input pixels written to the GPU by training steps so far (floats 4 a value, packed bytes 1, padded to a word). */
  get inputBytesUploaded(): number {
    return this.uploaded;
  }

  get maxBatch(): number {
    return this.plan.maxBatch;
  }

  /** The most samples per example one pass may draw. */
  get maxSamples(): number {
    return this.plan.maxSamples;
  }

  /** Bytes of GPU memory the plan holds. */
  get bytes(): number {
    return planBytes(this.plan);
  }

  get latentWidth(): number {
    return tensorWidth(this.graph, this.graph.io.z);
  }

  describe(): string {
    return describeConfig(this.config);
  }

  private planFor(batch: number, stream: number, samples = this.trainSamples): PassPlan {
    return planPass(this.rt, this.graph, this.plan, { batch, samples, seed: this.config.seed, stream, training: stream === STREAMS.train });
  }

  /** The prepared pass for a batch size, noise stream and samples per example (made once, kept). */
  protected pass(batch: number, stream: number, samples = this.trainSamples): PassPlan {
    this.checkLive();
    const key = `${stream}:${batch}:${samples}`;
    let p = this.passes.get(key);
    if (!p) {
      p = this.planFor(batch, stream, samples);
      this.passes.set(key, p);
    }
    return p;
  }

  /**
   * Compiles the pipelines of a training step and of evaluation ahead, asynchronously
   * (createComputePipelineAsync), so that the first `trainStep`/`evaluate` does not compile them on
   * the calling thread; in a page that is the difference between a frozen tab and a responsive one
   * while a new model starts. Optional: without it they compile on first use. Returns how many
   * pipelines it compiled (0 when the runtime already held them all). An aborted `signal` rejects
   * with its reason between tuning samples, or at once while pipelines compile (they finish unseen).
   */
  async precompile(options: { signal?: AbortSignal } = {}): Promise<number> {
    this.checkLive();
    const signal = options.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new Error('precompile: options.signal must be an AbortSignal');
    signal?.throwIfAborted();
    const scratch: PassPlan[] = [];
    const plan = () => {
      if (!this.inference) scratch.push(this.planFor(this.maxBatch, STREAMS.train));
      scratch.push(this.planFor(this.maxBatch, STREAMS.evalElbo));
    };
    try {
      // With a tuner on the runtime, first the schedules of this model's shapes (cached ones are not timed again).
      if (this.rt.schedules) await this.rt.tune(plan, signal ? { signal } : {});
      signal?.throwIfAborted();
      return await untilAborted(this.rt.compileAhead(plan), signal);
    } finally {
      for (const p of scratch) p.destroy();
    }
  }

  protected checkLive(): void {
    if (this.disposed) throw new Error('GpuVae: used after dispose(); its GPU buffers are released (load or create a new model)');
  }

  /** Throws, naming `what`, on a model made for inference only. */
  protected checkTrainable(what: string): StepProgram {
    if (!this.program) {
      throw new Error(`${what}: this model was made for inference only (no gradients, no Adam moments); load it without { inference: true } to train it`);
    }
    return this.program;
  }

  protected upload(tensor: string, data: Float32Array): void {
    this.rt.device.queue.writeBuffer(this.plan.activations.get(tensor)!, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  /**
   * A conditional model's labels for the next submit (one per example, checked by the caller); an
   * unconditional model refuses them, and a conditional one refuses a call without them.
   */
  protected uploadLabels(labels: Uint32Array | undefined, batch: number, what: string): void {
    const tensor = this.graph.io.label;
    if (!tensor) {
      if (labels !== undefined) throw new Error(`${what}: labels given, but this model is not conditional (its config has no conditional)`);
      return;
    }
    const classes = this.config.conditional!.classes;
    const l = checkLabels(what, labels, batch, classes);
    this.rt.device.queue.writeBuffer(this.plan.activations.get(tensor)!, 0, l.buffer, l.byteOffset, batch * 4);
  }

  /** Encodes the dispatches into one compute pass (then `after`, e.g. a copy) and submits. */
  protected submit(dispatches: readonly Dispatch[], after?: (e: GPUCommandEncoder) => void): void {
    const encoder = this.rt.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encodeDispatches(pass, dispatches);
    pass.end();
    after?.(encoder);
    this.rt.device.queue.submit([encoder.finish()]);
  }

  /**
   * One training step on a batch (batch × inputDim floats; a conditional model: and its labels): forward, fused objective with its
   * gradients, backward, clip and Adam in one submit. The loss adds into the running totals on the
   * GPU; with `read`, the same submit also copies loss and totals out and the promise resolves once
   * they arrive (null when every readback slot is still busy). Nothing waits for the GPU here.
   */
  trainStep(x: Float32Array, read = false, labels?: Uint32Array): Promise<LossSample> | null {
    this.checkStep('trainStep');
    const b = batchSize(x, this.config.inputDim, this.maxBatch, 'trainStep', this.config.image);
    this.uploadLabels(labels, b, 'trainStep');
    this.upload(this.graph.io.input, x);
    this.uploaded += x.byteLength;
    return this.stepOn(b, [], read);
  }

  /**
   * trainStep on 8-bit pixels (batch × inputDim bytes; byte k is the pixel k / 255, as the data
   * readers' float view gives it): the bytes are uploaded packed 4 per u32 word, a quarter of the
   * float batch, and the step's first kernel (shaders/unpack_u8.wgsl) turns them into the floats
   * trainStep would have written, bit for bit, inside the same submit.
   */
  trainStepBytes(x: Uint8Array, read = false, labels?: Uint32Array): Promise<LossSample> | null {
    this.checkStep('trainStepBytes');
    if (!(x instanceof Uint8Array)) throw new Error(`trainStepBytes: expected a Uint8Array of batch × ${this.config.inputDim} 8-bit pixels`);
    const D = this.config.inputDim, b = x.length / D;
    if (!Number.isInteger(b) || b < 1) throw new Error(`trainStepBytes: ${x.length} bytes is not a whole number of ${D}-pixel examples${this.config.image ? ` (${describeImage(this.config.image)} images)` : ''}`);
    if (b > this.maxBatch) throw new Error(`trainStepBytes: batch of ${b} examples exceeds maxBatch ${this.maxBatch}`);
    this.uploadLabels(labels, b, 'trainStepBytes');
    const input = (this.bytesInput ??= this.makeBytesInput());
    // writeBuffer takes whole words: the caller's bytes when its buffer has room for the padding, else a copy.
    const size = 4 * Math.ceil(x.length / 4);
    let words: Uint8Array;
    if (x.byteOffset % 4 === 0 && x.byteOffset + size <= x.buffer.byteLength) words = new Uint8Array(x.buffer, x.byteOffset, size);
    else {
      words = input.staging.subarray(0, size);
      words.set(x);
      words.fill(0, x.length);
    }
    this.rt.device.queue.writeBuffer(input.packed, 0, words.buffer, words.byteOffset, size);
    this.uploaded += size;
    let unpack = input.ops.get(b);
    if (!unpack) {
      unpack = prepareUnpackU8(this.rt, { count: b * D }, { packed: input.packed, table: input.table, out: this.plan.activations.get(this.graph.io.input)! }, 'unpack_u8 input');
      input.ops.set(b, unpack);
    }
    return this.stepOn(b, unpack.dispatches, read);
  }

  private checkStep(what: string): void {
    this.checkLive();
    this.checkTrainable(what);
    if (this.deviceLost) throw new Error(`${what}: the GPU device was lost (${this.deviceLost})`);
  }

  private makeBytesInput() {
    const words = Math.ceil((this.maxBatch * this.config.inputDim) / 4);
    const device = this.rt.device;
    const packed = device.createBuffer({ label: 'input bytes (packed)', size: 4 * words, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    const table = device.createBuffer({ label: 'byte → pixel table', size: 4 * 256, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(table, 0, U8_TO_FLOAT);
    return { packed, table, staging: new Uint8Array(4 * words), ops: new Map<number, PreparedOp>() };
  }

  /** The step on the input already uploaded: `first` (e.g. the unpacking), forward, objective, backward, Adam; one submit. */
  private stepOn(b: number, first: readonly Dispatch[], read: boolean): Promise<LossSample> | null {
    const program = this.checkTrainable('trainStep');
    const pass = this.pass(b, STREAMS.train);
    const dispatches = [...first, ...program.dispatches(pass, this.step)];
    const copy = read ? this.readback.take() : null;
    this.submit(dispatches, copy?.encode);
    this.steps++;
    return copy ? this.readback.collect(copy.slot, this.steps) : null;
  }

  resetTotals(): void {
    this.checkLive();
    this.rt.device.queue.writeBuffer(this.out.totals, 0, new Float32Array(this.out.totals.size / 4));
  }

  /** Means of the totals accumulated since the last reset (waits for the GPU). */
  async readTotals(): Promise<LossTotals> {
    this.checkLive();
    const P = this.out.parts.length;
    const t = await readFloats(this.rt.device, this.out.totals, P + 2);
    const n = t[P + 1];
    return { loss: t[0] / n, parts: Object.fromEntries(this.out.parts.map((name, i) => [name, t[1 + i] / n])), examples: n };
  }

  /** The last batch's [loss, ...parts] (for the ELBO: loss, rec, kl). */
  async readLoss(): Promise<number[]> {
    this.checkLive();
    return Array.from(await readFloats(this.rt.device, this.out.loss, 1 + this.out.parts.length));
  }

  writeParams(arena: Float32Array): void {
    this.checkLive();
    this.checkArena(arena, 'params');
    this.rt.device.queue.writeBuffer(this.plan.params, 0, arena.buffer, arena.byteOffset, arena.byteLength);
  }

  /** Restores Adam's moments and step count (e.g. from a checkpoint). */
  writeOptimizer(m: Float32Array, v: Float32Array, step: number): void {
    this.checkLive();
    this.checkTrainable('writeOptimizer');
    this.checkArena(m, 'adam m');
    this.checkArena(v, 'adam v');
    const { adamM, adamV } = this.plan.train!;
    this.rt.device.queue.writeBuffer(adamM, 0, m.buffer, m.byteOffset, m.byteLength);
    this.rt.device.queue.writeBuffer(adamV, 0, v.buffer, v.byteOffset, v.byteLength);
    this.step = step;
  }

  private checkArena(a: Float32Array, what: string) {
    if (!(a instanceof Float32Array) || a.length !== this.graph.arenaSize) {
      throw new Error(`${what}: expected a Float32Array of ${this.graph.arenaSize} floats (the parameter arena), got ${a?.length}`);
    }
  }

  async readParams(): Promise<Float32Array> {
    this.checkLive();
    return readFloats(this.rt.device, this.plan.params, this.graph.arenaSize);
  }

  /** One parameter's values (a graph ParamSpec's offset and size, in floats), without reading the whole arena. */
  async readParam(p: { offset: number; size: number }): Promise<Float32Array> {
    this.checkLive();
    if (!Number.isInteger(p.offset) || !Number.isInteger(p.size) || p.offset < 0 || p.size < 1 || p.offset + p.size > this.graph.arenaSize) {
      throw new Error(`readParam: floats [${p.offset}, ${p.offset + p.size}) are not within the ${this.graph.arenaSize}-float parameter arena`);
    }
    return readFloats(this.rt.device, this.plan.params, p.size, 4 * p.offset);
  }

  async readOptimizer(): Promise<{ m: Float32Array; v: Float32Array; step: number }> {
    this.checkLive();
    this.checkTrainable('readOptimizer');
    const { adamM, adamV } = this.plan.train!;
    const m = await readFloats(this.rt.device, adamM, this.graph.arenaSize);
    const v = await readFloats(this.rt.device, adamV, this.graph.arenaSize);
    return { m, v, step: this.step };
  }

  /** Releases every GPU buffer this model made (a subclass first releases its own, then calls this). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.passes.values()) p.destroy();
    this.passes.clear();
    this.program?.destroy();
    this.readback.destroy();
    if (this.bytesInput) {
      for (const op of this.bytesInput.ops.values()) op.destroy();
      this.bytesInput.packed.destroy();
      this.bytesInput.table.destroy();
      this.bytesInput = null;
    }
    for (const b of this.plan.all) b.destroy();
  }
}

// A VAE living on the GPU: its memory plan, the prepared passes per batch size, and what it does with
// them: a training step (one command encoder, one submit, no readback), running loss totals read
// on demand, test −ELBO and the importance-weighted bound L_k, encode, decode and prior samples.
import { describeConfig, resolveConfig, type VaeConfig, type VaeConfigInput } from './config';
import { initParams, STREAMS } from './init';
import { buildVaeGraph } from './vae-graph';
import { tensorWidth, type Graph } from '../graph/graph';
import { planMemory, planBytes, planBuffer, type MemoryPlan } from '../graph/memory-plan';
import { planAdam, planPass, type PassPlan } from '../graph/scheduler';
import { OBJECTIVE_BUFFERS } from '../graph/op';
import { BUILTIN_OPS, type OpRegistry } from '../ops/registry';
import { encodeDispatches, type Dispatch, type Runtime } from '../gpu/runtime';
import { readFloats } from '../gpu/buffers';
import { prepareIwae, type PreparedIwae } from '../kernels/iwae';
import { prepareLatentMoments } from '../kernels/latent-moments';
import { activeUnits, type ActiveUnits } from '../cpu/active-units';
import type { PreparedAdam } from '../kernels/adam';
import { gaussianNoise } from '../cpu/philox';
import { LossReadback, type LossSample, type LossTotals } from '../optim/readback';
import type { ObjectiveInfo } from '../train/backend';
import { snapshotState, train, type EpochMetrics, type TrainOptions } from '../train/trainer';
import { decodeCheckpoint, encodeCheckpoint, restoreState } from './checkpoint';
import { gradNormPartials, prepareGradNorm } from '../kernels/grad-norm';
import { betaAt, lrAt } from '../optim/schedule';

export interface GpuVaeOptions {
  /** The largest batch a step or an evaluation pass may use (buffers are sized for it). */
  maxBatch?: number;
  /** The most samples per example a pass may draw (rows after the noise = batch × samples). */
  maxSamples?: number;
  /** Initial parameter arena (else a seeded nn.Linear-style init). */
  params?: Float32Array;
  /** The op kinds the config's layers and objective may name (default: the built-in ones). */
  registry?: OpRegistry;
}

export class GpuVae {
  readonly config: VaeConfig;
  readonly graph: Graph;
  readonly rt: Runtime;
  readonly plan: MemoryPlan;
  private steps = 0;
  /** Why the device was lost, once it is (e.g. 'destroyed'); training stops with this. */
  deviceLost: string | undefined;
  private readonly adam: PreparedAdam;
  private readonly passes = new Map<string, PassPlan>();
  private readonly iwae = new Map<number, PreparedIwae>();
  private iwaeRun: GPUBuffer | undefined;
  private readonly readback: LossReadback;
  private disposed = false;
  /** The objective's outputs (src/graph/op.ts OBJECTIVE_BUFFERS) and its part names. */
  private readonly out: { parts: string[]; terms: GPUBuffer; loss: GPUBuffer; totals: GPUBuffer; health: GPUBuffer };
  /** Set while a fit() runs: a second one would interleave its steps with the first's. */
  private fitting = false;
  /** The global-norm clip (schedule.clipGrad): grad_norm's dispatches and buffers. */
  private clip: { op: { dispatches: Dispatch[]; destroy(): void }; buffers: GPUBuffer[]; clip: GPUBuffer } | undefined;
  /** Samples per example of the objective's passes (k for an importance-weighted objective, else 1). */
  readonly trainSamples: number;

  constructor(rt: Runtime, config: VaeConfigInput = {}, options: GpuVaeOptions = {}) {
    this.rt = rt;
    this.config = resolveConfig(config);
    this.graph = buildVaeGraph(this.config, options.registry ?? BUILTIN_OPS);
    const maxBatch = options.maxBatch ?? 128;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`GpuVae: maxBatch must be a positive integer, got ${maxBatch}`);
    const obj0 = this.graph.objective;
    this.trainSamples = obj0.kind.samples?.(obj0.attrs) ?? 1;
    const maxSamples = Math.max(options.maxSamples ?? 1, this.trainSamples);
    if (!Number.isInteger(maxSamples) || maxSamples < 1) throw new Error(`GpuVae: maxSamples must be a positive integer, got ${maxSamples}`);
    this.plan = planMemory(rt.device, this.graph, maxBatch, maxSamples);
    const obj = this.graph.objective;
    const buf = (name: string) => planBuffer(this.plan.persistent, `${obj.name}/${name}`, 'objective output');
    this.out = {
      parts: obj.kind.parts(obj.attrs),
      terms: buf(OBJECTIVE_BUFFERS.terms),
      loss: buf(OBJECTIVE_BUFFERS.loss),
      totals: buf(OBJECTIVE_BUFFERS.totals),
      health: buf(OBJECTIVE_BUFFERS.health),
    };
    const clipGrad = this.config.schedule?.clipGrad;
    if (clipGrad !== undefined) {
      // The global norm on the GPU; Adam reads its scale (no readback).
      const partials = rt.device.createBuffer({ label: 'grad norm partials', size: 4 * Math.max(4, gradNormPartials(this.graph.arenaSize)), usage: GPUBufferUsage.STORAGE });
      const clip = rt.device.createBuffer({ label: 'grad norm clip', size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
      const op = prepareGradNorm(rt, { count: this.graph.arenaSize, maxNorm: clipGrad }, { grads: this.plan.grads, partials, clip });
      this.clip = { op, buffers: [partials, clip], clip };
    }
    this.adam = planAdam(rt, this.graph, this.plan, this.config.adam, this.clip?.clip);
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

  get maxBatch(): number {
    return this.plan.maxBatch;
  }

  /** The objective's part names (e.g. rec, kl) and how reports label them. */
  get objective(): ObjectiveInfo {
    const o = this.graph.objective;
    return { parts: this.out.parts, labels: o.kind.labels(o.attrs), bound: (p) => o.kind.bound(o.attrs, p) };
  }

  /** Bytes of GPU memory the plan holds. */
  get bytes(): number {
    return planBytes(this.plan);
  }

  describe(): string {
    return describeConfig(this.config);
  }

  private planFor(batch: number, stream: number, samples = this.trainSamples): PassPlan {
    return planPass(this.rt, this.graph, this.plan, { batch, samples, seed: this.config.seed, stream, training: stream === STREAMS.train });
  }

  private pass(batch: number, stream: number, samples = this.trainSamples): PassPlan {
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
   * pipelines it compiled (0 when the runtime already held them all).
   */
  async precompile(): Promise<number> {
    this.checkLive();
    const scratch: PassPlan[] = [];
    const plan = () => {
      scratch.push(this.planFor(this.maxBatch, STREAMS.train));
      scratch.push(this.planFor(this.maxBatch, STREAMS.evalElbo));
    };
    try {
      // With a tuner on the runtime, first the schedules of this model's shapes (cached ones are not timed again).
      if (this.rt.schedules) await this.rt.tune(plan);
      return await this.rt.compileAhead(plan);
    } finally {
      for (const p of scratch) p.destroy();
    }
  }

  private checkLive() {
    if (this.disposed) throw new Error('GpuVae: used after dispose(); its GPU buffers are released (load or create a new model)');
  }

  private batchOf(x: Float32Array, what: string): number {
    const D = this.config.inputDim;
    if (!(x instanceof Float32Array)) throw new Error(`${what}: expected a Float32Array of batch × ${D} pixels`);
    const b = x.length / D;
    if (!Number.isInteger(b) || b < 1) throw new Error(`${what}: ${x.length} values is not a whole number of ${D}-pixel examples`);
    if (b > this.maxBatch) throw new Error(`${what}: batch of ${b} examples exceeds maxBatch ${this.maxBatch}`);
    return b;
  }

  private upload(tensor: string, data: Float32Array) {
    this.rt.device.queue.writeBuffer(this.plan.activations.get(tensor)!, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  private submit(dispatches: readonly Dispatch[], after?: (e: GPUCommandEncoder) => void) {
    const encoder = this.rt.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encodeDispatches(pass, dispatches);
    pass.end();
    after?.(encoder);
    this.rt.device.queue.submit([encoder.finish()]);
  }

  /**
   * One training step on a batch (batch × inputDim floats): forward, fused ELBO with its gradients,
   * backward and Adam in one submit. The loss adds into the running totals on the GPU; with `read`,
   * the same submit also copies loss and totals out and the promise resolves once they arrive
   * (null when every readback slot is still busy). Nothing waits for the GPU here.
   */
  trainStep(x: Float32Array, read = false): Promise<LossSample> | null {
    this.checkLive();
    if (this.deviceLost) throw new Error(`trainStep: the GPU device was lost (${this.deviceLost})`);
    const b = this.batchOf(x, 'trainStep');
    const pass = this.pass(b, STREAMS.train);
    this.upload(this.graph.io.input, x);
    pass.setNoise(this.step >>> 0);
    // Every step while a warm-up is configured: each batch size has its own prepared pass and uniform.
    if (this.config.schedule?.klWarmup) pass.setBeta(betaAt(this.config.schedule, this.config.beta, this.step));
    this.adam.setStep(this.step + 1, lrAt(this.config.schedule, this.config.adam.lr, this.step));
    const copy = read ? this.readback.take() : null;
    this.submit([...pass.forward, ...pass.backward, ...(this.clip?.op.dispatches ?? []), this.adam.dispatch], copy?.encode);
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

  /** Test −ELBO per example with one sampled z each (noise stream evalElbo); resets the totals. */
  async evaluate(images: Float32Array, count: number): Promise<LossTotals> {
    this.checkLive();
    this.resetTotals();
    this.forEachBatch(images, count, (x, b, index) => {
      const pass = this.pass(b, STREAMS.evalElbo);
      this.upload(this.graph.io.input, x);
      pass.setNoise(index);
      this.submit(pass.forward);
    });
    const totals = await this.readTotals();
    this.resetTotals();
    return totals;
  }

  /** The importance-weighted bound L_k averaged over the examples (nats); resets the totals. */
  async evaluateLk(images: Float32Array, count: number, k: number, onProgress?: (done: number, total: number) => void): Promise<number> {
    this.checkLive();
    if (!Number.isInteger(k) || k < 1 || k > 100000) throw new Error(`evaluateLk: k must be an integer from 1 to 100000, got ${k}`);
    if (this.graph.objective.kind.sampler) return this.evaluateLkByObjective(images, count, k, onProgress);
    // iwae.wgsl reads each sample's −log p(x|z) from the objective's terms: (rec, kl) per example.
    if (this.out.parts.length !== 2 || this.out.parts[0] !== 'rec') {
      throw new Error(`evaluateLk: needs an objective whose per-example terms are (rec, kl); this one has (${this.out.parts.join(', ')})`);
    }
    this.resetTotals();
    const Z = this.config.latent;
    this.iwaeRun ??= this.rt.device.createBuffer({ label: 'iwae run', size: Math.max(16, 8 * this.maxBatch), usage: GPUBufferUsage.STORAGE });
    const { io } = this.graph;
    const batches = Math.ceil(count / this.maxBatch);
    await this.forEachBatchAsync(images, count, async (x, b, index) => {
      const pass = this.pass(b, STREAMS.evalElbo, 1);
      let iw = this.iwae.get(b);
      if (!iw) {
        iw = prepareIwae(this.rt, { batch: b, latent: Z, k }, {
          terms: this.out.terms, stats: this.plan.activations.get(io.stats)!, z: this.plan.activations.get(io.z)!,
          run: this.iwaeRun!, totals: this.out.totals,
        });
        this.iwae.set(b, iw);
      }
      this.upload(io.input, x);
      this.submit(pass.stages.encoder);
      for (let s = 0; s < k; s++) {
        pass.setNoise(index, STREAMS.iwaeBase + s);
        // The objective's first dispatch writes the per-example terms.
        this.submit([...pass.stages.sample, ...pass.stages.decoder, pass.stages.objective[0], s === 0 ? iw.first : iw.next]);
        // Bound the queue: each sample writes the same uniform, and the writes are only ordered by submits.
        if (s % 16 === 15) {
          await this.rt.device.queue.onSubmittedWorkDone();
          if (s % 256 === 255) onProgress?.(index * k + s + 1, batches * k);
        }
      }
      this.submit([iw.finish]);
      onProgress?.((index + 1) * k, batches * k);
    });
    const t = await readFloats(this.rt.device, this.out.totals, 4);
    this.resetTotals();
    // Prepared with log k of this call's k: drop them so another k gets its own.
    for (const p of this.iwae.values()) p.destroy();
    this.iwae.clear();
    return t[0] / t[3];
  }

  /**
   * L_k from an importance-weighted objective's own passes: k samples per example in chunks of at most
   * maxSamples (chunk c on noise stream iwaeBase + c), each chunk's per-example bound read back and
   * merged in float64: log (1/k) Σ_c k_c·exp(L_c). With β ≠ 1 the objective's log w weights the
   * latent terms by β, and so does this.
   */
  private async evaluateLkByObjective(images: Float32Array, count: number, k: number, onProgress?: (done: number, total: number) => void): Promise<number> {
    const chunk = this.plan.maxSamples;
    const batches = Math.ceil(count / this.maxBatch);
    let sum = 0;
    await this.forEachBatchAsync(images, count, async (x, b, index) => {
      const parts: Float64Array[] = [];
      for (let done = 0, c = 0; done < k; done += chunk, c++) {
        const n = Math.min(chunk, k - done);
        const pass = this.pass(b, STREAMS.evalElbo, n);
        this.upload(this.graph.io.input, x);
        pass.setNoise(index, STREAMS.iwaeBase + c);
        this.submit(pass.forward);
        const terms = await readFloats(this.rt.device, this.out.terms, 4 * b);
        parts.push(Float64Array.from({ length: b }, (_, e) => Math.log(n) - terms[4 * e]));
        onProgress?.(index * k + done + n, batches * k);
      }
      for (let e = 0; e < b; e++) sum += logSumExp(parts.map((p) => p[e])) - Math.log(k);
    });
    this.resetTotals();
    return sum / count;
  }

  private forEachBatch(images: Float32Array, count: number, fn: (x: Float32Array, b: number, index: number) => void) {
    const D = this.config.inputDim;
    if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a positive integer, got ${count}`);
    if (!(images instanceof Float32Array) || images.length < count * D) {
      throw new Error(`expected ${count} examples of ${D} pixels, got ${images?.length} values`);
    }
    for (let start = 0, index = 0; start < count; start += this.maxBatch, index++) {
      const b = Math.min(this.maxBatch, count - start);
      fn(images.subarray(start * D, (start + b) * D), b, index);
    }
  }

  private async forEachBatchAsync(images: Float32Array, count: number, fn: (x: Float32Array, b: number, index: number) => Promise<void>) {
    const jobs: [Float32Array, number, number][] = [];
    this.forEachBatch(images, count, (x, b, i) => jobs.push([x, b, i]));
    for (const [x, b, i] of jobs) await fn(x, b, i);
  }

  /**
   * Active units (Burda et al.): latents whose encoder mean varies over the examples by more than
   * 0.01 (Cov_x E_q[z_u|x]); the moments are folded on the GPU batch by batch (latent_moments.wgsl).
   */
  async activeUnits(images: Float32Array, count: number): Promise<ActiveUnits> {
    this.checkLive();
    const Z = this.config.latent;
    const moments = this.rt.device.createBuffer({ label: 'latent moments', size: 16 * Z, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const prepared = new Map<number, ReturnType<typeof prepareLatentMoments>>();
    try {
      this.forEachBatch(images, count, (x, b, index) => {
        let lm = prepared.get(b);
        if (!lm) {
          lm = prepareLatentMoments(this.rt, { rows: b, latent: Z }, { stats: this.plan.activations.get(this.graph.io.stats)!, moments });
          prepared.set(b, lm);
        }
        this.upload(this.graph.io.input, x);
        this.submit([...this.pass(b, STREAMS.evalElbo).stages.encoder, index === 0 ? lm.first : lm.next]);
      });
      const m = await readFloats(this.rt.device, moments, 4 * Z);
      const mean = Float64Array.from({ length: Z }, (_, u) => m[4 * u + 1]);
      const m2 = Float64Array.from({ length: Z }, (_, u) => m[4 * u + 2]);
      return activeUnits({ count: m[0], mean, m2 });
    } finally {
      for (const p of prepared.values()) p.destroy();
      moments.destroy();
    }
  }

  /** μ and log σ² of q(z|x) for each example (batch ≤ maxBatch). */
  async encode(x: Float32Array): Promise<{ mu: Float32Array; logvar: Float32Array }> {
    this.checkLive();
    const b = this.batchOf(x, 'encode');
    const Z = this.config.latent;
    const pass = this.pass(b, STREAMS.evalElbo);
    this.upload(this.graph.io.input, x);
    this.submit(pass.stages.encoder);
    const stats = await readFloats(this.rt.device, this.plan.activations.get(this.graph.io.stats)!, b * 2 * Z);
    const mu = new Float32Array(b * Z), logvar = new Float32Array(b * Z);
    for (let i = 0; i < b; i++) {
      mu.set(stats.subarray(i * 2 * Z, i * 2 * Z + Z), i * Z);
      logvar.set(stats.subarray(i * 2 * Z + Z, (i + 1) * 2 * Z), i * Z);
    }
    return { mu, logvar };
  }

  /** The decoder's mean image for each latent (Bernoulli: σ(logits); Gaussian: the mean). */
  async decode(z: Float32Array): Promise<Float32Array> {
    this.checkLive();
    const Z = this.config.latent;
    const b = z.length / Z;
    if (!Number.isInteger(b) || b < 1 || b > this.maxBatch) {
      throw new Error(`decode: expected 1 to ${this.maxBatch} latents of ${Z} values, got ${z.length} values`);
    }
    const pass = this.pass(b, STREAMS.evalElbo);
    this.upload(this.graph.io.z, z);
    this.submit(pass.stages.decoder);
    const logits = await readFloats(this.rt.device, this.plan.activations.get(this.graph.io.logits)!, b * this.config.inputDim);
    return this.config.likelihood === 'bernoulli' ? logits.map((l) => 1 / (1 + Math.exp(-l))) : logits;
  }

  /** Mean reconstructions decode(μ(x)). */
  async reconstruct(x: Float32Array): Promise<Float32Array> {
    this.checkLive();
    return this.decode((await this.encode(x)).mu);
  }

  /** Decoded samples from the prior N(0, I), drawn from the seeded Philox stream. */
  async sample(n: number, seed = this.config.seed): Promise<Float32Array> {
    this.checkLive();
    if (!Number.isInteger(n) || n < 1 || n > this.maxBatch) throw new Error(`sample: n must be an integer from 1 to maxBatch ${this.maxBatch}, got ${n}`);
    const Z = this.config.latent;
    const z = Float32Array.from({ length: n * Z }, (_, i) => gaussianNoise(seed, 0, STREAMS.prior, i));
    return this.decode(z);
  }

  writeParams(arena: Float32Array): void {
    this.checkLive();
    this.checkArena(arena, 'params');
    this.rt.device.queue.writeBuffer(this.plan.params, 0, arena.buffer, arena.byteOffset, arena.byteLength);
  }

  /** Restores Adam's moments and step count (e.g. from a checkpoint). */
  writeOptimizer(m: Float32Array, v: Float32Array, step: number): void {
    this.checkLive();
    this.checkArena(m, 'adam m');
    this.checkArena(v, 'adam v');
    this.rt.device.queue.writeBuffer(this.plan.adamM, 0, m.buffer, m.byteOffset, m.byteLength);
    this.rt.device.queue.writeBuffer(this.plan.adamV, 0, v.buffer, v.byteOffset, v.byteLength);
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

  async readOptimizer(): Promise<{ m: Float32Array; v: Float32Array; step: number }> {
    this.checkLive();
    const m = await readFloats(this.rt.device, this.plan.adamM, this.graph.arenaSize);
    const v = await readFloats(this.rt.device, this.plan.adamV, this.graph.arenaSize);
    return { m, v, step: this.step };
  }

  /** The last batch's [loss, ...parts] (for the ELBO: loss, rec, kl). */
  async readLoss(): Promise<number[]> {
    this.checkLive();
    return Array.from(await readFloats(this.rt.device, this.out.loss, 1 + this.out.parts.length));
  }

  get latentWidth(): number {
    return tensorWidth(this.graph, this.graph.io.z);
  }

  /**
   * Trains over a data set for `epochs` (counted from step 0, so a loaded model continues where it
   * stopped), with progress and per-epoch callbacks and cancellation through `signal`.
   */
  async fit(options: TrainOptions): Promise<EpochMetrics[]> {
    this.checkLive();
    if (this.fitting) {
      throw new Error('GpuVae.fit: this model is already training (another fit() has not finished); await it, or stop it through its signal, before starting another');
    }
    this.fitting = true;
    try {
      return await train(this, options);
    } finally {
      this.fitting = false;
    }
  }

  /** model.safetensors bytes: weights, Adam moments, step and config (the CLI's and the demo's format). */
  async save(extra: Record<string, string> = {}): Promise<Uint8Array> {
    this.checkLive();
    return encodeCheckpoint(await snapshotState(this, extra));
  }

  /** A model restored from model.safetensors bytes, optimizer state included, ready to train on. */
  static load(rt: Runtime, bytes: Uint8Array, options: Omit<GpuVaeOptions, 'params'> = {}): GpuVae {
    const state = decodeCheckpoint(bytes);
    return restoreState(state, (config, params) => new GpuVae(rt, config, { ...options, params }));
  }

  /** Releases every GPU buffer this model made. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.passes.values()) p.destroy();
    for (const p of this.iwae.values()) p.destroy();
    this.passes.clear();
    this.iwae.clear();
    this.adam.destroy();
    this.clip?.op.destroy();
    this.clip?.buffers.forEach((b) => b.destroy());
    this.readback.destroy();
    this.iwaeRun?.destroy();
    for (const b of this.plan.all) b.destroy();
  }
}

function logSumExp(v: number[]): number {
  const m = Math.max(...v);
  return m + Math.log(v.reduce((a, x) => a + Math.exp(x - m), 0));
}

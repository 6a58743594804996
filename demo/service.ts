// The model service: everything the page asks of its model, on the thread that owns the GPU device
// (the training worker, demo/worker.ts, or the page itself where a worker gets no WebGPU). It holds
// one Session (demo/session.ts) at a time and answers with plain data (structured-clonable: no
// functions, typed arrays in fresh buffers), and reports what changes by events (HostEvent), so the
// page keeps a mirror of it (demo/host.ts). Every GPU query runs between training slices
// (Session.exclusive). No DOM.
import type { Runtime } from '../src/gpu/runtime';
import type { VaeConfig } from '../src/model/config';
import type { MnistSplit } from '../src/data/mnist';
import { datasetView } from '../src/data/dataset';
import { describeShape, makeImageSet, type ImageSet } from '../src/data/image-set';
import { gaussianNoise } from '../src/cpu/philox';
import { DATA_NAME, rowLabels, Session, type LossPoint, type RowLabels, type StopReason } from './session';
import { precompileTuned, type TuneStatus } from './tuning';
import { boundCurve, klDiag, lkGrid, mean, posteriorSamples, sampleTerms, type Likelihoods } from './bound-maths';
import { imageChannels } from '../src/model/config';

/** The model as the page sees it. `id` names the model in events (a replaced model's are dropped). */
export interface ModelInfo {
  id: number;
  config: VaeConfig;
  batch: number;
  perEpoch: number;
  params: number;
  step: number;
  labels: { loss: string; key: string; parts: Record<string, string> };
  parts: string[];
}

export interface LoadResult {
  info: ModelInfo;
  /** The checkpoint's step and whether it held Adam's moments. */
  step: number;
  hasAdam: boolean;
  batchFrom: 'checkpoint' | 'page';
}

export type HostEvent =
  | { type: 'history'; id: number; step: number; train: LossPoint[]; test: LossPoint[] }
  | { type: 'status'; id: number; step: number; running: boolean; stepsPerSecond: number }
  | { type: 'stop'; id: number; step: number; reason: StopReason; message: string }
  | { type: 'tune'; status: TuneStatus }
  | { type: 'warning'; message: string };

/** q(z|x) of one image, its reconstruction decode(μ), n samples decode(z ~ q) and the ELBO's parts. */
export interface Posterior {
  step: number;
  mu: Float32Array;
  logvar: Float32Array;
  recon: Float32Array;
  samples: Float32Array;
  /** −log p(x|z) averaged over the samples, and KL(q ‖ p) in closed form (nats). */
  rec: number;
  kl: number;
}

/** L_k of one image for k on a log grid, from one pass of kMax samples (demo/bound-maths.ts). */
export interface BoundResult {
  step: number;
  ks: number[];
  lk: number[];
  rec: number;
  kl: number;
}

/** The noise stream of the page's own queries (posterior samples, L_k of one digit): no training or evaluation stream. */
const QUERY_STREAM = 77;

export class ModelService {
  private session: Session | null = null;
  private data: MnistSplit | null = null;
  /** What the data is called in checkpoints; own data carries no dataSpec (the CLI asks for --data). */
  private dataName = DATA_NAME;
  private embedded = true;
  private ids = 0;
  private sentTrain = 0;

  constructor(private readonly rt: Runtime, private readonly tune: TuneStatus, private readonly emit: (e: HostEvent) => void) {}

  /** The data set every model trains and is tested on: the embedded split. */
  setData(data: MnistSplit): void {
    this.data = data;
    this.dataName = DATA_NAME;
    this.embedded = true;
  }

  /**
   * The user's own images (read and split by the page, demo/own-data.ts), kept as they came (uint8
   * stays uint8: the trainer's batches read it directly). The next model trains on them.
   */
  setImages(train: ImageSet, test: ImageSet): { train: number; test: number; shape: string } {
    // Made again here: what crossed from the page is a structured clone, checked like any input.
    const tr = makeImageSet(train), te = makeImageSet(test);
    if (describeShape(tr.shape) !== describeShape(te.shape)) throw new Error(`the training images are ${describeShape(tr.shape)} but the test images ${describeShape(te.shape)}; expected one shape`);
    this.data = { train: datasetView(tr), test: datasetView(te) };
    this.dataName = `${tr.source} (${tr.count} train / ${te.count} test, ${describeShape(tr.shape)}), from the demo page`;
    this.embedded = false;
    return { train: tr.count, test: te.count, shape: describeShape(tr.shape) };
  }

  /** The model swap (create, load) in progress, or the last one settled. */
  private swap: Promise<void> = Promise.resolve();

  /**
   * Runs `method` for a host (the worker's messages, LocalHost). A call that is not itself a swap
   * waits for the swap in progress, so a view asking between two models (the old one released, the
   * new one not yet installed) meets the new model instead of 'no model yet'.
   */
  async dispatch(method: string, args: unknown[]): Promise<unknown> {
    const fn = (this as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
    if (typeof fn !== 'function' || method === 'dispatch') throw new Error(`model service: no method ${JSON.stringify(method)}`);
    if (method === 'create' || method === 'load') {
      const p = this.swap.then(() => fn.apply(this, args));
      this.swap = p.then(() => {}, () => {});
      return p;
    }
    await this.swap;
    return fn.apply(this, args);
  }

  private get s(): Session {
    if (!this.session) throw new Error('no model yet');
    return this.session;
  }

  private install(next: Session): ModelInfo {
    const id = ++this.ids;
    next.dataName = this.dataName;
    next.embedded = this.embedded;
    this.session = next;
    this.sentTrain = 0;
    next.on({
      onHistory: () => {
        this.emit({ type: 'history', id, step: next.step, train: next.train.slice(this.sentTrain), test: [...next.test] });
        this.sentTrain = next.train.length;
      },
      onStop: (reason, message) => this.emit({ type: 'stop', id, step: next.step, reason, message }),
    });
    const o = next.vae.objective;
    return {
      id, config: next.config, batch: next.batch, perEpoch: next.perEpoch, step: next.step,
      params: next.vae.graph.params.reduce((a, p) => a + p.size, 0),
      labels: { ...o.labels, parts: { ...o.labels.parts } }, parts: [...o.parts],
    };
  }

  private async release(): Promise<void> {
    const old = this.session;
    this.session = null;
    await old?.dispose();
  }

  private needData(): MnistSplit {
    if (!this.data) throw new Error('no data yet');
    return this.data;
  }

  /** A fresh model (seeded init) in place of the current one. */
  async create(config: VaeConfig, batch: number): Promise<ModelInfo> {
    const data = this.needData();
    await this.release();
    return this.install(Session.create(this.rt, data, config, batch));
  }

  /** A model from model.safetensors bytes; a file that does not load leaves the current model as it was. */
  async load(bytes: Uint8Array, fallbackBatch: number, source: string): Promise<LoadResult> {
    const result = Session.load(this.rt, this.needData(), bytes, fallbackBatch, source);
    await this.release();
    return { info: this.install(result.session), step: result.state.step, hasAdam: !!result.state.adam, batchFrom: result.batchFrom };
  }

  /** Compiles (and, on first use of its shapes, tunes) the model's kernels. */
  async precompile(): Promise<TuneStatus> {
    await precompileTuned(this.rt, this.s.vae, this.tune, () => this.emit({ type: 'tune', status: { ...this.tune } }));
    return { ...this.tune };
  }

  start(budget: number | null): void {
    const s = this.s;
    s.budget = budget;
    const id = this.ids;
    s.start(async () => this.emit({ type: 'status', id, step: s.step, running: s.isRunning, stepsPerSecond: s.stepsPerSecond }));
  }

  /** Resolves once training has stopped (its 'stop' event comes first). */
  pause(): Promise<void> {
    return this.session?.pause() ?? Promise.resolve();
  }

  setBudget(budget: number | null): void {
    if (this.session) this.session.budget = budget;
  }

  evaluateTest(): Promise<LossPoint> {
    return this.s.evaluateTest();
  }

  evaluateLk(k: number): Promise<number> {
    return this.s.evaluateLk(k);
  }

  save(): Promise<Uint8Array> {
    return this.s.save();
  }

  // A conditional model's queries take `labels` (RowLabels: one class for all rows, or one per row);
  // the test set's own calls (testMeans, activity, evaluateTest, evaluateLk) use its labels.

  /** μ and log σ² of q(z|x) for images (any count: the library's encode runs maxBatch at a time). */
  encode(x: Float32Array, labels?: RowLabels): Promise<{ mu: Float32Array; logvar: Float32Array }> {
    const s = this.s;
    return s.exclusive(() => s.vae.encode(x, { labels: rowLabels(labels, x.length / s.config.inputDim) }));
  }

  /** Decoder means for latents (any count). */
  decode(z: Float32Array, labels?: RowLabels): Promise<Float32Array> {
    return this.s.decode(z, labels);
  }

  /** μ of every test digit. */
  testMeans(): Promise<Float32Array> {
    const s = this.s;
    return s.encodeMeans(this.needData().test.images, s.testLabels);
  }

  /** A_u (the variance over the test digits of μ_u) per latent unit. */
  activity(): Promise<Float64Array> {
    const s = this.s, test = this.needData().test;
    return s.exclusive(async () => (await s.vae.activeUnits(test.images, test.count, { labels: s.testLabels })).variances);
  }

  /** q(z|x) of one image, decode(μ), n decoded samples of q (noise stream QUERY_STREAM, step word `seed`), rec and KL; `label`: its class. */
  posterior(x: Float32Array, n: number, seed: number, label?: number | null): Promise<Posterior> {
    const s = this.s;
    return s.exclusive(async () => {
      const { mu, logvar } = await this.stats1(s, x, label);
      const z = new Float32Array((1 + n) * mu.length);
      z.set(mu);
      z.set(posteriorSamples(mu, logvar, n, (i) => gaussianNoise(s.config.seed, seed, QUERY_STREAM, i)), mu.length);
      const logits = await this.logits(s, z, label);
      const D = s.config.inputDim;
      const { rec } = sampleTerms(x, logits.subarray(D), z.subarray(mu.length), mu, logvar, await this.likelihoods(s));
      const means = s.config.likelihood === 'bernoulli' ? logits.map((l) => 1 / (1 + Math.exp(-l))) : logits;
      return { step: s.step, mu, logvar, recon: means.slice(0, D), samples: means.slice(D), rec: mean(rec), kl: klDiag(mu, logvar) };
    });
  }

  /**
   * The bound for one image: kMax samples of q(z|x) decoded in one go (between two training
   * slices, so every sample sees the same parameters), L_k on the grid 1, 2, 5, … kMax.
   */
  bound(x: Float32Array, kMax: number, seed: number, label?: number | null): Promise<BoundResult> {
    const s = this.s;
    return s.exclusive(async () => {
      const { mu, logvar } = await this.stats1(s, x, label);
      const z = posteriorSamples(mu, logvar, kMax, (i) => gaussianNoise(s.config.seed, seed, QUERY_STREAM + 1, i));
      const { rec, logW } = sampleTerms(x, await this.logits(s, z, label), z, mu, logvar, await this.likelihoods(s));
      const ks = lkGrid(kMax);
      return { step: s.step, ks, lk: boundCurve(logW, ks), rec: mean(rec), kl: klDiag(mu, logvar) };
    });
  }

  // The helpers below take the session a call began with: a swap releases it (this.s is then the gap
  // or the next model) only after the call's exclusive work is done, so that work keeps its own model.
  private async stats1(s: Session, x: Float32Array, label: RowLabels): Promise<{ mu: Float32Array; logvar: Float32Array }> {
    const Z = s.config.latent;
    if (x.length !== s.config.inputDim) throw new Error(`expected one image of ${s.config.inputDim} pixels, got ${x.length} values`);
    const stats = Float32Array.from(await s.vae.statsOf(x, 1, rowLabels(label, 1)));
    return { mu: stats.slice(0, Z), logvar: stats.slice(Z, 2 * Z) };
  }

  /** The likelihood's words for the host-side bound, with the learned log-scales read from the model when it has them. */
  private async likelihoods(s: Session): Promise<Likelihoods> {
    const { config, vae } = s;
    const scale = vae.graph.params.find((p) => p.name === 'likelihood.log_scale');
    const logScale = scale ? await vae.readParam(scale) : undefined;
    return { likelihood: config.likelihood, sigma: config.sigma, channels: imageChannels(config), ...(logScale ? { logScale } : {}) };
  }

  private logits(s: Session, z: Float32Array, label: RowLabels): Promise<Float32Array> {
    const Z = s.config.latent;
    return s.chunked(z, Z, s.config.inputDim, label, async (c, l) => Float32Array.from(await s.vae.logitsOf(c, c.length / Z, l)));
  }

  /** Stops training and releases the model. */
  dispose(): Promise<void> {
    return this.release();
  }
}

// The training loop shared by the CLI, the demo and the library's fit(): seeded per-epoch shuffling
// (last partial batch kept), optional dynamic binarization, loss read back every N steps without
// stalling, per-epoch train and test −ELBO, a checkpoint hook, cancellation, and a stop with a
// clear message when the loss turns non-finite (the last good checkpoint is then the one kept).
import { validateDataset, type Dataset } from '../data/dataset';
import { philox4x32 } from '../cpu/philox';
import { STREAMS } from '../model/init';
import type { VaeConfig } from '../model/config';
import type { TrainingState } from '../model/checkpoint';
import type { LossTotals } from '../model/gpu-vae';
import type { LossSample } from './readback';

/** What the loop needs of a model: GpuVae, or the CPU reference through CpuBackend. */
export interface TrainBackend {
  readonly config: VaeConfig;
  readonly step: number;
  /** Set once the GPU device is lost (GpuVae); the loop then stops with a clear message. */
  readonly deviceLost?: string;
  trainStep(x: Float32Array, read: boolean): Promise<LossSample> | null;
  resetTotals(): void;
  readTotals(): Promise<LossTotals>;
  evaluate(images: Float32Array, count: number): Promise<LossTotals>;
  readParams(): Promise<Float32Array>;
  readOptimizer(): Promise<{ m: Float32Array; v: Float32Array; step: number }>;
}

export interface EpochMetrics {
  epoch: number;
  step: number;
  /** −ELBO per example in nats (with β), its reconstruction and KL parts. */
  train: { elbo: number; rec: number; kl: number };
  test: { elbo: number; rec: number; kl: number };
  /** Training time of the epoch (evaluation excluded). */
  seconds: number;
  stepsPerSecond: number;
}

export interface Progress {
  epoch: number;
  epochs: number;
  step: number;
  totalSteps: number;
  /** The latest batch loss read back (−ELBO nats per example), NaN before the first. */
  loss: number;
  stepsPerSecond: number;
  etaSeconds: number;
}

export interface TrainOptions {
  epochs: number;
  batch: number;
  train: Dataset;
  test: Dataset;
  /** Resample binary pixels ~ Bernoulli(value) for every batch. */
  binarize?: boolean;
  /** Read the loss back every N steps (default 10). */
  readEvery?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Called after each epoch with the metrics and the state to checkpoint. */
  onEpoch?: (m: EpochMetrics, state: () => Promise<TrainingState>) => Promise<void> | void;
  /** Training state metadata to carry in snapshots (e.g. earlier metrics). */
  extra?: () => Record<string, string>;
}

export class TrainingStopped extends Error {
  constructor(message: string, readonly step: number) {
    super(message);
    this.name = 'TrainingStopped';
  }
}

/** The seeded order of an epoch: a Fisher–Yates shuffle driven by Philox(seed, epoch). */
export function epochOrder(seed: number, epoch: number, n: number): Uint32Array {
  const key = [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const r = philox4x32([i, epoch, STREAMS.shuffle, 0], key);
    // 53 random bits for an unbiased index even for large n.
    const u = (r[0] * 2097152 + (r[1] >>> 11)) / 9007199254740992;
    const j = Math.floor(u * (i + 1));
    const t = order[i]; order[i] = order[j]; order[j] = t;
  }
  return order;
}

export function stepsPerEpoch(count: number, batch: number): number {
  return Math.ceil(count / batch);
}

/** Fills `out` with the images of order[start .. start + b), binarized with a seeded stream if asked. */
function gather(ds: Dataset, order: Uint32Array, start: number, b: number, out: Float32Array, binarizeKey: number[] | null, step: number): Float32Array {
  const D = ds.dim;
  const x = out.subarray(0, b * D);
  for (let i = 0; i < b; i++) x.set(ds.images.subarray(order[start + i] * D, (order[start + i] + 1) * D), i * D);
  if (binarizeKey) {
    for (let i = 0; i < x.length; i += 4) {
      const r = philox4x32([i, step, STREAMS.binarize, 0], binarizeKey);
      for (let k = 0; k < 4 && i + k < x.length; k++) x[i + k] = r[k] / 4294967296 < x[i + k] ? 1 : 0;
    }
  }
  return x;
}

export async function snapshotState(backend: TrainBackend, extra: Record<string, string> = {}): Promise<TrainingState> {
  const params = await backend.readParams();
  const { m, v, step } = await backend.readOptimizer();
  return { config: backend.config, params, adam: { m, v }, step, extra };
}

/** Trains from the backend's current step to the end of `epochs`; returns each epoch's metrics. */
export async function train(backend: TrainBackend, o: TrainOptions): Promise<EpochMetrics[]> {
  const c = backend.config;
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new Error(`train: epochs must be a positive integer, got ${o.epochs}`);
  if (!Number.isInteger(o.batch) || o.batch < 1) throw new Error(`train: batch must be a positive integer, got ${o.batch}`);
  if (o.train.count < 1) throw new Error('train: the training set is empty');
  if (o.test.count < 1) throw new Error('train: the test set is empty');
  for (const [name, ds] of [['training', o.train], ['test', o.test]] as const) {
    if (ds.dim !== c.inputDim) throw new Error(`train: the ${name} set has ${ds.dim}-pixel images; the model expects ${c.inputDim}`);
    // Sizes that disagree (a stale tail would be trained on) and pixels the likelihood cannot take.
    try {
      validateDataset(ds, { likelihood: c.likelihood });
    } catch (e) {
      throw new Error(`train: the ${name} set: ${(e as Error).message}`, { cause: e });
    }
  }
  const batch = Math.min(o.batch, o.train.count);
  const perEpoch = stepsPerEpoch(o.train.count, batch);
  const totalSteps = perEpoch * o.epochs;
  const readEvery = o.readEvery ?? 10;
  const buffer = new Float32Array(batch * c.inputDim);
  const binarizeKey = o.binarize ? [c.seed >>> 0, Math.floor(c.seed / 4294967296) >>> 0] : null;
  const metrics: EpochMetrics[] = [];
  let lastLoss = NaN;
  const t0 = performance.now();
  const firstStep = backend.step;

  const check = (s: LossSample) => {
    if (s.firstNonFiniteStep > 0) {
      throw new TrainingStopped(
        `training stopped: the loss became NaN or infinite at step ${s.firstNonFiniteStep} (caught on the GPU, read back at step ${s.step}); ` +
          'lower the learning rate or check the data. The last checkpoint written before this point is kept.',
        s.firstNonFiniteStep,
      );
    }
    if (!Number.isFinite(s.loss) || !s.totals.every(Number.isFinite)) {
      throw new TrainingStopped(
        `training stopped: the loss became ${s.loss} by step ${s.step}; lower the learning rate or check the data. ` +
          'The last checkpoint written before this point is kept.',
        s.step,
      );
    }
    lastLoss = s.loss;
  };
  // A lost device makes readbacks fail: say so, and what to do, instead of a bare mapping error.
  const guard = async <T>(work: Promise<T>): Promise<T> => {
    try {
      return await work;
    } catch (e) {
      if (backend.deviceLost !== undefined || /lost|destroyed/i.test(String((e as Error)?.message))) {
        throw new TrainingStopped(
          `training stopped: the GPU device was lost (${backend.deviceLost ?? (e as Error).message}) near step ${backend.step}. ` +
            'The last checkpoint is kept; --resume continues from it on a new device.',
          backend.step,
        );
      }
      throw e;
    }
  };

  for (let epoch = Math.floor(backend.step / perEpoch); epoch < o.epochs; epoch++) {
    const order = epochOrder(c.seed, epoch, o.train.count);
    const epochStart = performance.now();
    const startIndex = backend.step - epoch * perEpoch;
    if (startIndex === 0) backend.resetTotals();
    let inFlight: Promise<LossSample> | null = null;
    for (let i = startIndex; i < perEpoch; i++) {
      if (o.signal?.aborted) throw new TrainingStopped(`training cancelled at step ${backend.step}`, backend.step);
      const start = i * batch;
      const b = Math.min(batch, o.train.count - start);
      const x = gather(o.train, order, start, b, buffer, binarizeKey, backend.step);
      const last = i === perEpoch - 1;
      const read = (backend.step + 1) % readEvery === 0 || last;
      if (backend.deviceLost !== undefined) await guard(Promise.reject(new Error(backend.deviceLost)));
      const sample = backend.trainStep(x, read);
      if (sample) {
        // Wait for the previous readback: the CPU stays at most readEvery steps ahead of the GPU.
        if (inFlight) {
          const done = await guard(inFlight);
          check(done);
          const rate = (done.step - firstStep) / ((performance.now() - t0) / 1000);
          o.onProgress?.({ epoch, epochs: o.epochs, step: done.step, totalSteps, loss: lastLoss, stepsPerSecond: rate, etaSeconds: (totalSteps - done.step) / rate });
        }
        inFlight = sample;
      }
    }
    if (inFlight) check(await guard(inFlight));
    const trainTotals = await guard(backend.readTotals());
    check({ step: backend.step, loss: trainTotals.loss, rec: trainTotals.rec, kl: trainTotals.kl, totals: [trainTotals.loss, trainTotals.rec, trainTotals.kl, trainTotals.examples], firstNonFiniteStep: 0 });
    const seconds = (performance.now() - epochStart) / 1000;
    const test = await guard(backend.evaluate(o.test.images, o.test.count));
    const m: EpochMetrics = {
      epoch: epoch + 1,
      step: backend.step,
      train: { elbo: trainTotals.loss, rec: trainTotals.rec, kl: trainTotals.kl },
      test: { elbo: test.loss, rec: test.rec, kl: test.kl },
      seconds,
      stepsPerSecond: (perEpoch - startIndex) / seconds,
    };
    metrics.push(m);
    o.onProgress?.({ epoch: epoch + 1, epochs: o.epochs, step: backend.step, totalSteps, loss: lastLoss, stepsPerSecond: m.stepsPerSecond, etaSeconds: (totalSteps - backend.step) / m.stepsPerSecond });
    await o.onEpoch?.(m, () => guard(snapshotState(backend, o.extra?.() ?? {})));
  }
  return metrics;
}

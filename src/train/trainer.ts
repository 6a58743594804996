// The epoch loop of the CLI and the library's fit() on the step driver (src/train/driver.ts, which
// the demo's Session drives directly): `epochs` more epochs from the model's step, loss read back
// every N steps, progress, per-epoch train and test loss with the objective's parts, a checkpoint
// hook, and a TrainingStopped with its reason on an abort, a non-finite loss or a lost device.
import { earlyStopState } from './early-stop';
import { validateDataset, type Dataset } from '../data/dataset';
import { describeInput } from '../model/config';
import type { TrainingState } from '../model/checkpoint';
import { lossReport, type TrainBackend } from './backend';
import { checkSample, StepDriver, TrainingStopped } from './driver';
import { checkConditionalData } from './labels';

export type { TrainBackend } from './backend';
export { epochOrder, stepsPerEpoch, TrainingStopped } from './driver';
export type { StopReason } from './driver';

export interface EpochMetrics {
  epoch: number;
  step: number;
  /** The objective's loss per example in nats under its key (e.g. elbo: −ELBO with β) and its parts (rec, kl). */
  train: Record<string, number>;
  test: Record<string, number>;
  /** The same on the validation split, when early stopping holds one out. */
  validation?: Record<string, number>;
  /** The test −ELBO (the objective's bound) in bits per dimension (src/eval/bits.ts), where reports show it. */
  testBitsPerDim?: number;
  /** Training time of the epoch (evaluation excluded). */
  seconds: number;
  stepsPerSecond: number;
}

export interface Progress {
  epoch: number;
  /** The epoch this fit ends at (counted from the model's first step, as `epoch` and `step` are). */
  epochs: number;
  step: number;
  /** The step this fit ends at. */
  totalSteps: number;
  /** The latest batch loss read back (−ELBO nats per example), NaN before the first. */
  loss: number;
  stepsPerSecond: number;
  etaSeconds: number;
}

export interface TrainOptions {
  /**
   * Epochs to train from where the model stands: a new model trains epochs 1..N, one that has done
   * E whole epochs trains E+1..E+N. A model stopped inside an epoch first finishes it (one of the N).
   */
  epochs: number;
  /** Examples per step, 1 to the model's maxBatch (checked before the first step). */
  batch: number;
  train: Dataset;
  test: Dataset;
  /** Resample binary pixels ~ Bernoulli(value) for every batch. */
  binarize?: boolean;
  /** Read the loss back every N steps (default 10). */
  readEvery?: number;
  /** Stops training at the next step boundary (or during the epoch's evaluation) with TrainingStopped, reason 'aborted'. */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Called after each epoch with the metrics and the state to checkpoint. */
  onEpoch?: (m: EpochMetrics, state: () => Promise<TrainingState>) => Promise<void> | void;
  /**
   * Early stopping (src/train/early-stop.ts): the validation split's loss after every epoch, stop once
   * it has not improved for `patience` epochs; `history` holds the earlier epochs (on resume).
   */
  earlyStop?: { validation: Dataset; patience: number; history?: readonly EpochMetrics[] };
  /** Training state metadata to carry in snapshots (e.g. earlier metrics). */
  extra?: () => Record<string, string>;
  /**
   * How a batch of uint8 images reaches the GPU: 'bytes' (default), packed 4 per word and unpacked by the
   * step's first kernel, a quarter of the upload; 'floats', converted on the host. Both train bit for bit alike.
   */
  upload?: 'bytes' | 'floats';
}

export async function snapshotState(backend: TrainBackend, extra: Record<string, string> = {}): Promise<TrainingState> {
  const params = await backend.readParams();
  const { m, v, step } = await backend.readOptimizer();
  return { config: backend.config, params, adam: { m, v }, step, extra };
}

/** Trains `epochs` more epochs from the backend's current step; returns each epoch's metrics. */
export async function train(backend: TrainBackend, o: TrainOptions): Promise<EpochMetrics[]> {
  const c = backend.config;
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new Error(`train: epochs must be a positive integer, got ${o.epochs}`);
  if (!Number.isInteger(o.batch) || o.batch < 1) throw new Error(`train: batch must be a positive integer, got ${o.batch}`);
  if (backend.maxBatch !== undefined && Math.min(o.batch, o.train.count) > backend.maxBatch) {
    throw new Error(`train: batch ${o.batch} exceeds the model's maxBatch ${backend.maxBatch}; make the model with { maxBatch: ${o.batch} } or train with a smaller batch`);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new Error('train: signal must be an AbortSignal');
  if (o.train.count < 1) throw new Error('train: the training set is empty');
  if (o.test.count < 1) throw new Error('train: the test set is empty');
  for (const [name, ds] of [['training', o.train], ['test', o.test]] as const) {
    if (ds.dim !== c.inputDim) throw new Error(`train: the ${name} set has ${ds.dim}-pixel images; the model expects ${describeInput(c)}`);
    // Sizes that disagree (a stale tail would be trained on) and pixels the likelihood cannot take.
    try {
      validateDataset(ds, { likelihood: c.likelihood });
    } catch (e) {
      throw new Error(`train: the ${name} set: ${(e as Error).message}`, { cause: e });
    }
    if (c.conditional) checkConditionalData(ds, c.conditional.classes, name, 'train: ');
  }
  const driver = new StepDriver(backend, o.train, o.batch, { binarize: o.binarize, upload: o.upload });
  const perEpoch = driver.perEpoch;
  const startEpoch = driver.position().epoch;
  const lastEpoch = startEpoch + o.epochs;
  const totalSteps = perEpoch * lastEpoch;
  if (totalSteps > 0xffffffff) throw new Error(`train: ${lastEpoch} epochs × ${perEpoch} steps is more than the 2^32 − 1 steps a model counts`);
  const readEvery = o.readEvery ?? 10;
  const metrics: EpochMetrics[] = [];
  let lastLoss = NaN;
  const t0 = performance.now();
  const firstStep = backend.step;

  const aborted = () => new TrainingStopped(`training cancelled at step ${backend.step}`, backend.step, 'aborted', { cause: o.signal?.reason });
  // A lost device makes readbacks fail: say so, and what to do, instead of a bare mapping error.
  const guard = async <T>(work: Promise<T>): Promise<T> => {
    try {
      return await work;
    } catch (e) {
      if (e instanceof TrainingStopped) throw e;
      if (backend.deviceLost !== undefined || /lost|destroyed/i.test(String((e as Error)?.message))) {
        throw new TrainingStopped(
          `training stopped: the GPU device was lost (${backend.deviceLost ?? (e as Error).message}) near step ${backend.step}. ` +
            'The last checkpoint is kept; --resume continues from it on a new device.',
          backend.step,
          'device-lost',
          { cause: e },
        );
      }
      if (o.signal?.aborted) throw aborted();
      throw e;
    }
  };
  const evalOptions = o.signal ? { signal: o.signal } : {};

  for (let epoch = startEpoch; epoch < lastEpoch; epoch++) {
    const epochStart = performance.now();
    const startIndex = driver.position().index;
    if (startIndex === 0) backend.resetTotals();
    for (let i = startIndex; i < perEpoch; i++) {
      if (o.signal?.aborted) throw aborted();
      const read = (backend.step + 1) % readEvery === 0 || i === perEpoch - 1;
      if (backend.deviceLost !== undefined) await guard(Promise.reject(new Error(backend.deviceLost)));
      const { sample: done } = await guard(driver.step(read));
      if (done) {
        lastLoss = done.loss;
        const rate = (done.step - firstStep) / ((performance.now() - t0) / 1000);
        o.onProgress?.({ epoch, epochs: lastEpoch, step: done.step, totalSteps, loss: lastLoss, stepsPerSecond: rate, etaSeconds: (totalSteps - done.step) / rate });
      }
    }
    const last = await guard(driver.drain());
    if (last) lastLoss = last.loss;
    const trainTotals = await guard(backend.readTotals());
    checkSample({ step: backend.step, loss: trainTotals.loss, parts: trainTotals.parts, totals: [trainTotals.loss, ...Object.values(trainTotals.parts), trainTotals.examples], firstNonFiniteStep: 0 });
    const seconds = (performance.now() - epochStart) / 1000;
    const labelled = (ds: Dataset) => (c.conditional ? { ...evalOptions, labels: ds.labels.subarray(0, ds.count) } : evalOptions);
    const test = await guard(backend.evaluate(o.test.images, o.test.count, labelled(o.test)));
    const validation = o.earlyStop ? await guard(backend.evaluate(o.earlyStop.validation.images, o.earlyStop.validation.count, labelled(o.earlyStop.validation))) : undefined;
    const m: EpochMetrics = {
      epoch: epoch + 1,
      step: backend.step,
      train: lossReport(backend.objective, trainTotals),
      test: lossReport(backend.objective, test),
      ...(validation ? { validation: lossReport(backend.objective, validation) } : {}),
      seconds,
      stepsPerSecond: (perEpoch - startIndex) / seconds,
    };
    metrics.push(m);
    o.onProgress?.({ epoch: epoch + 1, epochs: lastEpoch, step: backend.step, totalSteps, loss: lastLoss, stepsPerSecond: m.stepsPerSecond, etaSeconds: (totalSteps - backend.step) / m.stepsPerSecond });
    await o.onEpoch?.(m, () => guard(snapshotState(backend, o.extra?.() ?? {})));
    if (o.earlyStop && earlyStopState([...(o.earlyStop.history ?? []), ...metrics], backend.objective.labels.key).since >= o.earlyStop.patience) break;
  }
  return metrics;
}

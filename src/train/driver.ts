// The step-level training driver that every loop uses (the CLI's and fit()'s `train`, the demo's
// Session): for the backend's current step it gathers the batch in the seeded epoch order (the last
// batch of an epoch partial; a conditional model: and its labels), binarizes it if asked, submits the step, keeps at most one loss
// readback in flight (the CPU runs at most one readback ahead of the GPU) and stops with a clear
// message once the GPU has recorded a non-finite loss.
import { fillRowBytes, fillRows, u8Pixels, type Dataset } from '../data/dataset';
import { philox4x32, seedKey } from '../cpu/philox';
import { STREAMS } from '../model/init';
import type { TrainBackend } from './backend';
import type { LossSample } from '../optim/readback';

/** Why training stopped: the caller's AbortSignal, a NaN or infinite loss, or the GPU device gone. */
export type StopReason = 'aborted' | 'non-finite' | 'device-lost';

/**
 * Training stopped before the epochs asked for were done; `reason` says why and `step` where (for a
 * non-finite loss, the first step whose loss was not finite). An abort carries the signal's reason
 * as `cause`. The model keeps every step it finished: fit() again continues from `model.step`.
 */
export class TrainingStopped extends Error {
  constructor(message: string, readonly step: number, readonly reason: StopReason, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrainingStopped';
  }
}

/** The seeded order of an epoch: a Fisher–Yates shuffle driven by Philox(seed, epoch). */
export function epochOrder(seed: number, epoch: number, n: number): Uint32Array {
  const key = seedKey(seed);
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

/** Throws TrainingStopped when a readback shows a non-finite loss. */
export function checkSample(s: LossSample): void {
  if (s.firstNonFiniteStep > 0) {
    throw new TrainingStopped(
      `training stopped: the loss became NaN or infinite at step ${s.firstNonFiniteStep} (caught on the GPU, read back at step ${s.step}); ` +
        'lower the learning rate or check the data. The last checkpoint written before this point is kept.',
      s.firstNonFiniteStep,
      'non-finite',
    );
  }
  if (!Number.isFinite(s.loss) || !s.totals.every(Number.isFinite)) {
    throw new TrainingStopped(
      `training stopped: the loss became ${s.loss} by step ${s.step}; lower the learning rate or check the data. ` +
        'The last checkpoint written before this point is kept.',
      s.step,
      'non-finite',
    );
  }
}

export class StepDriver {
  readonly batch: number;
  readonly perEpoch: number;
  private readonly buffer: Float32Array;
  /** The batch's labels, for a conditional model. */
  private readonly labels: Uint32Array | null;
  /** The batch's bytes when the data is uint8 and the backend takes bytes (padded to whole words), else null. */
  private readonly bytes: Uint8Array | null;
  private readonly binarizeKey: [number, number] | null;
  private order: { epoch: number; order: Uint32Array } | null = null;
  private inFlight: Promise<LossSample> | null = null;

  constructor(readonly backend: TrainBackend, readonly data: Dataset, batch: number, options: { binarize?: boolean; upload?: 'bytes' | 'floats' } = {}) {
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`train: batch must be a positive integer, got ${batch}`);
    if (data.count < 1) throw new Error('train: the training set is empty');
    if (options.upload !== undefined && options.upload !== 'bytes' && options.upload !== 'floats') throw new Error(`train: upload must be 'bytes' or 'floats', got ${JSON.stringify(options.upload)}`);
    this.batch = Math.min(batch, data.count);
    this.perEpoch = stepsPerEpoch(data.count, this.batch);
    // uint8 pixels go up as bytes unless binarized on the host (its batches are new floats) or asked otherwise.
    const bytes = options.upload !== 'floats' && !options.binarize && backend.trainStepBytes !== undefined && u8Pixels(data) !== null;
    this.bytes = bytes ? new Uint8Array(4 * Math.ceil((this.batch * data.dim) / 4)) : null;
    this.buffer = new Float32Array(bytes ? 0 : this.batch * data.dim);
    this.labels = backend.config.conditional ? new Uint32Array(this.batch) : null;
    this.binarizeKey = options.binarize ? seedKey(backend.config.seed) : null;
  }

  /** The epoch the next step belongs to, and the step's index inside it. */
  position(step = this.backend.step): { epoch: number; index: number } {
    const epoch = Math.floor(step / this.perEpoch);
    return { epoch, index: step - epoch * this.perEpoch };
  }

  /** Where the next step's batch starts in its epoch's seeded order, and its size. */
  private next(): { order: Uint32Array; start: number; b: number } {
    const { epoch, index } = this.position(this.backend.step);
    if (this.order?.epoch !== epoch) this.order = { epoch, order: epochOrder(this.backend.config.seed, epoch, this.data.count) };
    const start = index * this.batch;
    return { order: this.order.order, start, b: Math.min(this.batch, this.data.count - start) };
  }

  /** True when the steps upload the batch as bytes (uint8 data, a backend that takes them). */
  get uploadsBytes(): boolean {
    return this.bytes !== null;
  }

  /** The next step's batch as the data's bytes (a driver that uploads bytes only). */
  gatherBytes(): Uint8Array {
    if (!this.bytes) throw new Error('gatherBytes: this driver uploads floats (float data, binarization, or upload: \'floats\')');
    const { order, start, b } = this.next();
    this.fillLabels(order, start, b);
    return fillRowBytes(this.data, order, start, b, this.bytes);
  }

  /** Rows of the batch gathered last. */
  private rows = 0;

  private fillLabels(order: Uint32Array, start: number, b: number): void {
    this.rows = b;
    if (this.labels) for (let i = 0; i < b; i++) this.labels[i] = this.data.labels[order[start + i]!]!;
  }

  /** The images of the next step's batch (order[start .. start + b)), binarized with a seeded stream if asked. */
  gather(): Float32Array {
    const step = this.backend.step;
    const { order, start, b } = this.next();
    const D = this.data.dim;
    const x = (this.buffer.length ? this.buffer : new Float32Array(this.batch * D)).subarray(0, b * D);
    fillRows(this.data, order, start, b, x);
    this.fillLabels(order, start, b);
    if (this.binarizeKey) {
      for (let i = 0; i < x.length; i += 4) {
        const r = philox4x32([i, step, STREAMS.binarize, 0], this.binarizeKey);
        for (let k = 0; k < 4 && i + k < x.length; k++) x[i + k] = r[k] / 4294967296 < x[i + k] ? 1 : 0;
      }
    }
    return x;
  }

  /**
   * One training step on the next batch. With `read`, its loss is copied out (`copied`: false when
   * every readback slot was busy); then the previous readback, if any, is awaited, checked and
   * returned as `sample`, so the CPU stays one readback ahead of the GPU.
   */
  /** The labels of the batch gather() filled last (a conditional model; else undefined). */
  batchLabels(rows: number): Uint32Array | undefined {
    return this.labels?.subarray(0, rows);
  }

  async step(read: boolean): Promise<{ copied: boolean; sample: LossSample | null }> {
    let copy;
    if (this.bytes) {
      const x = this.gatherBytes();
      copy = this.backend.trainStepBytes!(x, read, this.batchLabels(this.rows));
    } else {
      const x = this.gather();
      copy = this.backend.trainStep(x, read, this.batchLabels(x.length / this.data.dim));
    }
    if (!copy) return { copied: false, sample: null };
    const previous = this.inFlight;
    this.inFlight = copy;
    if (!previous) return { copied: true, sample: null };
    const done = await previous;
    checkSample(done);
    return { copied: true, sample: done };
  }

  /** Waits for the readback still in flight (if any), checks and returns it. */
  async drain(): Promise<LossSample | null> {
    const last = this.inFlight;
    this.inFlight = null;
    if (!last) return null;
    const done = await last;
    checkSample(done);
    return done;
  }
}

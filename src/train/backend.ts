// What a training loop needs of a model: GpuVae, or the CPU reference through CpuBackend.
import type { VaeConfig } from '../model/config';
import type { ObjectiveInfo } from '../graph/op';
import type { LossSample, LossTotals } from '../optim/readback';

export type { ObjectiveInfo } from '../graph/op';

export interface TrainBackend {
  readonly config: VaeConfig;
  readonly step: number;
  readonly objective: ObjectiveInfo;
  /** The largest batch a step may take (checked before the first step when given). */
  readonly maxBatch?: number;
  /** Set once the GPU device is lost (GpuVae); the loop then stops with a clear message. */
  readonly deviceLost?: string;
  /** One step on a batch; a conditional model takes the batch's labels too. */
  trainStep(x: Float32Array, read: boolean, labels?: Uint32Array): Promise<LossSample> | null;
  /** trainStep on 8-bit pixels (byte k is k / 255) where the backend takes them as they are (GpuVae). */
  trainStepBytes?(x: Uint8Array, read: boolean, labels?: Uint32Array): Promise<LossSample> | null;
  resetTotals(): void;
  readTotals(): Promise<LossTotals>;
  evaluate(images: Float32Array, count: number, options?: { signal?: AbortSignal; labels?: ArrayLike<number> }): Promise<LossTotals>;
  readParams(): Promise<Float32Array>;
  readOptimizer(): Promise<{ m: Float32Array; v: Float32Array; step: number }>;
}

/** A loss and its parts as reports and metrics.json hold them: { [labels.key]: loss, ...parts }. */
export function lossReport(o: ObjectiveInfo, t: { loss: number; parts: Record<string, number> }): Record<string, number> {
  return { [o.labels.key]: t.loss, ...t.parts };
}

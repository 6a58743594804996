// What the evaluation protocols and inference need of a model: a few batch-level primitives that the
// GPU model (src/model/gpu-runner.ts, on its prepared passes) and the CPU reference
// (src/model/cpu-vae.ts, with the ops' float64 twins) both implement. The protocols themselves, which
// batches, which noise words, how samples are chunked and merged, are written once (./protocols.ts).
// A conditional model's primitives take the batch's labels (one u32 per example, or per latent row,
// checked by the caller); an unconditional one's take none.
import type { NoiseWords } from '../base/words';
import type { ObjectiveInfo } from '../graph/op';
import type { VaeConfig } from '../model/config';
import type { LossTotals } from '../optim/readback';

export interface ModelRunner {
  readonly config: VaeConfig;
  /** The largest batch one call may take. */
  readonly maxBatch: number;
  /** The most samples per example one pass may draw (an importance-weighted objective's L_k chunk). */
  readonly maxSamples: number;
  readonly objective: ObjectiveInfo;
  resetTotals(): void;
  /** Means of the objective's totals since the last reset. */
  readTotals(): Promise<LossTotals>;
  /**
   * The whole forward on a batch, `samples` z per example drawn with these noise words (the model's
   * seed); the objective adds the batch into the totals and leaves each example's terms.
   */
  runObjective(x: Float32Array, batch: number, noise: NoiseWords, samples: number, labels?: Uint32Array): void;
  /** Each example's terms of the last runObjective: batch × objective.columns.length values. */
  readTerms(batch: number): Promise<ArrayLike<number>>;
  /**
   * The importance-weighted bound of the default sampler on one batch: for each example,
   * log (1/k) Σ_s w_s with w_s = p(x, z_s) / q(z_s | x) and z_s drawn with noise words noise(s);
   * their sum goes into the totals' loss and the batch into their examples. `progress(s)` reports
   * samples done now and then; an aborted `signal` stops it between samples (rejecting with its reason).
   */
  addLogMeanWeights(x: Float32Array, batch: number, k: number, noise: (s: number) => NoiseWords, progress?: (done: number) => void, signal?: AbortSignal, labels?: Uint32Array): Promise<void>;
  /** Resolves once the work submitted so far has run (a protocol yields here, so that an abort can land). */
  settle(): Promise<void>;
  /** The encoder's μ | log σ² rows of a batch (batch × 2Z). */
  statsOf(x: Float32Array, batch: number, labels?: Uint32Array): Promise<ArrayLike<number>>;
  /** The decoder's output (logits, or the Gaussian's mean) for `rows` latents. */
  logitsOf(z: Float32Array, rows: number, labels?: Uint32Array): Promise<ArrayLike<number>>;
}

// GpuVae, the VAE as the library's users hold it: the GPU model (its plan, training step and state,
// src/model/gpu-model.ts, with the primitives of src/model/gpu-runner.ts) plus what is built on top
// of it: the evaluation protocols and inference (src/eval/, written once for GPU and CPU), training
// over a data set (fit, src/train/trainer.ts) and the checkpoint (save / load, inference-only too).
import type { Runtime } from '../gpu/runtime';
import { GpuRunner } from '../model/gpu-runner';
import type { GpuVaeOptions } from '../model/gpu-model';
import { decodeCheckpoint, encodeCheckpoint, restoreState } from '../model/checkpoint';
import type { ActiveUnits } from '../cpu/active-units';
import type { LossTotals } from '../optim/readback';
import type { ModelRunner } from '../eval/runner';
import { activeUnits, evaluateLk, evaluateLoss } from '../eval/protocols';
import { decode, encode, reconstruct, sample, type SampleOptions } from '../eval/inference';
import type { CallOptions, EvalOptions } from '../eval/inputs';
import { snapshotState, train, type EpochMetrics, type TrainOptions } from '../train/trainer';

export type { GpuVaeOptions } from '../model/gpu-model';

/** GpuVae.load's options: the constructor's, without the weights (the file has them). */
export type LoadOptions = Omit<GpuVaeOptions, 'params'>;

export class GpuVae extends GpuRunner implements ModelRunner {
  /** Set while a fit() runs: a second one would interleave its steps with the first's. */
  private fitting = false;
  /** sample() calls without a seed so far: the next one draws with step word draws + 1. */
  private draws = 0;

  /** Test loss per example (−ELBO, nats) with one sampled z each (noise stream evalElbo); resets the totals. */
  async evaluate(images: Float32Array, count: number, options: CallOptions = {}): Promise<LossTotals> {
    this.checkLive();
    return evaluateLoss(this, images, count, options);
  }

  /** −L_k, the importance-weighted bound as a loss (nats per example, the sign of evaluate's −ELBO); resets the totals. */
  async evaluateLk(images: Float32Array, count: number, k: number, options: EvalOptions = {}): Promise<number> {
    this.checkLive();
    return evaluateLk(this, images, count, k, options);
  }

  /** Active units: latents whose encoder mean varies over the examples by more than 0.01. */
  async activeUnits(images: Float32Array, count: number, options: CallOptions = {}): Promise<ActiveUnits> {
    this.checkLive();
    return activeUnits(this, images, count, options);
  }

  /** μ and log σ² of q(z|x) for each example (any number of rows, run maxBatch at a time; a conditional model: `{ labels }`). */
  async encode(x: Float32Array, options: CallOptions = {}): Promise<{ mu: Float32Array; logvar: Float32Array }> {
    this.checkLive();
    return encode(this, x, options);
  }

  /** The decoder's mean image for each latent (Bernoulli: σ(logits); Gaussian: the mean). */
  async decode(z: Float32Array, options: CallOptions = {}): Promise<Float32Array> {
    this.checkLive();
    return decode(this, z, options);
  }

  /** Mean reconstructions decode(μ(x)). */
  async reconstruct(x: Float32Array, options: CallOptions = {}): Promise<Float32Array> {
    this.checkLive();
    return reconstruct(this, x, options);
  }

  /**
   * `n` decoded samples from the prior N(0, I) (any n up to 2^20). Each call draws fresh latents (the
   * model's seeded stream, one step word per call); `{ seed }` (or a number) draws the same ones every time.
   * A conditional model needs `{ class: k }` (every sample of class k) or `{ classes }` (one per sample).
   */
  async sample(n: number, options: SampleOptions | number = {}): Promise<Float32Array> {
    this.checkLive();
    const o = typeof options === 'number' ? { seed: options } : options;
    return sample(this, n, o.seed === undefined ? ++this.draws : 0, o);
  }

  /**
   * Trains `epochs` more epochs from where the model stands (a loaded model continues its run; one
   * stopped inside an epoch finishes that epoch first, as one of them), with progress and per-epoch
   * callbacks; `signal` stops it with TrainingStopped (reason 'aborted').
   */
  async fit(options: TrainOptions): Promise<EpochMetrics[]> {
    this.checkLive();
    this.checkTrainable('fit');
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

  /**
   * model.safetensors bytes: weights, Adam moments, step and config (the CLI's and the demo's format);
   * an inference-only model writes its weights and step alone.
   */
  async save(extra: Record<string, string> = {}): Promise<Uint8Array> {
    this.checkLive();
    const state = this.inference ? { config: this.config, params: await this.readParams(), step: this.step, extra } : await snapshotState(this, extra);
    return encodeCheckpoint(state, this.registry);
  }

  /**
   * A model restored from model.safetensors bytes: ready to train on (optimizer state included), or
   * with `{ inference: true }` the weights alone on an inference-only plan. A model with op kinds of
   * its own loads with the registry that knows them (`{ registry: BUILTIN_OPS.with(kind) }`).
   */
  static load(rt: Runtime, bytes: Uint8Array, options: LoadOptions = {}): GpuVae {
    const state = decodeCheckpoint(bytes, undefined, 'checkpoint', options.registry);
    const make = (config: typeof state.config, params: Float32Array) => new GpuVae(rt, config, { ...options, params });
    return restoreState(options.inference ? { ...state, adam: undefined } : state, make);
  }
}

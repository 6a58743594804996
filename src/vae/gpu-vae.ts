// GpuVae, the VAE as the library's users hold it: the GPU model (its plan, training step and state,
// src/model/gpu-model.ts, with the primitives of src/model/gpu-runner.ts) plus what is built on top
// of it: the evaluation protocols and inference (src/eval/, written once for GPU and CPU), training
// over a data set (fit, src/train/trainer.ts) and the checkpoint (save / load).
import type { Runtime } from '../gpu/runtime';
import { GpuRunner } from '../model/gpu-runner';
import type { GpuVaeOptions } from '../model/gpu-model';
import { decodeCheckpoint, encodeCheckpoint, restoreState } from '../model/checkpoint';
import type { ActiveUnits } from '../cpu/active-units';
import type { LossTotals } from '../optim/readback';
import type { ModelRunner } from '../eval/runner';
import { activeUnits, evaluateLk, evaluateLoss } from '../eval/protocols';
import { decode, encode, reconstruct, sample } from '../eval/inference';
import { snapshotState, train, type EpochMetrics, type TrainOptions } from '../train/trainer';

export type { GpuVaeOptions } from '../model/gpu-model';

export class GpuVae extends GpuRunner implements ModelRunner {
  /** Set while a fit() runs: a second one would interleave its steps with the first's. */
  private fitting = false;

  /** Test loss per example with one sampled z each (noise stream evalElbo); resets the totals. */
  async evaluate(images: Float32Array, count: number): Promise<LossTotals> {
    this.checkLive();
    return evaluateLoss(this, images, count);
  }

  /** The importance-weighted bound L_k averaged over the examples (nats); resets the totals. */
  async evaluateLk(images: Float32Array, count: number, k: number, onProgress?: (done: number, total: number) => void): Promise<number> {
    this.checkLive();
    return evaluateLk(this, images, count, k, onProgress);
  }

  /** Active units: latents whose encoder mean varies over the examples by more than 0.01. */
  async activeUnits(images: Float32Array, count: number): Promise<ActiveUnits> {
    this.checkLive();
    return activeUnits(this, images, count);
  }

  /** μ and log σ² of q(z|x) for each example (batch ≤ maxBatch). */
  async encode(x: Float32Array): Promise<{ mu: Float32Array; logvar: Float32Array }> {
    this.checkLive();
    return encode(this, x);
  }

  /** The decoder's mean image for each latent (Bernoulli: σ(logits); Gaussian: the mean). */
  async decode(z: Float32Array): Promise<Float32Array> {
    this.checkLive();
    return decode(this, z);
  }

  /** Mean reconstructions decode(μ(x)). */
  async reconstruct(x: Float32Array): Promise<Float32Array> {
    this.checkLive();
    return reconstruct(this, x);
  }

  /** Decoded samples from the prior N(0, I), drawn from the seeded Philox stream. */
  async sample(n: number, seed = this.config.seed): Promise<Float32Array> {
    this.checkLive();
    return sample(this, n, seed);
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
}

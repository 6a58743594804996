// The GPU model's evaluation and inference primitives (the batch-level calls src/eval/runner.ts
// names), on its prepared passes: a forward with given noise words and samples, the per-example
// terms read back, the default sampler's importance weights folded on the GPU (iwae.wgsl: a running
// log-sum-exp over the samples of each example, nothing read back until the batch ends), the
// encoder's stats and the decoder's logits.
import type { NoiseWords } from '../base/words';
import { STREAMS } from '../base/words';
import { readFloats } from '../gpu/buffers';
import { prepareIwae } from '../kernels/iwae';
import { GpuModel } from './gpu-model';

export class GpuRunner extends GpuModel {
  /** iwae.wgsl's running (max log w, Σ exp) per example. */
  private iwaeRun: GPUBuffer | undefined;

  runObjective(x: Float32Array, batch: number, noise: NoiseWords, samples: number, labels?: Uint32Array): void {
    const pass = this.pass(batch, STREAMS.evalElbo, samples);
    this.uploadLabels(labels, batch, 'evaluate');
    this.upload(this.graph.io.input, x);
    pass.setNoise(noise.step, noise.stream);
    this.submit(pass.forward);
  }

  async readTerms(batch: number): Promise<Float32Array> {
    this.checkLive();
    return readFloats(this.rt.device, this.out.terms, this.objective.columns.length * batch);
  }

  async addLogMeanWeights(x: Float32Array, batch: number, k: number, noise: (s: number) => NoiseWords, progress?: (done: number) => void, signal?: AbortSignal, labels?: Uint32Array): Promise<void> {
    this.checkLive();
    // iwae.wgsl reads each sample's −log p(x|z) from the objective's terms: (rec, kl) per example.
    if (this.out.parts.length !== 2 || this.out.parts[0] !== 'rec' || this.objective.columns.length !== 2) {
      throw new Error(`evaluateLk: needs an objective whose per-example terms are (rec, kl); this one has (${this.objective.columns.join(', ')})`);
    }
    const { io } = this.graph;
    this.iwaeRun ??= this.rt.device.createBuffer({ label: 'iwae run', size: Math.max(16, 8 * this.maxBatch), usage: GPUBufferUsage.STORAGE });
    const pass = this.pass(batch, STREAMS.evalElbo, 1);
    // Prepared with log k of this call's k.
    const iw = prepareIwae(this.rt, { batch, latent: this.config.latent, k }, {
      terms: this.out.terms, stats: this.plan.activations.get(io.stats)!, z: this.plan.activations.get(io.z)!, run: this.iwaeRun, totals: this.out.totals,
    });
    try {
      this.uploadLabels(labels, batch, 'evaluateLk');
      this.upload(io.input, x);
      this.submit(pass.stages.encoder);
      for (let s = 0; s < k; s++) {
        const n = noise(s);
        pass.setNoise(n.step, n.stream);
        // The objective's first dispatch writes the per-example terms.
        this.submit([...pass.stages.sample, ...pass.stages.decoder, pass.stages.objective[0], s === 0 ? iw.first : iw.next]);
        // Bound the queue: each sample writes the same uniform, and the writes are only ordered by submits.
        if (s % 16 === 15) {
          await this.rt.device.queue.onSubmittedWorkDone();
          if (s % 256 === 255) progress?.(s + 1);
          signal?.throwIfAborted();
        }
      }
      this.submit([iw.finish]);
    } finally {
      // Destroyed once the submitted work that uses them is done.
      iw.destroy();
    }
  }

  async settle(): Promise<void> {
    this.checkLive();
    await this.rt.device.queue.onSubmittedWorkDone();
  }

  async statsOf(x: Float32Array, batch: number, labels?: Uint32Array): Promise<Float32Array> {
    const pass = this.pass(batch, STREAMS.evalElbo);
    this.uploadLabels(labels, batch, 'encode');
    this.upload(this.graph.io.input, x);
    this.submit(pass.stages.encoder);
    return readFloats(this.rt.device, this.plan.activations.get(this.graph.io.stats)!, batch * 2 * this.config.latent);
  }

  async logitsOf(z: Float32Array, rows: number, labels?: Uint32Array): Promise<Float32Array> {
    // One sample per row: the rows are the examples (a conditional model's labels are one per row).
    const pass = this.pass(rows, STREAMS.evalElbo, 1);
    this.uploadLabels(labels, rows, 'decode');
    this.upload(this.graph.io.z, z);
    this.submit(pass.stages.decoder);
    return readFloats(this.rt.device, this.plan.activations.get(this.graph.io.logits)!, rows * this.config.inputDim);
  }

  override dispose(): void {
    this.iwaeRun?.destroy();
    this.iwaeRun = undefined;
    super.dispose();
  }
}

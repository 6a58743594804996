// The CPU reference trainer behind the training loop's interface (`--backend cpu`): same steps,
// same noise, same evaluation batches as the GPU, computed in float64 on the CPU.
import { CpuVae } from '../model/cpu-vae';
import type { VaeConfigInput } from '../model/config';
import type { LossTotals } from '../model/gpu-vae';
import type { LossSample } from './readback';
import type { TrainBackend } from './trainer';
import { STREAMS } from '../model/init';
import { gaussianNoise } from '../cpu/philox';
import { logImportanceWeight, logMeanExp } from '../cpu/iwae';

export class CpuBackend implements TrainBackend {
  readonly model: CpuVae;
  private totals: [number, number, number, number] = [0, 0, 0, 0];

  constructor(config: VaeConfigInput, params?: Float32Array, private readonly maxBatch = 128) {
    this.model = new CpuVae(config, params);
  }

  get config() { return this.model.config; }
  get step() { return this.model.step; }

  trainStep(x: Float32Array, read: boolean): Promise<LossSample> | null {
    const b = x.length / this.config.inputDim;
    const [loss, rec, kl] = this.model.trainStep(x, b);
    const t = this.totals;
    t[0] += loss * b; t[1] += rec * b; t[2] += kl * b; t[3] += b;
    return read ? Promise.resolve({ step: this.step, loss, rec, kl, totals: [...t] as [number, number, number, number], firstNonFiniteStep: Number.isFinite(loss) ? 0 : this.step }) : null;
  }

  resetTotals(): void {
    this.totals = [0, 0, 0, 0];
  }

  async readTotals(): Promise<LossTotals> {
    const [l, r, k, n] = this.totals;
    return { loss: l / n, rec: r / n, kl: k / n, examples: n };
  }

  /** Test −ELBO over the same batches and noise words as GpuVae.evaluate. */
  async evaluate(images: Float32Array, count: number): Promise<LossTotals> {
    const D = this.config.inputDim;
    let l = 0, r = 0, k = 0;
    for (let start = 0, index = 0; start < count; start += this.maxBatch, index++) {
      const b = Math.min(this.maxBatch, count - start);
      const e = this.model.evaluateBatch(images.subarray(start * D, (start + b) * D), b, index);
      l += e.loss * b; r += e.rec * b; k += e.kl * b;
    }
    return { loss: l / count, rec: r / count, kl: k / count, examples: count };
  }

  async readParams(): Promise<Float32Array> {
    return Float32Array.from(this.model.params);
  }

  async readOptimizer(): Promise<{ m: Float32Array; v: Float32Array; step: number }> {
    return { m: Float32Array.from(this.model.m), v: Float32Array.from(this.model.v), step: this.model.step };
  }

  /** L_k over the same batches and noise words as GpuVae.evaluateLk. */
  async evaluateLk(images: Float32Array, count: number, k: number): Promise<number> {
    const D = this.config.inputDim, Z = this.config.latent;
    let sum = 0;
    for (let start = 0, index = 0; start < count; start += this.maxBatch, index++) {
      const b = Math.min(this.maxBatch, count - start);
      const x = images.subarray(start * D, (start + b) * D);
      const logW: number[][] = Array.from({ length: b }, () => []);
      for (let s = 0; s < k; s++) {
        const acts = this.model.forwardActivations(x, b, index, STREAMS.iwaeBase + s);
        const rec = this.model.forwardResult(x, b, index, STREAMS.iwaeBase + s).perExample;
        const stats = acts.get(this.model.graph.stats)!, z = acts.get(this.model.graph.z)!;
        for (let e = 0; e < b; e++) {
          const row = Array.prototype.slice.call(stats, e * 2 * Z, (e + 1) * 2 * Z) as number[];
          logW[e].push(logImportanceWeight(rec[2 * e], Array.prototype.slice.call(z, e * Z, (e + 1) * Z) as number[], row.slice(0, Z), row.slice(Z)));
        }
      }
      for (const w of logW) sum += logMeanExp(w);
    }
    return sum / count;
  }

  async decode(z: Float32Array): Promise<Float32Array> {
    const b = z.length / this.config.latent;
    const logits = Float32Array.from(this.model.decodeLogits(z, b));
    return this.config.likelihood === 'bernoulli' ? logits.map((l) => 1 / (1 + Math.exp(-l))) : logits;
  }

  async reconstruct(x: Float32Array): Promise<Float32Array> {
    const b = x.length / this.config.inputDim, Z = this.config.latent;
    const stats = this.model.encodeStats(x, b);
    const mu = new Float32Array(b * Z);
    for (let e = 0; e < b; e++) for (let j = 0; j < Z; j++) mu[e * Z + j] = stats[e * 2 * Z + j];
    return this.decode(mu);
  }

  async sample(n: number, seed = this.config.seed): Promise<Float32Array> {
    const z = Float32Array.from({ length: n * this.config.latent }, (_, i) => gaussianNoise(seed, 0, STREAMS.prior, i));
    return this.decode(z);
  }

  /** Restores Adam's state from a checkpoint. */
  writeOptimizer(m: Float32Array, v: Float32Array, step: number): void {
    this.model.m = Float64Array.from(m);
    this.model.v = Float64Array.from(v);
    this.model.step = step;
  }
}

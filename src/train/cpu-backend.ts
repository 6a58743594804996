// The CPU reference trainer behind the training loop's interface (`--backend cpu`): same steps,
// same noise, same evaluation batches as the GPU, computed in float64 on the CPU.
import { CpuVae } from '../model/cpu-vae';
import type { VaeConfigInput } from '../model/config';
import type { LossSample, LossTotals } from '../optim/readback';
import type { ObjectiveInfo, TrainBackend } from './backend';
import type { OpRegistry } from '../ops/registry';
import { STREAMS } from '../model/init';
import { gaussianNoise } from '../cpu/philox';
import { logImportanceWeight, logMeanExp } from '../cpu/iwae';
import { activeUnits, addMeans, latentMoments, type ActiveUnits } from '../cpu/active-units';

export class CpuBackend implements TrainBackend {
  readonly model: CpuVae;
  readonly objective: ObjectiveInfo;
  /** Σ loss, Σ each part, examples: the GPU's totals layout. */
  private totals: number[];

  constructor(config: VaeConfigInput, params?: Float32Array, private readonly maxBatch = 128, registry?: OpRegistry) {
    this.model = new CpuVae(config, params, registry);
    const o = this.model.graph.objective;
    this.objective = { parts: this.model.parts, labels: o.kind.labels(o.attrs), bound: (p) => o.kind.bound(o.attrs, p) };
    this.totals = this.zeros();
  }

  get config() { return this.model.config; }
  get step() { return this.model.step; }
  set step(step: number) { this.model.step = step; }

  private zeros(): number[] {
    return new Array(this.objective.parts.length + 2).fill(0);
  }

  private means(t: number[]): LossTotals {
    const n = t[t.length - 1];
    return { loss: t[0] / n, parts: Object.fromEntries(this.objective.parts.map((name, i) => [name, t[1 + i] / n])), examples: n };
  }

  trainStep(x: Float32Array, read: boolean): Promise<LossSample> | null {
    const b = x.length / this.config.inputDim;
    const [loss, ...parts] = this.model.trainStep(x, b);
    const t = this.totals;
    [loss, ...parts].forEach((v, i) => { t[i] += v * b; });
    t[t.length - 1] += b;
    const named = Object.fromEntries(this.objective.parts.map((name, i) => [name, parts[i]]));
    return read ? Promise.resolve({ step: this.step, loss, parts: named, totals: [...t], firstNonFiniteStep: Number.isFinite(loss) ? 0 : this.step }) : null;
  }

  resetTotals(): void {
    this.totals = this.zeros();
  }

  async readTotals(): Promise<LossTotals> {
    return this.means(this.totals);
  }

  /** Test loss over the same batches and noise words as GpuVae.evaluate. */
  async evaluate(images: Float32Array, count: number): Promise<LossTotals> {
    const D = this.config.inputDim;
    const t = this.zeros();
    for (let start = 0, index = 0; start < count; start += this.maxBatch, index++) {
      const b = Math.min(this.maxBatch, count - start);
      const e = this.model.evaluateBatch(images.subarray(start * D, (start + b) * D), b, index);
      [e.loss, ...e.parts].forEach((v, i) => { t[i] += v * b; });
      t[t.length - 1] += b;
    }
    return this.means(t);
  }

  async readParams(): Promise<Float32Array> {
    return Float32Array.from(this.model.params);
  }

  async readOptimizer(): Promise<{ m: Float32Array; v: Float32Array; step: number }> {
    return { m: Float32Array.from(this.model.m), v: Float32Array.from(this.model.v), step: this.model.step };
  }

  /** L_k over the same batches and noise words as GpuVae.evaluateLk. */
  async evaluateLk(images: Float32Array, count: number, k: number, onProgress?: (done: number, total: number) => void): Promise<number> {
    const D = this.config.inputDim, Z = this.config.latent;
    if (this.model.graph.objective.kind.sampler) return this.evaluateLkByObjective(images, count, k);
    const batches = Math.ceil(count / this.maxBatch);
    let sum = 0;
    for (let start = 0, index = 0; start < count; start += this.maxBatch, index++) {
      const b = Math.min(this.maxBatch, count - start);
      const x = images.subarray(start * D, (start + b) * D);
      const logW: number[][] = Array.from({ length: b }, () => []);
      for (let s = 0; s < k; s++) {
        const acts = this.model.forwardActivations(x, b, index, STREAMS.iwaeBase + s);
        const rec = this.model.forwardResult(x, b, index, STREAMS.iwaeBase + s).perExample;
        const stats = acts.get(this.model.graph.io.stats)!, z = acts.get(this.model.graph.io.z)!;
        for (let e = 0; e < b; e++) {
          const row = Array.prototype.slice.call(stats, e * 2 * Z, (e + 1) * 2 * Z) as number[];
          logW[e].push(logImportanceWeight(rec[2 * e], Array.prototype.slice.call(z, e * Z, (e + 1) * Z) as number[], row.slice(0, Z), row.slice(Z)));
        }
      }
      for (const w of logW) sum += logMeanExp(w);
      onProgress?.((index + 1) * k, batches * k);
    }
    return sum / count;
  }

  /** As GpuVae's: the importance-weighted objective's own bound, in chunks of k_train samples (GpuVae's maxSamples by default). */
  private evaluateLkByObjective(images: Float32Array, count: number, k: number): number {
    const D = this.config.inputDim, chunk = this.model.trainSamples;
    let sum = 0;
    for (let start = 0, index = 0; start < count; start += this.maxBatch, index++) {
      const b = Math.min(this.maxBatch, count - start);
      const x = images.subarray(start * D, (start + b) * D);
      const parts: number[][] = Array.from({ length: b }, () => []);
      for (let done = 0, c = 0; done < k; done += chunk, c++) {
        const n = Math.min(chunk, k - done);
        const r = this.model.forwardResult(x, b, index, STREAMS.iwaeBase + c, n).perExample;
        for (let e = 0; e < b; e++) parts[e].push(Math.log(n) - r[4 * e]);
      }
      for (const p of parts) sum += logMeanExp(p) + Math.log(p.length) - Math.log(k);
    }
    return sum / count;
  }

  /** Active units over the same batches as GpuVae.activeUnits. */
  async activeUnits(images: Float32Array, count: number): Promise<ActiveUnits> {
    const D = this.config.inputDim;
    const m = latentMoments(this.config.latent);
    for (let start = 0; start < count; start += this.maxBatch) {
      const b = Math.min(this.maxBatch, count - start);
      addMeans(m, this.model.encodeStats(images.subarray(start * D, (start + b) * D), b), b);
    }
    return activeUnits(m);
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

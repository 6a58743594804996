// The CPU reference trainer behind the training loop's interface (`--backend cpu`): same steps,
// same noise, same evaluation batches as the GPU, computed in float64 on the CPU; its evaluation and
// inference are the protocols of src/eval/ on the CPU model's primitives.
import { CpuVae } from '../model/cpu-vae';
import type { VaeConfigInput } from '../model/config';
import type { LossSample, LossTotals } from '../optim/readback';
import type { TrainBackend } from './backend';
import type { ObjectiveInfo } from '../graph/op';
import type { OpRegistry } from '../ops/registry';
import type { ActiveUnits } from '../cpu/active-units';
import { activeUnits, evaluateLk, evaluateLoss } from '../eval/protocols';
import { decode, reconstruct, sample, type SampleOptions } from '../eval/inference';
import type { CallOptions, EvalOptions } from '../eval/inputs';

export class CpuBackend implements TrainBackend {
  readonly model: CpuVae;
  /** sample() calls without a seed so far (as GpuVae counts them). */
  private draws = 0;

  constructor(config: VaeConfigInput, params?: Float32Array, maxBatch = 128, registry?: OpRegistry) {
    this.model = new CpuVae(config, params, registry, maxBatch);
  }

  get config() { return this.model.config; }
  get objective(): ObjectiveInfo { return this.model.objective; }
  get step() { return this.model.step; }
  get maxBatch() { return this.model.maxBatch; }
  set step(step: number) { this.model.step = step; }

  trainStep(x: Float32Array, read: boolean, labels?: Uint32Array): Promise<LossSample> | null {
    const b = x.length / this.config.inputDim;
    const [loss, ...parts] = this.model.trainStep(x, b, labels);
    const named = Object.fromEntries(this.objective.parts.map((name, i) => [name, parts[i]]));
    return read ? Promise.resolve({ step: this.step, loss, parts: named, totals: [...this.model.runningTotals], firstNonFiniteStep: Number.isFinite(loss) ? 0 : this.step }) : null;
  }

  resetTotals(): void {
    this.model.resetTotals();
  }

  readTotals(): Promise<LossTotals> {
    return this.model.readTotals();
  }

  /** Test loss over the same batches and noise words as GpuVae.evaluate. */
  evaluate(images: Float32Array, count: number, options: CallOptions = {}): Promise<LossTotals> {
    return evaluateLoss(this.model, images, count, options);
  }

  async readParams(): Promise<Float32Array> {
    return Float32Array.from(this.model.params);
  }

  async readOptimizer(): Promise<{ m: Float32Array; v: Float32Array; step: number }> {
    return { m: Float32Array.from(this.model.m), v: Float32Array.from(this.model.v), step: this.model.step };
  }

  /** −L_k over the same batches and noise words as GpuVae.evaluateLk. */
  evaluateLk(images: Float32Array, count: number, k: number, options: EvalOptions = {}): Promise<number> {
    return evaluateLk(this.model, images, count, k, options);
  }

  /** Active units over the same batches as GpuVae.activeUnits. */
  activeUnits(images: Float32Array, count: number, options: CallOptions = {}): Promise<ActiveUnits> {
    return activeUnits(this.model, images, count, options);
  }

  decode(z: Float32Array, options: CallOptions = {}): Promise<Float32Array> {
    return decode(this.model, z, options);
  }

  reconstruct(x: Float32Array, options: CallOptions = {}): Promise<Float32Array> {
    return reconstruct(this.model, x, options);
  }

  /** The same draws as GpuVae.sample: fresh per call, or `{ seed }`'s. */
  sample(n: number, options: SampleOptions = {}): Promise<Float32Array> {
    return sample(this.model, n, options.seed === undefined ? ++this.draws : 0, options);
  }

  /** Restores Adam's state from a checkpoint. */
  writeOptimizer(m: Float32Array, v: Float32Array, step: number): void {
    this.model.m = Float64Array.from(m);
    this.model.v = Float64Array.from(v);
    this.model.step = step;
  }
}

// Asynchronous loss readback: every N steps the step's command encoder also copies the objective's
// batch loss, running totals and health word into one of a few MAP_READ buffers; the values arrive
// later without stalling the step. Awaiting the previous readback bounds how far the CPU runs ahead
// of the GPU. The layout follows the objective's parts (src/graph/op.ts, OBJECTIVE_BUFFERS).

export interface LossSample {
  /** The step (1-based count of steps taken) whose loss this is. */
  step: number;
  loss: number;
  /** The batch's parts by the objective's names (e.g. rec, kl). */
  parts: Record<string, number>;
  /** Running totals since the last reset: Σ loss, Σ each part, examples. */
  totals: number[];
  /** The first step whose loss was NaN or ±Inf, as the GPU recorded it; 0 when none. */
  firstNonFiniteStep: number;
}

export interface ObjectiveOutputs {
  parts: readonly string[];
  loss: GPUBuffer;
  totals: GPUBuffer;
  health: GPUBuffer;
}

const words = (floats: number) => Math.ceil(floats / 4) * 4;

export class LossReadback {
  private readonly free: GPUBuffer[] = [];
  private readonly all: GPUBuffer[] = [];
  private readonly lossFloats: number;
  private readonly totalsFloats: number;

  constructor(device: GPUDevice, private readonly out: ObjectiveOutputs, slots = 3) {
    this.lossFloats = words(1 + out.parts.length);
    this.totalsFloats = words(out.parts.length + 2);
    const size = 4 * (this.lossFloats + this.totalsFloats) + 16;
    for (let i = 0; i < slots; i++) {
      const b = device.createBuffer({ label: `loss readback ${i}`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      this.free.push(b);
      this.all.push(b);
    }
  }

  /**
   * Returns an encoder hook that copies loss, totals and health, or null when every slot is still
   * in flight. After the submit, call `collect()` with the returned slot.
   */
  take(): { encode: (e: GPUCommandEncoder) => void; slot: GPUBuffer } | null {
    const slot = this.free.pop();
    if (!slot) return null;
    const { loss, totals, health } = this.out;
    return {
      slot,
      encode: (e) => {
        e.copyBufferToBuffer(loss, 0, slot, 0, 4 * this.lossFloats);
        e.copyBufferToBuffer(totals, 0, slot, 4 * this.lossFloats, 4 * this.totalsFloats);
        e.copyBufferToBuffer(health, 0, slot, 4 * (this.lossFloats + this.totalsFloats), 16);
      },
    };
  }

  /** Maps the slot after its submit; the promise resolves when the GPU has reached that step. */
  collect(slot: GPUBuffer, step: number): Promise<LossSample> {
    const P = this.out.parts.length;
    const p = slot.mapAsync(GPUMapMode.READ).then(() => {
      const bytes = slot.getMappedRange().slice(0);
      slot.unmap();
      this.free.push(slot);
      const v = new Float32Array(bytes);
      const h = new Uint32Array(bytes, 4 * (this.lossFloats + this.totalsFloats), 2);
      const parts = Object.fromEntries(this.out.parts.map((name, i) => [name, v[1 + i]]));
      const totals = Array.from(v.subarray(this.lossFloats, this.lossFloats + P + 2));
      return { step, loss: v[0], parts, totals, firstNonFiniteStep: h[1] };
    });
    // A readback abandoned because training stopped (e.g. the device was lost) must not surface
    // later as an unhandled rejection; whoever awaits p still sees its error.
    p.catch(() => {});
    return p;
  }

  destroy(): void {
    for (const b of this.all) b.destroy();
  }
}

/** Means of an objective's running totals since their last reset. */
export interface LossTotals {
  /** Mean loss (for the ELBO: −ELBO with β) per example, in nats. */
  loss: number;
  /** Mean of each part by the objective's names (e.g. rec, kl). */
  parts: Record<string, number>;
  examples: number;
}

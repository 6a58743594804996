// Asynchronous loss readback: every N steps the step's command encoder also copies the batch loss and
// the running totals into one of a few MAP_READ buffers; the values arrive later without stalling
// the step. Awaiting the previous readback bounds how far the CPU runs ahead of the GPU.

export interface LossSample {
  /** The step (1-based count of steps taken) whose loss this is. */
  step: number;
  loss: number;
  rec: number;
  kl: number;
  /** Running totals since the last reset: Σ loss, Σ rec, Σ kl, examples. */
  totals: [number, number, number, number];
  /** The first step whose loss was NaN or ±Inf, as the GPU recorded it; 0 when none. */
  firstNonFiniteStep: number;
}

export class LossReadback {
  private readonly free: GPUBuffer[] = [];
  private readonly all: GPUBuffer[] = [];
  private pending: Promise<LossSample> | null = null;

  constructor(device: GPUDevice, slots = 3) {
    for (let i = 0; i < slots; i++) {
      const b = device.createBuffer({ label: `loss readback ${i}`, size: 48, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      this.free.push(b);
      this.all.push(b);
    }
  }

  /**
   * Returns an encoder hook that copies loss and totals for `step`, or null when every slot is
   * still in flight. After the submit, call `collect()` with the returned slot.
   */
  take(loss: GPUBuffer, totals: GPUBuffer, health: GPUBuffer): { encode: (e: GPUCommandEncoder) => void; slot: GPUBuffer } | null {
    const slot = this.free.pop();
    if (!slot) return null;
    return {
      slot,
      encode: (e) => {
        e.copyBufferToBuffer(loss, 0, slot, 0, 16);
        e.copyBufferToBuffer(totals, 0, slot, 16, 16);
        e.copyBufferToBuffer(health, 0, slot, 32, 16);
      },
    };
  }

  /** Maps the slot after its submit; the promise resolves when the GPU has reached that step. */
  collect(slot: GPUBuffer, step: number): Promise<LossSample> {
    const p = slot.mapAsync(GPUMapMode.READ).then(() => {
      const bytes = slot.getMappedRange().slice(0);
      slot.unmap();
      this.free.push(slot);
      const v = new Float32Array(bytes);
      const h = new Uint32Array(bytes, 32, 2);
      return { step, loss: v[0], rec: v[1], kl: v[2], totals: [v[4], v[5], v[6], v[7]] as [number, number, number, number], firstNonFiniteStep: h[1] };
    });
    // A readback abandoned because training stopped (e.g. the device was lost) must not surface
    // later as an unhandled rejection; whoever awaits p still sees its error.
    p.catch(() => {});
    this.pending = p;
    return p;
  }

  /** The most recent readback still in flight, if any. */
  get inFlight(): Promise<LossSample> | null {
    return this.pending;
  }

  destroy(): void {
    for (const b of this.all) b.destroy();
  }
}

// The GPU and CPU trainers stepped side by side on the same batches (the GPU's loss read back after
// each step): every step's loss within a relative 1e-4, a short batch every 7th step to exercise the
// partial-batch pass. Returns the worst relative loss/rec/kl difference seen.
import { expect } from 'vitest';
import type { GpuVae } from '../../src/vae/gpu-vae';
import type { CpuVae } from '../../src/model/cpu-vae';

export interface SideBySide {
  steps: number;
  batch: number;
  /** The size of every 7th batch. */
  short: number;
  /** The images of `count` examples from example `start` on. */
  batchAt: (start: number, count: number) => Float32Array;
}

export async function trainSideBySide(vae: GpuVae, cpu: CpuVae, o: SideBySide): Promise<number> {
  let worst = 0;
  for (let step = 0; step < o.steps; step++) {
    const b = step % 7 === 6 ? o.short : o.batch;
    const x = o.batchAt(step * o.batch, b);
    const want = cpu.trainStep(x, b);
    vae.trainStep(x);
    const got = await vae.readLoss();
    for (let i = 0; i < 3; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.abs(want[i]));
    expect(Math.abs(got[0] - want[0]) / want[0], `step ${step}: gpu ${got[0]} cpu ${want[0]}`).toBeLessThan(1e-4);
  }
  return worst;
}

// Benchmark of the default model's training step (784-400-20, ReLU, Bernoulli, Adam) at several
// batch sizes: ms/step, steps/s and examples/s on the adapter at hand. Also the VAE's matmul shapes.
import { GpuVae } from '../src/model/gpu-vae';
import type { Runtime } from '../src/gpu/runtime';
import { prepareMatmul, matmulFlops, vec4Compatible, type MatmulShape } from '../src/kernels/matmul';
import { storageBuffer } from '../src/gpu/buffers';
import { encodeDispatches } from '../src/gpu/runtime';
import { timeGpu } from './timing';

export interface StepResult {
  batch: number;
  msPerStep: number;
  stepsPerSecond: number;
  examplesPerSecond: number;
  usPerExample: number;
}

export async function benchTrainStep(rt: Runtime, images: Float32Array, batches: number[], steps: number): Promise<StepResult[]> {
  const out: StepResult[] = [];
  for (const batch of batches) {
    const vae = new GpuVae(rt, {}, { maxBatch: batch });
    const D = 784;
    let offset = 0;
    const next = () => {
      if ((offset + batch) * D > images.length) offset = 0;
      const x = images.subarray(offset * D, (offset + batch) * D);
      offset += batch;
      return x;
    };
    // Steps are queued back to back as in training; the queue is drained once per measured run.
    const t = await timeGpu(rt.device, () => void vae.trainStep(next()), 5, 2, Math.max(1, Math.round(steps / 5)));
    vae.dispose();
    out.push({
      batch,
      msPerStep: t.medianMs,
      stepsPerSecond: 1000 / t.medianMs,
      examplesPerSecond: (1000 * batch) / t.medianMs,
      usPerExample: (1000 * t.medianMs) / batch,
    });
  }
  return out;
}

export const VAE_MATMULS: (MatmulShape & { name: string })[] = [
  { name: 'enc.0 fwd 128×784→400', M: 128, N: 400, K: 784, activation: 'relu' },
  { name: 'enc.head fwd 128×400→40', M: 128, N: 40, K: 400 },
  { name: 'dec.0 fwd 128×20→400', M: 128, N: 400, K: 20, activation: 'relu' },
  { name: 'dec.out fwd 128×400→784', M: 128, N: 784, K: 400 },
  { name: 'dec.out dW 400×784 (K=128)', M: 400, N: 784, K: 128, transA: true },
  { name: 'dec.out dX 128×400 (K=784)', M: 128, N: 400, K: 784, transB: true },
  { name: 'enc.0 dW 784×400 (K=128)', M: 784, N: 400, K: 128, transA: true },
  { name: 'square 512', M: 512, N: 512, K: 512 },
];

/** Each shape once per schedule, where the vec4 schedule applies. */
export function withVariants(shapes: (MatmulShape & { name: string })[]): (MatmulShape & { name: string })[] {
  return shapes.flatMap((s) => [
    { ...s, name: `${s.name} [tiled]`, variant: 'tiled' as const },
    ...(vec4Compatible(s) ? [{ ...s, name: `${s.name} [vec4]`, variant: 'vec4' as const }] : []),
  ]);
}

export interface MatmulResult {
  name: string;
  ms: number;
  gflops: number;
}

export async function benchMatmuls(rt: Runtime, shapes: (MatmulShape & { name: string })[], runs: number): Promise<MatmulResult[]> {
  const out: MatmulResult[] = [];
  for (const s of shapes) {
    const a = storageBuffer(rt.device, s.M * s.K, 'A'), b = storageBuffer(rt.device, s.K * s.N, 'B');
    const bias = storageBuffer(rt.device, s.N, 'bias'), c = storageBuffer(rt.device, s.M * s.N, 'C');
    const op = prepareMatmul(rt, s, { a, b, bias, c });
    const reps = 10;
    const t = await timeGpu(rt.device, () => {
      const e = rt.device.createCommandEncoder();
      const p = e.beginComputePass();
      for (let i = 0; i < reps; i++) encodeDispatches(p, op.dispatches);
      p.end();
      rt.device.queue.submit([e.finish()]);
    }, runs);
    const ms = t.medianMs / reps;
    out.push({ name: s.name, ms, gflops: matmulFlops(s) / (ms * 1e6) });
    op.destroy();
    [a, b, bias, c].forEach((x) => x.destroy());
  }
  return out;
}

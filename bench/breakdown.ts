// Where a training step's time goes: the same dispatches GpuVae.trainStep submits, each in its own
// compute pass between GPU timestamps (the per-dispatch profile the report's explanations rest on).
import type { GpuContext } from '../src/gpu/device';
import { Runtime, encodeDispatches } from '../src/gpu/runtime';
import { planPass } from '../src/graph/scheduler';
import { planAdam } from '../src/optim/gpu-step';
import { STREAMS } from '../src/model/init';
import { GpuVae } from '../src/vae/gpu-vae';
import type { VaeConfigInput } from '../src/model/config';
import type { Breakdown } from './results';

function kindOf(label: string): string {
  if (/ (forward|dW|dX)$/.test(label) && !label.startsWith('reparameterize')) return 'matmul';
  if (label.includes('bias grad')) return 'bias_grad';
  if (label.startsWith('reparameterize')) return 'reparam';
  if (label.startsWith('elbo')) return 'elbo';
  if (label.startsWith('adam')) return 'adam';
  return 'other';
}

/**
 * A model's training step at `batch` (the default model's unless `config` says otherwise), each dispatch in its own compute pass with GPU
 * timestamps at its start and end: the same dispatches GpuVae.trainStep submits (the scheduler's
 * pass plan and the Adam dispatch on the model's own buffers), in the same order, in one submit.
 */
export async function stepBreakdown(ctx: GpuContext, batch: number, samples: number, x: Float32Array, config: VaeConfigInput = {}): Promise<Breakdown> {
  const device = ctx.device;
  const rt = Runtime.forContext(ctx);
  const vae = new GpuVae(rt, config, { maxBatch: batch });
  const pass = planPass(rt, vae.graph, vae.plan, { batch, seed: vae.config.seed, stream: STREAMS.train, training: true });
  const adam = planAdam(rt, vae.graph, vae.plan, vae.config.adam);
  const dispatches = [...pass.forward, ...pass.backward, adam.dispatch];
  device.queue.writeBuffer(vae.plan.activations.get(vae.graph.io.input)!, 0, x.buffer, x.byteOffset, x.byteLength);
  const n = dispatches.length;
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * n });
  const resolve = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const per: number[][] = dispatches.map(() => []);
  try {
    for (let r = 0; r < samples + 2; r++) {
      const encoder = device.createCommandEncoder();
      dispatches.forEach((d, i) => {
        const p = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
        encodeDispatches(p, [d]);
        p.end();
      });
      encoder.resolveQuerySet(querySet, 0, 2 * n, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, 16 * n);
      device.queue.submit([encoder.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(read.getMappedRange().slice(0));
      read.unmap();
      if (r >= 2) dispatches.forEach((_, i) => per[i].push(Number(t[2 * i + 1] - t[2 * i]) / 1e6));
    }
  } finally {
    querySet.destroy();
    resolve.destroy();
    read.destroy();
    pass.destroy();
    adam.destroy();
    vae.dispose();
    rt.destroy();
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const rows = dispatches.map((d, i) => ({ label: d.label, kind: kindOf(d.label), ms: median(per[i]), share: 0 }));
  const totalMs = rows.reduce((s, r) => s + r.ms, 0);
  for (const r of rows) r.share = r.ms / totalMs;
  return { batch, samples, totalMs, rows };
}

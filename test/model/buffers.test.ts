// Resource ownership: 1,000 training steps (with loss readbacks and evaluations between them) leave
// the number of live GPU buffers unchanged, and dispose() of the model and the runtime brings it to
// zero. Buffers are counted by wrapping this device's createBuffer and each buffer's destroy.
import { describe, expect, it } from 'vitest';
import { Runtime } from '../../src/gpu/runtime';
import { GpuVae } from '../../src/vae/gpu-vae';
import { uniformArray } from '../util/random';
import { scoped, useGpu } from '../gpu/harness';

const gpu = useGpu();

function trackBuffers(device: GPUDevice): Set<GPUBuffer> {
  const live = new Set<GPUBuffer>();
  const create = device.createBuffer.bind(device);
  device.createBuffer = (desc: GPUBufferDescriptor) => {
    const b = create(desc);
    live.add(b);
    const destroy = b.destroy.bind(b);
    b.destroy = () => {
      live.delete(b);
      destroy();
    };
    return b;
  };
  return live;
}

describe('GPU buffer ownership', () => {
  it('allocates nothing per training step and releases everything on dispose', async () => {
    const { device, ctx } = gpu();
    const live = trackBuffers(device);
    await scoped(device, async () => {
      const rt = Runtime.forContext(ctx);
      const vae = new GpuVae(rt, { encoderHidden: [32], decoderHidden: [32], latent: 4 }, { maxBatch: 16 });
      const x = uniformArray(16 * 784, 1, 0, 1);
      const test = uniformArray(40 * 784, 2, 0, 1);
      // Warm up every path once (the passes for batch 16 and the 8-example tail of evaluation).
      vae.trainStep(x);
      await vae.trainStep(x, true);
      await vae.evaluate(test, 40);
      const before = live.size;
      let pending: Promise<unknown> | null = null;
      for (let step = 0; step < 1000; step++) {
        const p = vae.trainStep(x, step % 10 === 9);
        if (p) {
          await pending;
          pending = p;
        }
        if (step % 250 === 249) await vae.evaluate(test, 40);
      }
      await pending;
      await vae.readLoss();
      expect(Number.isFinite((await vae.readLoss())[0])).toBe(true);
      console.info(`live GPU buffers: ${before} before and ${live.size} after 1,000 steps`);
      expect(live.size).toBe(before);
      vae.dispose();
      rt.destroy();
      expect(live.size).toBe(0);
    });
  });
});

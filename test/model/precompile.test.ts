// Compiling ahead: GpuVae.precompile() makes every pipeline of a training step and of evaluation with
// createComputePipelineAsync, so the first step and the first evaluation compile nothing on the
// calling thread; the placeholders used while collecting never reach a pass (same losses as a model
// that compiled on first use), and the scratch passes it plans leave no buffers behind.
import { describe, expect, it } from 'vitest';
import { Runtime } from '../../src/gpu/runtime';
import { GpuVae } from '../../src/vae/gpu-vae';
import { uniformArray } from '../util/random';
import { scoped, useGpu } from '../gpu/harness';

const gpu = useGpu();
const CONFIG = { encoderHidden: [32], decoderHidden: [24], latent: 4, seed: 3 };

/** Counts synchronous and asynchronous pipeline creations on this device from now on. */
function countPipelines(device: GPUDevice): { sync: number; async: number } {
  const n = { sync: 0, async: 0 };
  const sync = device.createComputePipeline.bind(device);
  const async_ = device.createComputePipelineAsync.bind(device);
  device.createComputePipeline = (d: GPUComputePipelineDescriptor) => (n.sync++, sync(d));
  device.createComputePipelineAsync = (d: GPUComputePipelineDescriptor) => (n.async++, async_(d));
  return n;
}

async function losses(vae: GpuVae, x: Float32Array, test: Float32Array): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < 3; i++) out.push((await vae.trainStep(x, true)!).loss);
  out.push((await vae.evaluate(test, 20)).loss);
  return out;
}

describe('GpuVae.precompile', () => {
  it('compiles every pipeline of training and evaluation ahead, asynchronously, and changes no result', async () => {
    const { device, ctx } = gpu();
    const x = uniformArray(16 * 784, 1, 0, 1);
    const test = uniformArray(20 * 784, 2, 0, 1);
    await scoped(device, async () => {
      // Reference: a runtime that compiles on first use.
      const plainRt = Runtime.forContext(ctx);
      const plain = new GpuVae(plainRt, CONFIG, { maxBatch: 16 });
      const want = await losses(plain, x, test);
      plain.dispose();
      plainRt.destroy();

      const rt = Runtime.forContext(ctx);
      const count = countPipelines(device);
      const vae = new GpuVae(rt, CONFIG, { maxBatch: 16 });
      const beforeAhead = count.sync; // Adam's pipeline, made by the constructor
      const compiled = await vae.precompile();
      expect(compiled).toBeGreaterThan(5);
      expect(count.async).toBe(compiled);
      expect(count.sync).toBe(beforeAhead);
      // Nothing left to compile: the first steps and the first evaluation make no pipeline.
      const got = await losses(vae, x, test);
      expect(count.sync, 'pipelines compiled synchronously after precompile()').toBe(beforeAhead);
      expect(await vae.precompile()).toBe(0);
      expect(got).toEqual(want);
      vae.dispose();
      rt.destroy();
    });
  });

  it('refuses to nest collections with a clear error', async () => {
    const { ctx } = gpu();
    const rt = Runtime.forContext(ctx);
    let inner: Promise<number> | undefined;
    await rt.compileAhead(() => {
      inner = rt.compileAhead(() => {});
    });
    await expect(inner).rejects.toThrow(/already collecting pipelines/);
    rt.destroy();
  });
});

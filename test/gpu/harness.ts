// GPU test harness for vitest: one device per test file (destroyed after), plus the runner-free
// helpers of gpu-scope.ts (error scopes that must pop empty, NaN-poisoned outputs, submission).
import { afterAll, beforeAll } from 'vitest';
import { acquireDevice, describeAdapter, type GpuContext, type SoftwareDriver } from '../../src/gpu/device';
import { Runtime } from '../../src/gpu/runtime';

export interface TestGpu {
  ctx: GpuContext;
  rt: Runtime;
  device: GPUDevice;
}

/** Registers beforeAll/afterAll hooks and returns a getter for this file's device. */
export function useGpu(): () => TestGpu {
  let gpu: TestGpu | undefined;
  beforeAll(async () => {
    // WEBGPU_VAE_DRIVER=swiftshader|lavapipe picks the software driver for a test run.
    const driver = (process.env.WEBGPU_VAE_DRIVER ?? 'auto') as SoftwareDriver;
    const ctx = await acquireDevice({ softwareDriver: driver });
    ctx.device.addEventListener('uncapturederror', (e) => {
      throw new Error(`uncaptured WebGPU error: ${(e as GPUUncapturedErrorEvent).error.message}`);
    });
    console.info(`adapter: ${describeAdapter(ctx.adapterInfo)}`);
    gpu = { ctx, rt: Runtime.forContext(ctx), device: ctx.device };
  });
  afterAll(() => {
    gpu?.rt.destroy();
    gpu?.ctx.destroy();
    gpu = undefined;
  });
  return () => {
    if (!gpu) throw new Error('GPU not initialised');
    return gpu;
  };
}

export { poisoned, scoped, submit } from './gpu-scope';

// GPU test harness: one device per test file (destroyed after), every GPU action inside
// validation and out-of-memory error scopes that must pop empty, NaN-poisoned output buffers so an
// unwritten element fails, and one-pass submission of prepared dispatches.
import { afterAll, beforeAll } from 'vitest';
import { acquireDevice, describeAdapter, type GpuContext, type SoftwareDriver } from '../../src/gpu/device';
import { storageFrom } from '../../src/gpu/buffers';
import { encodeDispatches, Runtime, type Dispatch } from '../../src/gpu/runtime';

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

/** Runs `fn` inside validation and out-of-memory scopes; throws what either pops. */
export async function scoped<T>(device: GPUDevice, fn: () => T | Promise<T>): Promise<T> {
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  let result: T;
  try {
    result = await fn();
  } finally {
    const oom = await device.popErrorScope();
    const validation = await device.popErrorScope();
    if (validation) throw new Error(`WebGPU validation error: ${validation.message}`);
    if (oom) throw new Error(`WebGPU out-of-memory error: ${oom.message}`);
  }
  return result;
}

/** A storage buffer of `floats` NaNs: any element a kernel fails to write stays NaN. */
export function poisoned(device: GPUDevice, floats: number, label: string): GPUBuffer {
  return storageFrom(device, new Float32Array(floats).fill(NaN), label);
}

export async function submit(device: GPUDevice, dispatches: readonly Dispatch[]): Promise<void> {
  const encoder = device.createCommandEncoder({ label: 'test' });
  const pass = encoder.beginComputePass();
  encodeDispatches(pass, dispatches);
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
}

// GPU test helpers with no test-runner dependency (the Node tests and the browser test page share
// them): error scopes that must pop empty, NaN-poisoned outputs, one-pass submission.
import { storageFrom } from '../../src/gpu/buffers';
import { encodeDispatches, type Dispatch } from '../../src/gpu/runtime';

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

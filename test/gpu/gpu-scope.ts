// GPU test helpers with no test-runner dependency (the Node tests and the browser test page share
// them): error scopes that must pop empty, NaN-poisoned outputs, one-pass submission.
import { storageFrom } from '../../src/gpu/buffers';
import { runDispatches } from '../../src/runtime-api';

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

/** One compute pass of the dispatches, submitted and waited for: the library's own runDispatches. */
export const submit = runDispatches;

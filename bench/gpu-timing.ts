// How our side is timed: repetitions of prepared dispatches in one compute pass (GPU timestamps
// when the device has them, wall time around queue completion always), the cold first use of a
// kernel, and a validation error scope around each measurement.
import { bindGroupLayoutFor, type KernelDecl, type OverrideValues } from '../src/gpu/kernel';
import { encodeDispatches, type Dispatch } from '../src/gpu/runtime';
import type { PassTimer, RawSample } from './timing';

/** Time `inner` repetitions of some dispatches in one compute pass (GPU timestamps when available). */
export function dispatchRunner(device: GPUDevice, dispatches: readonly Dispatch[], timer: PassTimer | undefined) {
  return async (inner: number): Promise<RawSample> => {
    const start = performance.now();
    const encoder = device.createCommandEncoder();
    const pass = timer ? timer.beginPass(encoder) : encoder.beginComputePass();
    for (let i = 0; i < inner; i++) encodeDispatches(pass, dispatches);
    pass.end();
    timer?.resolveInto(encoder);
    device.queue.submit([encoder.finish()]);
    const gpuMs = timer ? await timer.read() : undefined;
    await device.queue.onSubmittedWorkDone();
    return { wallMs: performance.now() - start, gpuMs };
  };
}

export interface PipelineSpec {
  kernel: KernelDecl;
  entry: string;
  overrides?: OverrideValues;
}

let coldCounter = 0;

/**
 * Cold first use of an op: its shader modules and pipelines made anew from a source that differs
 * by a comment (so no pipeline or shader cache can serve it), then one run of its dispatches,
 * waited for. Lavapipe compiles at the first dispatch, SwiftShader at pipeline creation: this
 * covers both.
 */
export async function coldFirstUseMs(device: GPUDevice, dispatches: readonly Dispatch[], specs: PipelineSpec[]): Promise<number> {
  const start = performance.now();
  const fresh: Dispatch[] = [];
  for (let i = 0; i < dispatches.length; i++) {
    const s = specs[i];
    const module = device.createShaderModule({ label: `${s.kernel.name} cold`, code: `${s.kernel.source}\n// bench cold compile ${++coldCounter} ${Date.now()}\n` });
    const layout = device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayoutFor(device, s.kernel)] });
    const constants: Record<string, number> = {};
    for (const [k, v] of Object.entries(s.overrides ?? {})) constants[k] = Number(v);
    const pipeline = await device.createComputePipelineAsync({ layout, compute: { module, entryPoint: s.entry, constants } });
    fresh.push({ ...dispatches[i], pipeline });
  }
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  encodeDispatches(pass, fresh);
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - start;
}

/** Runs a check with a validation error scope; a validation error becomes an exception. */
export async function validated<T>(device: GPUDevice, what: string, fn: () => Promise<T>): Promise<T> {
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = await fn();
  } finally {
    const err = await device.popErrorScope();
    if (err) throw new Error(`${what}: WebGPU validation error: ${err.message}`);
  }
  return result;
}

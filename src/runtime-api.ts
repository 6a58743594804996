// The library's entry to a device: a runtime made on a GPUDevice the caller already has, or on one it
// acquires itself (browser: navigator.gpu; Node: Dawn with a software Vulkan driver when there is no
// GPU), with the adapter's info and limits; and a helper to run prepared dispatches once.
import { acquireDevice, type AcquireOptions, type AdapterSummary, type GpuContext } from './gpu/device';
import { encodeDispatches, Runtime, type Dispatch, type ExecutionProfile } from './gpu/runtime';

export interface VaeRuntime {
  /** What kernels and models are prepared on. */
  runtime: Runtime;
  device: GPUDevice;
  adapterInfo: AdapterSummary | undefined;
  limits: GPUSupportedLimits;
  features: ReadonlySet<string>;
  /** Releases the runtime's own buffers; destroys the device only if the runtime acquired it. */
  destroy(): void;
}

export interface CreateRuntimeOptions extends AcquireOptions {
  /** Use this device instead of acquiring one (it stays the caller's: destroy() leaves it alive). */
  device?: GPUDevice;
  /** Override the execution profile ('cpu' for software adapters by default when acquired here). */
  profile?: ExecutionProfile;
}

export async function createRuntime(options: CreateRuntimeOptions = {}): Promise<VaeRuntime> {
  if (options.device) {
    const runtime = new Runtime(options.device, { profile: options.profile ?? 'gpu' });
    return {
      runtime,
      device: options.device,
      adapterInfo: undefined,
      limits: options.device.limits,
      features: new Set(options.device.features as unknown as Iterable<string>),
      destroy: () => runtime.destroy(),
    };
  }
  const ctx: GpuContext = await acquireDevice(options);
  const runtime = options.profile ? new Runtime(ctx.device, { profile: options.profile }) : Runtime.forContext(ctx);
  return {
    runtime,
    device: ctx.device,
    adapterInfo: ctx.adapterInfo,
    limits: ctx.device.limits,
    features: ctx.features,
    destroy() {
      runtime.destroy();
      ctx.destroy();
    },
  };
}

/** Encodes dispatches into one compute pass, submits, and resolves when the GPU has run them. */
export async function runDispatches(device: GPUDevice, dispatches: readonly Dispatch[]): Promise<void> {
  const encoder = device.createCommandEncoder({ label: 'webgpu-vae' });
  const pass = encoder.beginComputePass();
  encodeDispatches(pass, dispatches);
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
}

// The library's entry to a device: a runtime made on a GPUDevice the caller already has, or on one it
// acquires itself (browser: navigator.gpu; Node: Dawn with a software Vulkan driver when there is no
// GPU), with the adapter's info and limits; and a helper to run prepared dispatches once.
import { TUNE_TWINS } from './cpu/tune-twins';
import { acquireDevice, type AcquireOptions, type AdapterSummary, type GpuContext } from './gpu/device';
import { encodeDispatches, Runtime, type Dispatch, type ExecutionProfile } from './gpu/runtime';
import { adapterKey, browserImplementation, dawnImplementation } from './tune/cache';
import { importNodeOnly } from './io/node-only';
import { pageTuneStore } from './tune/idb-store';
import { Tuner, type TunerOptions } from './tune/tuner';

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
  /**
   * Tune the kernels' schedules on this adapter (`runtime.tune(plan)`, or `GpuVae.precompile()` on it):
   * true, or the tuner's options (store: where choices are remembered — default the page's
   * IndexedDB, else its localStorage, none in Node unless given; budgetMs, rounds, margin). Default false: every kernel
   * runs its rule's schedule.
   */
  tune?: boolean | Partial<Omit<TunerOptions, 'adapterKey'>>;
}

async function tunerFor(device: GPUDevice, info: AdapterSummary | undefined, tune: CreateRuntimeOptions['tune']): Promise<Tuner | null> {
  if (!tune) return null;
  const o = tune === true ? {} : tune;
  const a = info ?? (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const summary = { vendor: a?.vendor ?? '', architecture: a?.architecture ?? '', device: a?.device ?? '', description: a?.description ?? '' };
  const proc = (globalThis as { process?: { versions?: Record<string, string> } }).process;
  // Node: Dawn's version and Node's, as the CLIs key it (node:module by a name browser bundlers do not follow).
  const node = proc?.versions?.node;
  const implementation = node
    ? dawnImplementation((await importNodeOnly<typeof import('node:module')>('node:module')).createRequire(import.meta.url), node)
    : browserImplementation();
  // A page's default: IndexedDB, else localStorage; Node: none unless given.
  const warn = o.warn ?? ((m: string) => console.warn(`webgpu-vae: ${m}`));
  const store = o.store !== undefined ? o.store : !proc?.versions?.node ? await pageTuneStore(warn) : null;
  return Tuner.open({ twins: TUNE_TWINS, ...o, warn, store, adapterKey: adapterKey(summary, implementation) });
}

export async function createRuntime(options: CreateRuntimeOptions = {}): Promise<VaeRuntime> {
  if (options.device) {
    const runtime = new Runtime(options.device, { profile: options.profile ?? 'gpu', schedules: await tunerFor(options.device, undefined, options.tune) });
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
  const schedules = await tunerFor(ctx.device, ctx.adapterInfo, options.tune);
  const runtime = options.profile ? new Runtime(ctx.device, { profile: options.profile, schedules }) : Runtime.forContext(ctx, { schedules });
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

/**
 * Encodes dispatches into one compute pass, submits, and resolves when the GPU has run them. The
 * work runs inside WebGPU validation and out-of-memory error scopes, so a dispatch that cannot run
 * (a destroyed buffer, one from another device, an invalid bind group) rejects the promise instead
 * of resolving as if it had worked with the error left on the device's uncaptured-error channel.
 */
export async function runDispatches(device: GPUDevice, dispatches: readonly Dispatch[]): Promise<void> {
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  let thrown: unknown;
  try {
    const encoder = device.createCommandEncoder({ label: 'webgpu-vae' });
    const pass = encoder.beginComputePass();
    encodeDispatches(pass, dispatches);
    pass.end();
    device.queue.submit([encoder.finish()]);
  } catch (e) {
    thrown = e;
  }
  const oom = await device.popErrorScope();
  const validation = await device.popErrorScope();
  if (thrown) throw thrown;
  const labels = dispatches.map((d) => d.label).join(', ');
  if (validation) {
    throw new Error(`runDispatches: WebGPU refused the work (${labels}): ${validation.message.trim()}; ` +
      'check that every buffer is alive (not destroyed) and was made on this device');
  }
  if (oom) throw new Error(`runDispatches: the device ran out of memory (${labels}): ${oom.message.trim()}`);
  await device.queue.onSubmittedWorkDone();
}

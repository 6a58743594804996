// Getting a GPUDevice wherever navigator.gpu is (a page, a worker, Electron, Deno), else in Node from
// Dawn (the `webgpu` package): without a GPU driver it finds a software Vulkan driver, Mesa's lavapipe
// when the loader offers it, else Chromium's SwiftShader. Asks for the adapter's real limits and features.
import { importNodeOnly } from '../io/node-only';

/** What the rest of the runtime needs to know about the device it runs on. */
export interface GpuContext {
  device: GPUDevice;
  adapterInfo: AdapterSummary;
  features: ReadonlySet<string>;
  /** Releases the device; safe to call twice. */
  destroy(): void;
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (SwiftShader, lavapipe): its timings are not a GPU's. */
  isSoftware: boolean;
  /** 'browser' or 'node' plus the Vulkan driver chosen, for logs. */
  via: string;
}

export type SoftwareDriver = 'auto' | 'lavapipe' | 'swiftshader';

export interface AcquireOptions {
  powerPreference?: GPUPowerPreference;
  /** Node only: which software Vulkan driver to use when no driver is configured. */
  softwareDriver?: SoftwareDriver;
  /** Optional features to request when the adapter has them. */
  wantFeatures?: GPUFeatureName[];
}

/** The limits worth raising to the adapter's maximum for compute work. */
const RAISED_LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

/**
 * Every Dawn `GPU` object this process made, kept for the life of the process. Dawn crashes the
 * process (futex errors, `std::system_error`) when one is collected while a device from it lives,
 * and also when it is dropped just after `device.destroy()` (its event loop still runs): seen here
 * with webgpu 0.6.2 on lavapipe and SwiftShader (shared/repro/dawn-node-gc-crash). One per
 * acquisition, so the cost is a few objects per process.
 */
const dawnInstances: GPU[] = [];

const DEFAULT_FEATURES: GPUFeatureName[] = ['timestamp-query', 'subgroups', 'shader-f16'] as GPUFeatureName[];

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const LAVAPIPE_ICDS = ['/usr/share/vulkan/icd.d/lvp_icd.json', '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json'];

const NODE_HINT =
  'In Node on Linux without a GPU, install a software Vulkan driver: Mesa 25 lavapipe ' +
  '(Debian bookworm-backports: apt-get install -t bookworm-backports mesa-vulkan-drivers) or Chromium (apt-get install chromium, ' +
  `which ships SwiftShader at ${SWIFTSHADER_ICD}); scripts/setup-system.sh does both.`;
const INSTALL_HINT = `No WebGPU adapter was found. ${NODE_HINT}`;

const BROWSERS =
  'WebGPU needs Chrome or Edge 113+ (Windows, macOS, ChromeOS; Android 12+ from 121; on Linux enable ' +
  'chrome://flags/#enable-unsafe-webgpu and chrome://flags/#enable-vulkan), Safari 26+, or Firefox 141+ on Windows ' +
  '(elsewhere dom.webgpu.enabled in about:config), in a secure context (https:// or localhost)';

/** The globals that say where WebGPU comes from: globalThis, or a stand-in in tests. */
export interface WebGpuScope {
  navigator?: { gpu?: GPU; userAgent?: string };
  process?: { versions?: { node?: string; electron?: string } };
  window?: unknown;
  importScripts?: unknown;
  isSecureContext?: boolean;
}

/** Where this environment's WebGPU is: navigator.gpu, Node's Dawn, or nowhere (and why). */
export type WebGpuSource =
  | { kind: 'navigator'; gpu: GPU; where: 'page' | 'worker' }
  | { kind: 'dawn' }
  | { kind: 'missing'; message: string };

/**
 * navigator.gpu wins wherever it exists (so bundlers that polyfill `process`, Electron's renderer and
 * Deno take it); Dawn only in a real Node (process.versions.node) that has none; else a message
 * naming what is missing.
 */
export function findWebGpu(scope: WebGpuScope = globalThis as WebGpuScope): WebGpuSource {
  const worker = scope.window === undefined && typeof scope.importScripts === 'function';
  const gpu = scope.navigator?.gpu;
  if (gpu && typeof gpu.requestAdapter === 'function') return { kind: 'navigator', gpu, where: worker ? 'worker' : 'page' };
  const versions = scope.process?.versions;
  const inPage = scope.window !== undefined || worker;
  if (typeof versions?.node === 'string' && !(versions.electron && inPage)) return { kind: 'dawn' };
  if (inPage) {
    const insecure = scope.isSecureContext === false
      ? ` This ${worker ? 'worker' : 'page'} is not a secure context, so navigator.gpu is hidden: serve it over https:// or from localhost.` : '';
    const where = worker ? 'in this worker (self.navigator.gpu is undefined)' : 'in this browser (navigator.gpu is undefined)';
    const also = worker ? '; a worker has navigator.gpu in the same browsers as a page' : '';
    return { kind: 'missing', message: `WebGPU is not available ${where}. ${BROWSERS}${also}.${insecure}` };
  }
  return { kind: 'missing', message: 'No WebGPU here: no navigator.gpu, and this is not Node (no process.versions.node) where the ' +
    '`webgpu` package (Dawn) could provide it. Pass a GPUDevice you have: createRuntime({ device }).' };
}

/** Returns a device with the adapter's own limits; throws with install advice when there is none. */
export async function acquireDevice(options: AcquireOptions = {}): Promise<GpuContext> {
  return acquireDeviceIn(globalThis as WebGpuScope, options);
}

/** acquireDevice on the given globals (tests pass a stand-in for globalThis). */
export async function acquireDeviceIn(scope: WebGpuScope, options: AcquireOptions = {}): Promise<GpuContext> {
  const source = findWebGpu(scope);
  if (source.kind === 'missing') throw new Error(source.message);
  if (source.kind === 'dawn') return acquireNodeDevice(options);
  const adapter = await source.gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new Error(`No WebGPU adapter was found: navigator.gpu.requestAdapter() returned null in this ${source.where} ` +
      '(the GPU is blocklisted or WebGPU is disabled: see chrome://gpu; headless Chromium needs --enable-unsafe-webgpu ' +
      '--enable-features=Vulkan, and --use-webgpu-adapter=swiftshader without a GPU).');
  }
  return openDevice(adapter, options, source.where === 'worker' ? 'browser worker' : 'browser');
}

/** Dawn's module, or an error saying to install it. */
async function importDawn(): Promise<typeof import('webgpu')> {
  try {
    return await importNodeOnly<typeof import('webgpu')>('webgpu');
  } catch (e) {
    throw new Error('WebGPU in Node comes from the `webgpu` package (Dawn), which could not be loaded: ' +
      `${(e as Error).message}. Install it beside webgpu-vae (npm install webgpu), or pass a GPUDevice: createRuntime({ device }).`);
  }
}

async function acquireNodeDevice(options: AcquireOptions): Promise<GpuContext> {
  const webgpu = await importDawn();
  Object.assign(globalThis, webgpu.globals);
  const env = process.env;
  const configured = env.VK_ICD_FILENAMES ?? env.VK_DRIVER_FILES;
  const choice = options.softwareDriver ?? 'auto';
  const { existsSync } = await importNodeOnly<typeof import('node:fs')>('node:fs');
  // The Vulkan loader reads these variables when Dawn creates its instance, so set them before create().
  const setIcd = (path: string) => { env.VK_ICD_FILENAMES = path; env.VK_DRIVER_FILES = path; };
  const lavapipe = LAVAPIPE_ICDS.find((p) => existsSync(p));
  const attempts: { label: string; prepare: () => boolean }[] = [];
  if (configured && choice === 'auto') {
    attempts.push({ label: `vulkan icd ${configured}`, prepare: () => true });
  } else if (choice === 'swiftshader') {
    attempts.push({ label: 'swiftshader', prepare: () => existsSync(SWIFTSHADER_ICD) && (setIcd(SWIFTSHADER_ICD), true) });
  } else if (choice === 'lavapipe') {
    attempts.push({ label: 'lavapipe', prepare: () => !!lavapipe && (setIcd(lavapipe), true) });
  } else {
    // The loader's own discovery finds real GPUs and lavapipe; SwiftShader is a last resort.
    attempts.push({ label: 'vulkan loader default', prepare: () => true });
    attempts.push({ label: 'swiftshader', prepare: () => existsSync(SWIFTSHADER_ICD) && (setIcd(SWIFTSHADER_ICD), true) });
  }
  const tried: string[] = [];
  for (const attempt of attempts) {
    if (!attempt.prepare()) { tried.push(`${attempt.label} (not installed)`); continue; }
    const gpu = webgpu.create([]);
    dawnInstances.push(gpu);
    const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
    if (adapter) return openDevice(adapter, options, `node/${attempt.label}`);
    tried.push(`${attempt.label} (no adapter)`);
  }
  throw new Error(`${INSTALL_HINT} Tried: ${tried.join(', ')}.`);
}

async function openDevice(adapter: GPUAdapter, options: AcquireOptions, via: string): Promise<GpuContext> {
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const want = options.wantFeatures ?? DEFAULT_FEATURES;
  const requiredFeatures = want.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const info = adapter.info;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  const isSoftware =
    (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
    /swiftshader|llvmpipe|lavapipe|software|warp/.test(text);
  let destroyed = false;
  return {
    device,
    adapterInfo: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isSoftware,
      via,
    },
    features: new Set(device.features as unknown as Iterable<string>),
    destroy() {
      if (destroyed) return;
      destroyed = true;
      device.destroy();
    },
  };
}

/** A one-line description of the adapter, for logs and benchmark tables (undefined: a device the caller gave). */
export function describeAdapter(info: AdapterSummary | undefined): string {
  if (!info) return 'a GPUDevice given by the caller (adapter not known)';
  const name = [info.vendor, info.architecture, info.device].filter(Boolean).join(' ');
  return `${name || 'unknown adapter'}${info.description ? ` (${info.description})` : ''}${info.isSoftware ? ' [software]' : ''} via ${info.via}`;
}

// The demo's training worker: it takes WebGPU here (self.navigator.gpu), opens the kernel tuner on
// IndexedDB, and runs the model service (demo/service.ts) for the page, which talks to it through
// demo/host.ts: calls by method name answered by id, typed arrays in results transferred, the
// service's events posted as they happen. Where this worker gets no WebGPU it says why and stops,
// and the page trains on its own thread instead.
import { acquireDevice, describeAdapter, findWebGpu } from '../src/gpu/device';
import { Runtime } from '../src/gpu/runtime';
import { ModelService, type HostEvent } from './service';
import { initialTuneStatus, openPageTuner } from './tuning';
import type { TuneSettings } from './settings';
import { SERVICE_METHODS, transferables, type FromWorker, type ToWorker } from './protocol';

// The worker's global scope, typed here (the project's lib is the DOM's, not the worker's).
const scope = self as unknown as { postMessage(m: FromWorker, transfer: Transferable[]): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
let service: ModelService | null = null;
/** Calls that arrived before the device was ready wait for it. */
let ready: Promise<void> | null = null;

async function init(tune: TuneSettings, userAgent: string): Promise<void> {
  const source = findWebGpu();
  if (source.kind !== 'navigator') {
    post({ type: 'unavailable', reason: source.kind === 'missing' ? source.message : 'no navigator.gpu in this worker' });
    return;
  }
  const adapter = await source.gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) {
    post({ type: 'unavailable', reason: 'navigator.gpu exists in the worker, but it offered no adapter' });
    return;
  }
  const gpu = await acquireDevice();
  const emit = (event: HostEvent) => post({ type: 'event', event });
  const status = initialTuneStatus(tune);
  // Warnings before 'ready' (a corrupt tune cache, found as the tuner opens) go with it: the page
  // listens for events only once it has the host.
  const early: string[] = [];
  let started = false;
  const warn = (message: string) => (started ? emit({ type: 'warning', message }) : early.push(message));
  // Tuned choices are kept per adapter and the page's browser version (its user agent).
  const tuner = await openPageTuner(gpu.adapterInfo, tune, status, warn, `browser ${userAgent}`);
  const rt = Runtime.forContext(gpu, { schedules: tuner });
  gpu.device.lost.then((info) => {
    if (info.reason !== 'destroyed') post({ type: 'lost', message: info.message || info.reason });
  });
  service = new ModelService(rt, status, emit);
  post({ type: 'ready', adapter: gpu.adapterInfo, adapterText: describeAdapter(gpu.adapterInfo), tune: { ...status }, warnings: early });
  started = true;
}

async function call(id: number, method: string, args: unknown[]): Promise<void> {
  try {
    await ready;
    if (!service) throw new Error('the worker has no GPU device');
    if (!(SERVICE_METHODS as readonly string[]).includes(method)) throw new Error(`the worker has no method ${method}`);
    const value = await service.dispatch(method, args);
    post({ type: 'result', id, value }, transferables(value));
  } catch (e) {
    post({ type: 'error', id, message: e instanceof Error ? e.message : String(e) });
  }
}

scope.onmessage = ({ data }: MessageEvent<ToWorker>) => {
  if (data.type === 'init') {
    ready = init(data.tune, data.userAgent).catch((e) => post({ type: 'unavailable', reason: (e as Error).message }));
  } else {
    void call(data.id, data.method, data.args);
  }
};

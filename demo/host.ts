// The model host: how the page reaches its model. One interface, two homes: the training worker
// (WorkerHost: calls become messages to demo/worker.ts, so training never blocks the page) and the
// page's own thread (LocalHost: the same service called directly, where a worker gets no WebGPU).
// Either way the page reads a mirror of the model (ModelView: step, history, running) kept up to date
// from the service's events, and asks for everything else with call(method, ...args).
import type { AdapterSummary } from '../src/gpu/device';
import { acquireDevice, describeAdapter } from '../src/gpu/device';
import { Runtime } from '../src/gpu/runtime';
import { ModelService, type HostEvent, type LoadResult, type ModelInfo } from './service';
import type { LossPoint, StopReason } from './session';
import type { TuneSettings } from './settings';
import { initialTuneStatus, openPageTuner, type TuneStatus } from './tuning';
import type { FromWorker, ServiceMethod, ToWorker } from './protocol';

type Api = Pick<ModelService, ServiceMethod>;
export type Result<K extends ServiceMethod> = Awaited<ReturnType<Api[K]>>;

/** The page's copy of the model's state, from create/load results and the service's events. */
export class ModelView {
  info: ModelInfo | null = null;
  step = 0;
  running = false;
  stepsPerSecond = 0;
  train: LossPoint[] = [];
  test: LossPoint[] = [];

  get epoch(): number {
    return this.info ? this.step / this.info.perEpoch : 0;
  }

  reset(info: ModelInfo | null): void {
    Object.assign(this, { info, step: info?.step ?? 0, running: false, stepsPerSecond: 0, train: [], test: [] });
  }

  /** Applies an event of the current model; says whether it was one. */
  apply(e: HostEvent): boolean {
    if (!('id' in e) || e.id !== this.info?.id) return false;
    this.step = e.step;
    if (e.type === 'history') {
      this.train.push(...e.train);
      this.test = e.test;
    } else if (e.type === 'status') {
      this.running = e.running;
      this.stepsPerSecond = e.stepsPerSecond;
    } else {
      this.running = false;
    }
    return true;
  }
}

export interface HostListener {
  onHistory(): void;
  onStatus(): void;
  onStop(reason: StopReason, message: string): void;
  onTune(status: TuneStatus): void;
  onWarning(message: string): void;
  onLost(message: string): void;
}

export abstract class ModelHost {
  abstract readonly where: 'worker' | 'main';
  readonly view = new ModelView();
  listener: Partial<HostListener> = {};

  constructor(readonly adapter: AdapterSummary, readonly adapterText: string, readonly tune: TuneStatus) {}

  protected abstract invoke(method: ServiceMethod, args: unknown[]): Promise<unknown>;

  /** Calls the service's `method`; create and load reset the mirror to the new model. */
  async call<K extends ServiceMethod>(method: K, ...args: Parameters<Api[K]>): Promise<Result<K>> {
    if (method === 'start') this.view.running = true;
    let r: Result<K>;
    try {
      // A load that fails leaves the model (and so the mirror) as it was.
      r = (await this.invoke(method, args)) as Result<K>;
    } catch (e) {
      if (method === 'start') this.view.running = false;
      throw e;
    }
    if (method === 'dispose') this.view.reset(null);
    if (method === 'create') this.view.reset(r as ModelInfo);
    if (method === 'load') this.view.reset((r as LoadResult).info);
    return r;
  }

  protected deliver(e: HostEvent): void {
    const l = this.listener;
    if (e.type === 'tune') l.onTune?.(e.status);
    else if (e.type === 'warning') l.onWarning?.(e.message);
    else if (this.view.apply(e)) {
      if (e.type === 'history') l.onHistory?.();
      else if (e.type === 'status') l.onStatus?.();
      else l.onStop?.(e.reason, e.message);
    }
  }
}

/** The model on the page's own thread. */
export class LocalHost extends ModelHost {
  readonly where = 'main';
  private readonly service: ModelService;

  constructor(rt: Runtime, adapter: AdapterSummary, tune: TuneStatus) {
    super(adapter, describeAdapter(adapter), tune);
    this.service = new ModelService(rt, tune, (e) => this.deliver(e));
  }

  protected invoke(method: ServiceMethod, args: unknown[]): Promise<unknown> {
    return Promise.resolve().then(() => this.service.dispatch(method, args));
  }
}

/** The device, tuner and service on the page's thread (tuner warnings go to `warn`). */
export async function openLocalHost(settings: TuneSettings, warn: (m: string) => void): Promise<LocalHost> {
  const gpu = await acquireDevice();
  const tune = initialTuneStatus(settings);
  const rt = Runtime.forContext(gpu, { schedules: await openPageTuner(gpu.adapterInfo, settings, tune, warn) });
  const host = new LocalHost(rt, gpu.adapterInfo, tune);
  gpu.device.lost.then((info) => {
    if (info.reason !== 'destroyed') host.listener.onLost?.(info.message || info.reason);
  });
  return host;
}

/** The model in the training worker. */
export class WorkerHost extends ModelHost {
  readonly where = 'worker';
  private ids = 0;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  /** The tuner's warnings while the worker started. */
  readonly startWarnings: string[];

  constructor(private readonly worker: Worker, ready: Extract<FromWorker, { type: 'ready' }>) {
    super(ready.adapter, ready.adapterText, ready.tune);
    this.startWarnings = ready.warnings;
    worker.onmessage = ({ data }: MessageEvent<FromWorker>) => this.receive(data);
    worker.onerror = (e) => {
      const message = `the training worker failed (${e.message || 'unknown error'})`;
      for (const p of this.pending.values()) p.reject(new Error(message));
      this.pending.clear();
      this.listener.onLost?.(message);
    };
  }

  private receive(m: FromWorker): void {
    if (m.type === 'event') this.deliver(m.event);
    else if (m.type === 'lost') this.listener.onLost?.(m.message);
    else if (m.type === 'result' || m.type === 'error') {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.type === 'result') p?.resolve(m.value);
      else p?.reject(new Error(m.message));
    }
  }

  protected invoke(method: ServiceMethod, args: unknown[]): Promise<unknown> {
    const id = ++this.ids;
    // Bytes handed to the worker (a checkpoint to load) are transferred; images are small copies.
    const transfer = method === 'load' && args[0] instanceof Uint8Array ? [args[0].buffer as ArrayBuffer] : [];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'call', id, method, args } satisfies ToWorker, transfer);
    });
  }
}

/**
 * Starts the training worker and waits until it has a device: the host, or why the worker cannot
 * train (no WebGPU in workers, no adapter, the script did not load), so that the page trains itself.
 */
export function openWorkerHost(settings: TuneSettings, timeoutMs = 120_000): Promise<WorkerHost | { unavailable: string }> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'webgpu-vae training' });
    } catch (e) {
      resolve({ unavailable: `the worker could not start (${(e as Error).message})` });
      return;
    }
    const timer = setTimeout(() => finish({ unavailable: `the worker did not report a GPU device within ${timeoutMs / 1000} s` }), timeoutMs);
    const finish = (r: WorkerHost | { unavailable: string }) => {
      clearTimeout(timer);
      if (!(r instanceof WorkerHost)) worker.terminate();
      resolve(r);
    };
    worker.onerror = (e) => finish({ unavailable: `the worker failed (${e.message || 'its script did not load'})` });
    worker.onmessage = ({ data }: MessageEvent<FromWorker>) => {
      if (data.type === 'ready') finish(new WorkerHost(worker, data));
      else if (data.type === 'unavailable') finish({ unavailable: data.reason });
    };
    worker.postMessage({ type: 'init', tune: settings, userAgent: navigator.userAgent } satisfies ToWorker);
  });
}

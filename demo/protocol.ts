// The messages between the page (demo/host.ts) and the training worker (demo/worker.ts): which of the
// model service's methods may be called, the messages each way, and which buffers a result hands over
// (transferred, not copied: the worker makes them fresh for each answer).
import type { AdapterSummary } from '../src/gpu/device';
import type { HostEvent, ModelService } from './service';
import type { TuneSettings } from './settings';
import type { TuneStatus } from './tuning';

export const SERVICE_METHODS = [
  'setData', 'setImages', 'create', 'load', 'precompile', 'start', 'pause', 'setBudget', 'evaluateTest', 'evaluateLk', 'save',
  'encode', 'decode', 'testMeans', 'activity', 'posterior', 'bound', 'dispose',
] as const satisfies readonly (keyof ModelService)[];
export type ServiceMethod = (typeof SERVICE_METHODS)[number];

export type ToWorker =
  | { type: 'init'; tune: TuneSettings; userAgent: string }
  | { type: 'call'; id: number; method: ServiceMethod; args: unknown[] };

export type FromWorker =
  | { type: 'ready'; adapter: AdapterSummary; adapterText: string; tune: TuneStatus; warnings: string[] }
  | { type: 'unavailable'; reason: string }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; message: string }
  | { type: 'event'; event: HostEvent }
  | { type: 'lost'; message: string };

/** The buffers of the typed arrays in a result (itself, or its fields one level down), once each. */
export function transferables(value: unknown): Transferable[] {
  const out = new Set<ArrayBuffer>();
  const add = (v: unknown) => {
    if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  };
  add(value);
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) for (const v of Object.values(value)) add(v);
  return [...out];
}

// Where tuned choices are remembered: one JSON document of choices per adapter key and shape class,
// read and written through a small store (a file in Node: node-cache.ts; localStorage in a page).
// A document that does not parse or does not have this shape is ignored with a warning, never trusted.
import type { AdapterSummary } from '../gpu/device';
import type { CandidateTime } from '../gpu/schedule';

/** Bumped when the kernels' candidates change (2: the tiled matmul schedules), so that old choices, made among others, are not reused. */
export const TUNE_FORMAT = { name: 'webgpu-vae-tune', version: 2 } as const;

export interface TuneStore {
  /** Where it lives, for messages. */
  describe: string;
  /** The stored text, or null when nothing is stored yet. */
  read(): Promise<string | null>;
  write(text: string): Promise<void>;
}

export interface CachedChoice {
  choice: string;
  rule: string;
  times: CandidateTime[];
  /** ISO time of the measurement. */
  at: string;
}

/** Choices by adapter key, then by `kernel|shapeClass`. */
export type TuneDocument = { format: string; version: number; adapters: Record<string, Record<string, CachedChoice>> };

export const emptyDocument = (): TuneDocument => ({ format: TUNE_FORMAT.name, version: TUNE_FORMAT.version, adapters: {} });

/**
 * Who the choices were measured on: the adapter's vendor, architecture, device and description and
 * the WebGPU implementation's version (Dawn's package in Node, the browser's user agent in a page).
 * A different adapter, driver or version is another key, so it tunes afresh.
 */
export function adapterKey(info: Pick<AdapterSummary, 'vendor' | 'architecture' | 'device' | 'description'>, implementation: string): string {
  return [info.vendor, info.architecture, info.device, info.description, implementation].map((s) => s || '-').join(' | ');
}

const isChoice = (v: unknown): v is CachedChoice => {
  if (!v || typeof v !== 'object') return false;
  const c = v as Record<string, unknown>;
  return typeof c.choice === 'string' && typeof c.rule === 'string' && typeof c.at === 'string' && Array.isArray(c.times) &&
    c.times.every((t) => t && typeof t === 'object' && typeof (t as CandidateTime).candidate === 'string' && Number.isFinite((t as CandidateTime).ms));
};

/** Parses a stored document; anything else is reported (why) and replaced by an empty one. */
export function parseDocument(text: string, where: string, warn: (message: string) => void): TuneDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    warn(`tune cache ${where} is not valid JSON (${(e as Error).message}); ignoring it and tuning afresh`);
    return emptyDocument();
  }
  const d = doc as Partial<TuneDocument> | null;
  if (!d || typeof d !== 'object' || d.format !== TUNE_FORMAT.name || typeof d.adapters !== 'object' || d.adapters === null) {
    warn(`tune cache ${where} is not a ${TUNE_FORMAT.name} document; ignoring it and tuning afresh`);
    return emptyDocument();
  }
  if (d.version !== TUNE_FORMAT.version) {
    warn(`tune cache ${where} has format version ${String(d.version)}, expected ${TUNE_FORMAT.version}; ignoring it and tuning afresh`);
    return emptyDocument();
  }
  const out = emptyDocument();
  for (const [key, entries] of Object.entries(d.adapters)) {
    if (!entries || typeof entries !== 'object') { warn(`tune cache ${where}: entry for '${key}' is malformed; ignored`); continue; }
    const kept: Record<string, CachedChoice> = {};
    for (const [cls, c] of Object.entries(entries)) {
      if (isChoice(c)) kept[cls] = c;
      else warn(`tune cache ${where}: choice for '${cls}' is malformed; ignored (it will be tuned again)`);
    }
    out.adapters[key] = kept;
  }
  return out;
}

/** A store in a page's localStorage (or any Storage), under one key. */
export function storageTuneStore(storage: Pick<Storage, 'getItem' | 'setItem'> = globalThis.localStorage, key = 'webgpu-vae:tune'): TuneStore {
  return {
    describe: `localStorage['${key}']`,
    read: async () => storage.getItem(key),
    write: async (text) => storage.setItem(key, text),
  };
}

/** The implementation's version in a page: the user agent (browser and version). */
export const browserImplementation = (): string => `browser ${globalThis.navigator?.userAgent ?? 'unknown'}`;

// Where tuned choices are remembered: one JSON document of choices per adapter key and shape class,
// and the rounds measured so far of classes a budget cut short (resumed next time), read and written
// through a small store (a file in Node: node-cache.ts; IndexedDB or localStorage in a page).
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
  /** The candidates it was chosen among (absent in older documents); another list is tuned again. */
  candidates?: string[];
}

/**
 * A class whose timing a budget cut short: the rounds measured so far, resumed by the next tune().
 * Each round holds the rule's time and those of the candidates timed in it, all in the same few
 * milliseconds, so a choice compares times within a round only (rounds may come from several runs).
 */
export interface PartialClass {
  rule: string;
  candidates: string[];
  /** Repetitions per sample, calibrated when each candidate was first timed (kept so samples stay alike). */
  reps: Record<string, number>;
  /** Per round: milliseconds per dispatch by candidate; the rule is in every round. */
  rounds: Record<string, number>[];
  at: string;
  /** Candidates that agreed with the kernel's CPU twin (validate.ts), not checked again on resuming. */
  checked?: string[];
  /** Candidates that disagreed (or could not be checked), with why: never timed or picked. */
  rejected?: Record<string, string>;
}

/** Choices by adapter key, then by `kernel|shapeClass`; `partial`: unfinished classes, the same way. */
export type TuneDocument = {
  format: string;
  version: number;
  adapters: Record<string, Record<string, CachedChoice>>;
  partial?: Record<string, Record<string, PartialClass>>;
};

export const emptyDocument = (): TuneDocument => ({ format: TUNE_FORMAT.name, version: TUNE_FORMAT.version, adapters: {} });

/**
 * Who the choices were measured on: the adapter's vendor, architecture, device and description and
 * the WebGPU implementation's version (Dawn's package in Node, the browser's user agent in a page).
 * A different adapter, driver or version is another key, so it tunes afresh.
 */
export function adapterKey(info: Pick<AdapterSummary, 'vendor' | 'architecture' | 'device' | 'description'>, implementation: string): string {
  return [info.vendor, info.architecture, info.device, info.description, implementation].map((s) => s || '-').join(' | ');
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isTimes = (v: unknown): v is Record<string, number> =>
  !!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);

const isChoice = (v: unknown): v is CachedChoice => {
  if (!v || typeof v !== 'object') return false;
  const c = v as Record<string, unknown>;
  return typeof c.choice === 'string' && typeof c.rule === 'string' && typeof c.at === 'string' && Array.isArray(c.times) &&
    c.times.every((t) => t && typeof t === 'object' && typeof (t as CandidateTime).candidate === 'string' && Number.isFinite((t as CandidateTime).ms)) &&
    (c.candidates === undefined || isStrings(c.candidates));
};

const isPartial = (v: unknown): v is PartialClass => {
  if (!v || typeof v !== 'object') return false;
  const p = v as Record<string, unknown>;
  return typeof p.rule === 'string' && typeof p.at === 'string' && isStrings(p.candidates) && p.candidates.includes(p.rule) &&
    isTimes(p.reps) && Array.isArray(p.rounds) && p.rounds.every((r) => isTimes(r) && typeof r[p.rule as string] === 'number') &&
    (p.checked === undefined || isStrings(p.checked)) &&
    (p.rejected === undefined || (!!p.rejected && typeof p.rejected === 'object' && Object.values(p.rejected).every((x) => typeof x === 'string')));
};

/** Entries of one section (adapter key → class → entry) that pass `ok`; the rest reported and dropped. */
function keepValid<T>(section: unknown, ok: (v: unknown) => v is T, where: string, what: string, warn: (m: string) => void): Record<string, Record<string, T>> {
  const out: Record<string, Record<string, T>> = {};
  if (section === undefined) return out;
  if (!section || typeof section !== 'object') { warn(`tune cache ${where}: its ${what} section is malformed; ignored`); return out; }
  for (const [key, entries] of Object.entries(section)) {
    if (!entries || typeof entries !== 'object') { warn(`tune cache ${where}: ${what} for '${key}' is malformed; ignored`); continue; }
    const kept: Record<string, T> = {};
    for (const [cls, c] of Object.entries(entries)) {
      if (ok(c)) kept[cls] = c;
      else warn(`tune cache ${where}: ${what} for '${cls}' is malformed; ignored (it will be tuned again)`);
    }
    out[key] = kept;
  }
  return out;
}

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
  out.adapters = keepValid(d.adapters, isChoice, where, 'choice', warn);
  out.partial = keepValid(d.partial, isPartial, where, 'unfinished timing', warn);
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

/**
 * 'dawn (webgpu <version>) node <version>': what runs the kernels in a Node process, from a
 * `require` that can read the webgpu package's manifest (createRequire of the caller's module).
 */
export function dawnImplementation(require: (id: string) => unknown, node: string): string {
  let dawn = 'unknown';
  try {
    dawn = (require('webgpu/package.json') as { version: string }).version;
  } catch {
    // bundled without the package's manifest: the key still names Node's version
  }
  return `dawn (webgpu ${dawn}) node ${node}`;
}

/** The implementation's version in a page: the user agent (browser and version). */
export const browserImplementation = (): string => `browser ${globalThis.navigator?.userAgent ?? 'unknown'}`;

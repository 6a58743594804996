// The training-run metadata a checkpoint carries beside its config and step (as safetensors string
// metadata): what a resume must reproduce or check (batch, data, binarization) and what is only
// reported (planned epochs, backend, writer). Parsed strictly: a value like batch "-5", "1e3" or
// "12.5" is a CheckpointError naming the key, never a silently odd run. Browser-safe.
import { CheckpointError } from './safetensors';

export interface RunMetadata {
  /** The training batch (the data order depends on it). */
  batch?: number;
  epochsPlanned?: number;
  /** The data set's description, e.g. "embedded MNIST (…)" or "IDX files in /path". */
  data?: string;
  /** What --data was: 'mnist' or an absolute folder path (a resume without --data uses it). */
  dataSpec?: string;
  /** What --test was: the test set's absolute path, when the run gave one. */
  testSpec?: string;
  /** The fraction of the data held out as the test part (--test-fraction, or its default), when the run split one off. */
  testFraction?: number;
  /** SHA-256 prefix of the training images and their count: the same data, wherever it lives. */
  dataDigest?: string;
  trainCount?: number;
  binarize?: boolean;
  backend?: 'gpu' | 'cpu';
}

/** Keys this module owns; other extra metadata (writer, …) passes through untouched. */
export const RUN_METADATA_KEYS = ['batch', 'epochsPlanned', 'data', 'dataSpec', 'testSpec', 'testFraction', 'dataDigest', 'trainCount', 'binarize', 'backend'] as const;

const MAX_TEXT = 4096;

function bad(source: string, key: string, value: string, expected: string): never {
  const shown = value.length > 60 ? `${JSON.stringify(value.slice(0, 57))}…` : JSON.stringify(value);
  throw new CheckpointError(`${source}: metadata ${key} is ${shown}; expected ${expected}`);
}

function positiveInt(source: string, key: string, v: string, max: number): number {
  const n = Number(v);
  if (!/^[1-9][0-9]*$/.test(v) || !Number.isSafeInteger(n) || n > max) bad(source, key, v, `an integer from 1 to ${max}`);
  return n;
}

function text(source: string, key: string, v: string): string {
  if (v.length === 0 || v.length > MAX_TEXT) bad(source, key, v, `a non-empty string of at most ${MAX_TEXT} characters`);
  return v;
}

/** Parses the run metadata of a checkpoint's extra strings; absent keys stay undefined. */
export function parseRunMetadata(extra: Record<string, string> | undefined, source = 'checkpoint'): RunMetadata {
  const e = extra ?? {};
  const has = (k: string) => Object.prototype.hasOwnProperty.call(e, k);
  const m: RunMetadata = {};
  if (has('batch')) m.batch = positiveInt(source, 'batch', e.batch!, 2 ** 31 - 1);
  if (has('epochsPlanned')) m.epochsPlanned = positiveInt(source, 'epochsPlanned', e.epochsPlanned!, 0xffffffff);
  if (has('trainCount')) m.trainCount = positiveInt(source, 'trainCount', e.trainCount!, 2 ** 31 - 1);
  if (has('data')) m.data = text(source, 'data', e.data!);
  if (has('dataSpec')) m.dataSpec = text(source, 'dataSpec', e.dataSpec!);
  if (has('testSpec')) m.testSpec = text(source, 'testSpec', e.testSpec!);
  if (has('testFraction')) {
    const f = Number(e.testFraction);
    // As the writer wrote it (String of a number), so ' 0.1', '0x1' or '1e0' are refused, not read loosely.
    if (String(f) !== e.testFraction || !(f > 0 && f < 1)) bad(source, 'testFraction', e.testFraction!, 'a number between 0 and 1 (exclusive)');
    m.testFraction = f;
  }
  if (has('dataDigest')) {
    if (!/^[0-9a-f]{16,64}$/.test(e.dataDigest!)) bad(source, 'dataDigest', e.dataDigest!, '16 to 64 lowercase hex digits');
    m.dataDigest = e.dataDigest;
  }
  if (has('binarize')) {
    if (e.binarize !== 'true' && e.binarize !== 'false') bad(source, 'binarize', e.binarize!, '"true" or "false"');
    m.binarize = e.binarize === 'true';
  }
  if (has('backend')) {
    if (e.backend !== 'gpu' && e.backend !== 'cpu') bad(source, 'backend', e.backend!, '"gpu" or "cpu"');
    m.backend = e.backend;
  }
  return m;
}

/** The strings a checkpoint stores for run metadata (undefined fields left out). */
export function runMetadataStrings(m: RunMetadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of RUN_METADATA_KEYS) {
    const v = m[k];
    if (v !== undefined) out[k] = String(v);
  }
  return out;
}

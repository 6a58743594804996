// A run folder's metrics.json as a resume reads it back: bounded by what the checkpoint says the run
// holds (one entry per epoch trained), parsed and checked entry by entry, so a corrupt or truncated
// file stops the resume with a message naming the file and the fault before anything trains, and
// is never silently replaced by a history that lost its earlier epochs.
import { existsSync } from 'node:fs';
import type { EpochMetrics } from '../train/trainer';
import { readBounded } from '../util/bounded-read';
import { UsageError } from './usage-error';

/** Generous per-epoch room (an entry is ~300 bytes pretty-printed) plus the config and final block. */
export function metricsByteLimit(epochs: number): number {
  return 64 * 1024 + 4096 * Math.max(0, epochs);
}

function fault(source: string, what: string): never {
  throw new UsageError(`${source}: ${what}; move the file away to resume without the earlier epochs' history, or restore it`);
}

function finite(source: string, where: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fault(source, `${where} is ${JSON.stringify(v) ?? String(v)}; expected a finite number`);
  return v;
}

/** The names an epoch's loss entries carry: the objective's loss key and its parts (the ELBO's by default). */
export const ELBO_KEYS: readonly string[] = ['elbo', 'rec', 'kl'];

function loss(source: string, where: string, v: unknown, keys: readonly string[]): EpochMetrics['train'] {
  if (typeof v !== 'object' || v === null) fault(source, `${where} is ${JSON.stringify(v)}; expected { ${keys.join(', ')} }`);
  const o = v as Record<string, unknown>;
  return Object.fromEntries(keys.map((k) => [k, finite(source, `${where}.${k}`, o[k])])) as EpochMetrics['train'];
}

/** The epochs of a metrics.json text, each checked; throws a UsageError naming the first fault. */
export function parseRunMetrics(text: string, source: string, keys: readonly string[] = ELBO_KEYS): EpochMetrics[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    fault(source, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) fault(source, 'expected a JSON object with an "epochs" array');
  const epochs = (body as { epochs?: unknown }).epochs;
  if (epochs === undefined) return [];
  if (!Array.isArray(epochs)) fault(source, `"epochs" is ${typeof epochs}; expected an array`);
  let lastStep = -1, lastEpoch = 0;
  return epochs.map((raw, i): EpochMetrics => {
    const where = `epochs[${i}]`;
    if (typeof raw !== 'object' || raw === null) fault(source, `${where} is ${JSON.stringify(raw)}; expected an object`);
    const m = raw as Record<string, unknown>;
    const epoch = m.epoch;
    if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch <= lastEpoch) {
      fault(source, `${where}.epoch is ${JSON.stringify(epoch)}; expected an integer above ${lastEpoch}`);
    }
    lastEpoch = epoch;
    const step = m.step;
    if (typeof step !== 'number' || !Number.isSafeInteger(step) || step <= lastStep) {
      fault(source, `${where}.step is ${JSON.stringify(step)}; expected an integer above the previous epoch's ${Math.max(lastStep, 0)}`);
    }
    lastStep = step;
    return {
      epoch,
      step,
      train: loss(source, `${where}.train`, m.train, keys),
      test: loss(source, `${where}.test`, m.test, keys),
      ...(m.validation !== undefined ? { validation: loss(source, `${where}.validation`, m.validation, keys) } : {}),
      ...(m.testBitsPerDim !== undefined ? { testBitsPerDim: finite(source, `${where}.testBitsPerDim`, m.testBitsPerDim) } : {}),
      seconds: finite(source, `${where}.seconds`, m.seconds),
      stepsPerSecond: finite(source, `${where}.stepsPerSecond`, m.stepsPerSecond),
    };
  });
}

/**
 * The history a resume continues: the entries of `path` up to the checkpoint's step (none when the
 * file does not exist). `epochs` is how many epochs the checkpoint has trained: the size bound.
 */
export async function readRunMetrics(path: string, epochs: number, step: number, keys: readonly string[] = ELBO_KEYS): Promise<EpochMetrics[]> {
  if (!existsSync(path)) return [];
  let bytes: Uint8Array;
  try {
    bytes = await readBounded(path, metricsByteLimit(epochs), 'metrics file', { why: `room for the ${epochs} epochs the checkpoint has trained` });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}; move it away to resume without its history`, { cause: e });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    fault(path, 'not valid UTF-8 text');
  }
  return parseRunMetrics(text, path, keys).filter((m) => m.step <= step);
}

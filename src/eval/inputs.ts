// The checks every evaluation and inference call makes before any GPU work: images and latents as
// Float32Arrays of whole rows with finite values (the first bad one named), a count that fits, an
// AbortSignal that is one; a conditional model's labels; and the options they share (a signal, the
// labels, a progress callback).
import type { ImageShape } from '../base/words';
import { checkLabels, describeImage, type VaeConfig } from '../model/config';

/** What a long call takes besides its data: cancellation (the call rejects with the signal's reason). */
export interface CallOptions {
  signal?: AbortSignal;
  /**
   * A conditional model's class of each example (of each latent row, for decode): integers 0 to
   * classes − 1, required by such a model; an unconditional model refuses them.
   */
  labels?: ArrayLike<number>;
}

/** The options of the evaluation protocols: cancellation and, for L_k, progress in samples. */
export interface EvalOptions extends CallOptions {
  /** L_k: samples done of the total (batches × k), now and then. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The labels of a call on `rows` examples as u32: required (and checked) for a conditional model,
 * refused for an unconditional one (undefined there).
 */
export function labelsOf(what: string, config: Pick<VaeConfig, 'conditional'>, labels: unknown, rows: number): Uint32Array | undefined {
  if (!config.conditional) {
    if (labels !== undefined) throw new Error(`${what}: options.labels given, but this model is not conditional (its config has no conditional)`);
    return undefined;
  }
  const l = checkLabels(what, labels as ArrayLike<number> | undefined, rows, config.conditional.classes);
  // A copy: the caller's array may change while the call runs.
  return l === labels ? l.slice() : l;
}

/** Checks an options object's signal and rejects at once when it is aborted already. */
export function checkSignal(what: string, o: CallOptions | undefined): AbortSignal | undefined {
  const s = o?.signal;
  if (s === undefined) return undefined;
  if (typeof AbortSignal === 'undefined' || !(s instanceof AbortSignal)) throw new Error(`${what}: options.signal must be an AbortSignal, got ${typeof s}`);
  s.throwIfAborted();
  return s;
}

/**
 * Rows of `width` values in `data` (`arg` names it in errors): a Float32Array, a whole number of
 * rows, at least one, every value finite (a NaN or Inf pixel would come back as a NaN loss or code).
 */
export function rowsOf(what: string, arg: string, data: unknown, width: number, unit: string, image?: ImageShape): number {
  const shape = image ? ` (${describeImage(image)} images)` : '';
  if (!(data instanceof Float32Array)) {
    throw new Error(`${what}: ${arg} must be a Float32Array of rows of ${width} ${unit}${shape}, got ${data === null ? 'null' : typeof data === 'object' ? data.constructor?.name : typeof data}`);
  }
  const rows = data.length / width;
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`${what}: ${arg} has ${data.length} values, not a whole number (≥ 1) of rows of ${width} ${unit}${shape}`);
  checkFinite(what, arg, data, width, unit);
  return rows;
}

/** Throws naming the first value of `data` that is NaN or infinite (its row and column). */
export function checkFinite(what: string, arg: string, data: Float32Array, width: number, unit: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // v - v is NaN exactly for NaN and ±Infinity.
    if (v - v !== 0) {
      throw new Error(`${what}: ${arg} holds ${v} at index ${i} (row ${Math.floor(i / width)}, ${unit.replace(/s$/, '')} ${i % width}); every value must be finite`);
    }
  }
}

/** The examples `count` of `images` (checked: an integer ≥ 1, with count × dim finite values there). */
export function examplesOf(what: string, images: unknown, count: unknown, dim: number, image?: ImageShape): Float32Array {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) throw new Error(`${what}: count must be a positive integer, got ${String(count)}`);
  if (!(images instanceof Float32Array)) throw new Error(`${what}: images must be a Float32Array of count × ${dim} pixels${image ? ` (${describeImage(image)} images)` : ''}, got ${images === null ? 'null' : typeof images}`);
  if (images.length < count * dim) throw new Error(`${what}: images has ${images.length} values, fewer than count × dim = ${count} × ${dim} = ${count * dim}`);
  const used = images.subarray(0, count * dim);
  checkFinite(what, 'images', used, dim, 'pixels');
  return used;
}

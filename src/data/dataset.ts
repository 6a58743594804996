// In-memory float image data set shared by every loader (embedded MNIST, IDX files) and the trainers,
// plus small pure helpers: validation with precise errors, dynamic binarization and subsetting, and
// the float view of an ImageSet (./image-set) whose uint8 pixels the trainer's batches read directly.
// Browser-safe: no Node imports.
import { fillBatch, fillBatchBytes, takeImages, toFloat32, unitRangeNeed, validateImageSet, type ImageSet } from './image-set';

/** Images are row-major `count × dim` (dim = rows × cols) with values in [0, 1]; labels are one per image. */
export interface Dataset {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  dim: number;
}

export type { Likelihood } from '../base/words';
import { LIKELIHOODS, type Likelihood } from '../base/words';

function isPositiveInt(n: number): boolean {
  return Number.isInteger(n) && n > 0;
}

/**
 * Throws an Error describing the first problem found: bad shape fields, sizes that disagree,
 * a NaN/Inf pixel, or (bernoulli and logistic) a pixel outside [0, 1], since the Bernoulli
 * log-likelihood is undefined there and the discretized logistic's 256 levels span [0, 1].
 * Gaussian accepts any finite value.
 */
export function validateDataset(ds: Dataset, opts: { likelihood: Likelihood }): void {
  const { likelihood } = opts;
  if (!LIKELIHOODS.includes(likelihood)) {
    throw new Error(`validateDataset: unknown likelihood '${String(likelihood)}'; expected ${LIKELIHOODS.map((l) => `'${l}'`).join(', ')}`);
  }
  // A view is checked on its pixels as stored, so validation never materializes the float copy.
  const set = views.get(ds)?.set;
  if (set) return validateImageSet(set, likelihood);
  if (ds.count === 0) throw new Error('dataset is empty: count is 0; expected at least one image');
  if (!isPositiveInt(ds.count)) throw new Error(`dataset count is ${ds.count}; expected a positive integer`);
  if (!isPositiveInt(ds.rows) || !isPositiveInt(ds.cols)) {
    throw new Error(`dataset rows × cols is ${ds.rows} × ${ds.cols}; expected positive integers`);
  }
  if (ds.dim !== ds.rows * ds.cols) {
    throw new Error(`dataset dim is ${ds.dim} but rows × cols = ${ds.rows} × ${ds.cols} = ${ds.rows * ds.cols}`);
  }
  if (ds.images.length !== ds.count * ds.dim) {
    throw new Error(
      `dataset images has ${ds.images.length} values; expected count × dim = ${ds.count} × ${ds.dim} = ${ds.count * ds.dim}`,
    );
  }
  if (ds.labels.length !== ds.count) {
    throw new Error(`dataset labels has ${ds.labels.length} entries; expected one per image (${ds.count})`);
  }
  const img = ds.images;
  const bounded = likelihood !== 'gaussian';
  for (let i = 0; i < img.length; i++) {
    const v = img[i]!;
    // One comparison chain on the hot path; the detailed message is built only on failure.
    if (Number.isFinite(v) && (!bounded || (v >= 0 && v <= 1))) continue;
    const where = `pixel at index ${i} (image ${Math.floor(i / ds.dim)}, offset ${i % ds.dim})`;
    if (!Number.isFinite(v)) throw new Error(`dataset ${where} is ${v}; expected a finite value`);
    throw new Error(`dataset ${where} is ${v}; ${unitRangeNeed(likelihood)}`);
  }
}

/**
 * Dynamic binarization: each pixel becomes 1 with probability equal to its value, else 0.
 * `rng` must return uniforms in [0, 1) so 0 stays 0 and 1 stays 1. Returns a new array.
 */
export function binarize(images: Float32Array, rng: () => number): Float32Array {
  const out = new Float32Array(images.length);
  for (let i = 0; i < images.length; i++) out[i] = rng() < images[i]! ? 1 : 0;
  return out;
}

/** Copies the listed images (in the given order, repeats allowed) into a new Dataset (a view stays a uint8 view). */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const set = views.get(ds)?.set;
  if (set) return datasetView(takeImages(set, indices));
  const n = indices.length;
  const images = new Float32Array(n * ds.dim);
  const labels = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    const i = indices[j]!;
    if (!Number.isInteger(i) || i < 0 || i >= ds.count) {
      throw new Error(`subset: indices[${j}] = ${i} is out of range; expected an integer in [0, ${ds.count - 1}]`);
    }
    images.set(ds.images.subarray(i * ds.dim, (i + 1) * ds.dim), j * ds.dim);
    labels[j] = ds.labels[i]!;
  }
  return { images, labels, count: n, rows: ds.rows, cols: ds.cols, dim: ds.dim };
}

// ---- The float view of an ImageSet ----------------------------------------------------------
// Keyed by the view object itself: a spread copy ({ ...ds, images }) is a plain Dataset again,
// so code that replaces `images` (binarizeFixed) never has its batches read from the stale source.
const views = new WeakMap<Dataset, { set: ImageSet; images?: Float32Array }>();

/**
 * Today's Dataset over an ImageSet: rows = H and cols = W · C (a row holds its pixels' channels side
 * by side), so dim = rows × cols as every Dataset user expects. `images` (count × dim floats, 4 bytes
 * a value) is made on first read and kept; fillRows, validateDataset, subset and float32Chunks read
 * the stored pixels instead, so a uint8 training set is never expanded by the training loop.
 */
export function datasetView(set: ImageSet): Dataset {
  const entry: { set: ImageSet; images?: Float32Array } = { set };
  const view: Dataset = {
    get images() {
      return (entry.images ??= toFloat32(set));
    },
    labels: set.labels ?? new Uint8Array(set.count),
    count: set.count,
    rows: set.shape.height,
    cols: set.shape.width * set.shape.channels,
    dim: set.dim,
  };
  views.set(view, entry);
  return view;
}

/** The ImageSet behind a datasetView, if `ds` is one. */
export function imageSetOf(ds: Dataset): ImageSet | undefined {
  return views.get(ds)?.set;
}

/** False while a view's float `images` has not been made (always true for a plain Dataset). */
export function isMaterialized(ds: Dataset): boolean {
  const entry = views.get(ds);
  return !entry || entry.images !== undefined || entry.set.pixels instanceof Float32Array;
}

/** Copies images `order[start .. start + n)` of `ds` into `out` as floats; returns the filled prefix. */
export function fillRows(ds: Dataset, order: ArrayLike<number>, start: number, n: number, out: Float32Array): Float32Array {
  const set = views.get(ds)?.set;
  if (set) return fillBatch(set, order, out, start, n);
  const D = ds.dim;
  for (let i = 0; i < n; i++) out.set(ds.images.subarray(order[start + i]! * D, (order[start + i]! + 1) * D), i * D);
  return out.subarray(0, n * D);
}

/** A view's images stored as uint8 (value k is k / 255), else null: what a step may upload as bytes. */
export function u8Pixels(ds: Dataset): ImageSet | null {
  const entry = views.get(ds);
  // A copy of a view with other images (binarizeFixed's) is a plain Dataset, not a view: it stays float.
  return entry && entry.set.pixels instanceof Uint8Array ? entry.set : null;
}

/** Copies the uint8 images `order[start .. start + n)` of a view into `out`; returns the filled prefix. */
export function fillRowBytes(ds: Dataset, order: ArrayLike<number>, start: number, n: number, out: Uint8Array): Uint8Array {
  const set = u8Pixels(ds);
  if (!set) throw new Error('fillRowBytes: this data set does not hold uint8 pixels; use fillRows');
  return fillBatchBytes(set, order, out, start, n);
}

/** Calls `fn` with the images as float32 in chunks of at most `rows` images (a view converts chunk by chunk). */
export function float32Chunks(ds: Dataset, fn: (chunk: Float32Array) => void, rows = 1024): void {
  const set = views.get(ds)?.set;
  const buffer = set ? new Float32Array(Math.min(rows, ds.count) * ds.dim) : undefined;
  for (let s = 0; s < ds.count; s += rows) {
    const n = Math.min(rows, ds.count - s);
    if (!set) fn(ds.images.subarray(s * ds.dim, (s + n) * ds.dim));
    else fn(fillBatch(set, Uint32Array.from({ length: n }, (_, i) => s + i), buffer!));
  }
}

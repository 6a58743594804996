// In-memory image data set shared by every loader (embedded MNIST, IDX files) and the trainers,
// plus small pure helpers: validation with precise errors, dynamic binarization and subsetting.
// Browser-safe: no Node imports.

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
import type { Likelihood } from '../base/words';

function isPositiveInt(n: number): boolean {
  return Number.isInteger(n) && n > 0;
}

/**
 * Throws an Error describing the first problem found: bad shape fields, sizes that disagree,
 * a NaN/Inf pixel, or (bernoulli only) a pixel outside [0, 1], since the Bernoulli log-likelihood
 * is undefined there. Gaussian accepts any finite value.
 */
export function validateDataset(ds: Dataset, opts: { likelihood: Likelihood }): void {
  const { likelihood } = opts;
  if (likelihood !== 'bernoulli' && likelihood !== 'gaussian') {
    throw new Error(`validateDataset: unknown likelihood '${String(likelihood)}'; expected 'bernoulli' or 'gaussian'`);
  }
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
  const bern = likelihood === 'bernoulli';
  for (let i = 0; i < img.length; i++) {
    const v = img[i]!;
    // One comparison chain on the hot path; the detailed message is built only on failure.
    if (Number.isFinite(v) && (!bern || (v >= 0 && v <= 1))) continue;
    const where = `pixel at index ${i} (image ${Math.floor(i / ds.dim)}, offset ${i % ds.dim})`;
    if (!Number.isFinite(v)) throw new Error(`dataset ${where} is ${v}; expected a finite value`);
    throw new Error(`dataset ${where} is ${v}; bernoulli likelihood expects values in [0, 1]`);
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

/** Copies the listed images (in the given order, repeats allowed) into a new Dataset. */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
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

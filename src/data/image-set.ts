// The general in-memory image data set every reader returns: N images of H × W × C (HWC interleaved,
// row-major), kept as uint8 where the source is 8-bit (value k means k / 255) and float32 where it is
// float, with optional labels. The accessors the trainer needs (fill a float batch for given indices),
// subsets, the fixed seeded train/test split and validation. Pure and browser-safe.
import { philox4x32, seedKey } from '../cpu/philox';

import type { ImageShape, Likelihood } from '../base/words';
export type { ImageShape } from '../base/words';

export type PixelType = 'u8' | 'f32';

export interface ImageSet {
  count: number;
  shape: ImageShape;
  /** height · width · channels: the values per image. */
  dim: number;
  /** count × dim values, image after image, each HWC interleaved; u8 k stands for k / 255. */
  pixels: Uint8Array | Float32Array;
  /** One class index per image, when the source has labels. */
  labels?: Uint8Array;
  /** Class names by index, when the source names them (sub-folders, CIFAR's batches.meta.txt). */
  classNames?: string[];
  /** Where the images came from, for messages ("data_batch_1.bin", "PNG images in /x"). */
  source: string;
}

export const MAX_CLASSES = 256;

/** k → float32(k / 255), the value every loader has always given an 8-bit pixel (so runs on IDX data train alike). */
export const U8_TO_FLOAT = Float32Array.from({ length: 256 }, (_, k) => k / 255);

export function pixelType(set: ImageSet): PixelType {
  return set.pixels instanceof Uint8Array ? 'u8' : 'f32';
}

export function bytesPerValue(type: PixelType): number {
  return type === 'u8' ? 1 : 4;
}

/** "32×32×3". */
export function describeShape(s: ImageShape): string {
  return `${s.height}×${s.width}×${s.channels}`;
}

const positiveInt = (n: number) => Number.isInteger(n) && n > 0;

/** Builds an ImageSet and checks that its sizes agree; throws naming the source and the mismatch. */
export function makeImageSet(fields: Omit<ImageSet, 'dim'>): ImageSet {
  const { count, shape, pixels, labels, source } = fields;
  if (!positiveInt(shape.height) || !positiveInt(shape.width) || !positiveInt(shape.channels)) {
    throw new Error(`${source}: image shape ${describeShape(shape)} is invalid; expected positive integers H×W×C`);
  }
  if (!Number.isInteger(count) || count < 1) throw new Error(`${source}: ${count} images; expected at least one`);
  const dim = shape.height * shape.width * shape.channels;
  if (pixels.length !== count * dim) {
    throw new Error(`${source}: ${pixels.length} pixel values; expected ${count} images × ${describeShape(shape)} = ${count * dim}`);
  }
  if (labels !== undefined && labels.length !== count) {
    throw new Error(`${source}: ${labels.length} labels for ${count} images; expected one label per image`);
  }
  return { ...fields, dim };
}

/**
 * Writes the images `indices[start .. start + n)` as floats in [0, 1] (u8 / 255 on the fly) into
 * `out`, image after image; returns the filled prefix of `out`.
 */
export function fillBatch(set: ImageSet, indices: ArrayLike<number>, out: Float32Array, start = 0, n = indices.length - start): Float32Array {
  const D = set.dim;
  if (out.length < n * D) throw new Error(`fillBatch: out holds ${out.length} values; ${n} images of ${D} need ${n * D}`);
  const src = set.pixels;
  for (let j = 0; j < n; j++) {
    const i = indices[start + j]!;
    if (!(i >= 0 && i < set.count) || !Number.isInteger(i)) {
      throw new Error(`fillBatch: index ${i} is out of range; expected an integer in [0, ${set.count - 1}]`);
    }
    const from = i * D, to = j * D;
    if (src instanceof Float32Array) out.set(src.subarray(from, from + D), to);
    else for (let k = 0; k < D; k++) out[to + k] = U8_TO_FLOAT[src[from + k]!]!;
  }
  return out.subarray(0, n * D);
}

/**
 * Writes the uint8 images `indices[start .. start + n)` as they are stored into `out` (the bytes a
 * GPU step unpacks through U8_TO_FLOAT); returns the filled prefix. Float sets are refused.
 */
export function fillBatchBytes(set: ImageSet, indices: ArrayLike<number>, out: Uint8Array, start = 0, n = indices.length - start): Uint8Array {
  const D = set.dim, src = set.pixels;
  if (!(src instanceof Uint8Array)) throw new Error(`fillBatchBytes: ${set.source} holds float32 pixels; expected uint8`);
  if (out.length < n * D) throw new Error(`fillBatchBytes: out holds ${out.length} bytes; ${n} images of ${D} need ${n * D}`);
  for (let j = 0; j < n; j++) {
    const i = indices[start + j]!;
    if (!(i >= 0 && i < set.count) || !Number.isInteger(i)) {
      throw new Error(`fillBatchBytes: index ${i} is out of range; expected an integer in [0, ${set.count - 1}]`);
    }
    out.set(src.subarray(i * D, (i + 1) * D), j * D);
  }
  return out.subarray(0, n * D);
}

/** All images as one float32 array (count × dim): what the float Dataset view materializes. */
export function toFloat32(set: ImageSet): Float32Array {
  if (set.pixels instanceof Float32Array) return set.pixels;
  const out = new Float32Array(set.pixels.length);
  const src = set.pixels;
  for (let i = 0; i < src.length; i++) out[i] = U8_TO_FLOAT[src[i]!]!;
  return out;
}

/** The listed images (in order, repeats allowed) as a new ImageSet of the same pixel type. */
export function takeImages(set: ImageSet, indices: ArrayLike<number>, source = set.source): ImageSet {
  const n = indices.length, D = set.dim;
  const pixels = set.pixels instanceof Uint8Array ? new Uint8Array(n * D) : new Float32Array(n * D);
  const labels = set.labels ? new Uint8Array(n) : undefined;
  for (let j = 0; j < n; j++) {
    const i = indices[j]!;
    if (!Number.isInteger(i) || i < 0 || i >= set.count) {
      throw new Error(`takeImages: indices[${j}] = ${i} is out of range; expected an integer in [0, ${set.count - 1}]`);
    }
    pixels.set(set.pixels.subarray(i * D, (i + 1) * D), j * D);
    if (labels) labels[j] = set.labels![i]!;
  }
  return makeImageSet({ count: n, shape: set.shape, pixels, labels, classNames: set.classNames, source });
}

/** The split's own Philox words: a step no training step reaches and a stream tag ('SPLT') no other use has. */
const SPLIT_STEP = 0xfffffffe;
const SPLIT_STREAM = 0x53504c54;
/** Every run splits with this seed, whatever its --seed, so runs of different seeds share one test part. */
export const DATA_SPLIT_SEED = 0;

/**
 * The fixed seeded split of a data set that has no test part: a Philox-driven Fisher–Yates
 * permutation of 0..N−1 whose first max(1, round(N · fraction)) indices are the test part; both
 * parts keep the source order. The same N, fraction and seed give the same split on any machine.
 */
export function splitIndices(count: number, fraction: number, seed = DATA_SPLIT_SEED): { train: Uint32Array; test: Uint32Array } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`test fraction ${fraction} is invalid; expected a number between 0 and 1 (exclusive)`);
  const nTest = Math.max(1, Math.round(count * fraction));
  if (count - nTest < 1) {
    throw new Error(`${count} image${count === 1 ? '' : 's'} cannot be split into a training and a test part (test fraction ${fraction}); give --test a separate test set, or more images`);
  }
  const key = seedKey(seed);
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const r = philox4x32([i, SPLIT_STEP, SPLIT_STREAM, 0], key);
    const u = (r[0] * 2097152 + (r[1] >>> 11)) / 9007199254740992;
    const j = Math.floor(u * (i + 1));
    const t = order[i]!; order[i] = order[j]!; order[j] = t;
  }
  const test = order.slice(0, nTest).sort();
  const train = order.slice(nTest).sort();
  return { train, test };
}

export function splitImages(set: ImageSet, fraction: number, seed = DATA_SPLIT_SEED): { train: ImageSet; test: ImageSet } {
  const { train, test } = splitIndices(set.count, fraction, seed);
  return { train: takeImages(set, train), test: takeImages(set, test, `${set.source} (test part)`) };
}

/** Why a likelihood refuses a value outside [0, 1] (Bernoulli, the discretized logistic). */
export function unitRangeNeed(likelihood: Likelihood): string {
  return likelihood === 'logistic'
    ? 'the logistic likelihood (the discretized logistic over 256 levels of [0, 1]) expects values in [0, 1] (scale 8-bit data by 1/255)'
    : `${likelihood} likelihood expects values in [0, 1]`;
}

/**
 * Checks what the likelihood needs: every float pixel finite, and for Bernoulli and the discretized
 * logistic within [0, 1]; uint8 pixels always are. Throws naming the image and offset of the first bad value.
 */
export function validateImageSet(set: ImageSet, likelihood: Likelihood): void {
  makeImageSet(set);
  if (set.labels && set.classNames && set.labels.some((l) => l >= set.classNames!.length)) {
    const i = set.labels.findIndex((l) => l >= set.classNames!.length);
    throw new Error(`${set.source}: image ${i} has label ${set.labels[i]}, but only ${set.classNames.length} classes are named`);
  }
  const px = set.pixels;
  if (px instanceof Uint8Array) return;
  const bounded = likelihood !== 'gaussian';
  for (let i = 0; i < px.length; i++) {
    const v = px[i]!;
    if (Number.isFinite(v) && (!bounded || (v >= 0 && v <= 1))) continue;
    const where = `pixel at index ${i} (image ${Math.floor(i / set.dim)}, offset ${i % set.dim})`;
    if (!Number.isFinite(v)) throw new Error(`${set.source}: ${where} is ${v}; expected a finite value`);
    throw new Error(`${set.source}: ${where} is ${v}; ${likelihood === 'bernoulli' ? 'bernoulli likelihood expects values in [0, 1] (scale 8-bit data by 1/255)' : unitRangeNeed(likelihood)}`);
  }
}

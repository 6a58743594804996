// Pure, browser-safe parser for IDX files (the MNIST / Fashion-MNIST format): u8 images
// (magic 0x00000803, 3 dims) and u8 labels (magic 0x00000801, 1 dim), big-endian dims.
// Every malformed input fails with a plain Error naming the source, the problem and what was expected.
import type { Dataset } from './dataset';

export interface IdxTensor {
  dims: number[];
  /** Row-major u8 values; a view into the input bytes (no copy). */
  data: Uint8Array;
}

export const IDX_MAGIC_LABELS_U8 = 0x00000801;
export const IDX_MAGIC_IMAGES_U8 = 0x00000803;
/** Largest element count accepted (1 GiB): anything bigger is treated as a corrupt header. */
export const IDX_MAX_ELEMENTS = 2 ** 30;

const EXPECTED_MAGICS = 'expected 0x00000803 (u8 images, 3 dims) or 0x00000801 (u8 labels, 1 dim)';
const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

const hex8 = (v: number): string => '0x' + v.toString(16).padStart(8, '0');
const hex2 = (v: number): string => '0x' + v.toString(16).padStart(2, '0');

/** True when the bytes start with the gzip signature 0x1f 0x8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

// Manual big-endian read: callers check bounds first, so no DataView RangeError can escape.
function readU32BE(b: Uint8Array, o: number): number {
  return b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

/** The dims of a well-formed u8 IDX header (1 or 3 dims, none 0), whatever their product; else undefined. */
export function idxHeaderDims(header: Uint8Array): number[] | undefined {
  if (header.length < 4 || header[0] !== 0 || header[1] !== 0 || header[2] !== 0x08) return undefined;
  const ndims = header[3]!;
  if (ndims !== 1 && ndims !== 3) return undefined;
  if (header.length < 4 + 4 * ndims) return undefined;
  const dims = Array.from({ length: ndims }, (_, i) => readU32BE(header, 4 + 4 * i));
  return dims.includes(0) ? undefined : dims;
}

/**
 * The byte length a valid IDX header announces (header + product of dims), or undefined when the
 * bytes do not start with a well-formed, within-limits header (parseIdx then says what is wrong).
 */
export function idxByteLength(header: Uint8Array): number | undefined {
  const dims = idxHeaderDims(header);
  if (!dims) return undefined;
  const elements = dims.reduce((a, b) => a * b, 1);
  if (elements < 1 || elements > IDX_MAX_ELEMENTS) return undefined;
  return 4 + 4 * dims.length + elements;
}

/**
 * Parses an uncompressed IDX file of unsigned bytes with 1 or 3 dims. `source` (a file name)
 * prefixes every error message. Gzipped input is rejected with a hint: decompress it first
 * (idx-node does that in Node; browsers can use DecompressionStream('gzip')).
 */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxTensor {
  if (!(bytes instanceof Uint8Array)) {
    throw new Error(`${source}: parseIdx expects a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  }
  const n = bytes.length;
  if (n < 4) {
    throw new Error(`${source}: file is ${n} bytes, smaller than the 4-byte IDX magic number header`);
  }
  if (isGzip(bytes)) {
    throw new Error(
      `${source}: data is gzip-compressed (starts with 0x1f 0x8b); decompress it before parseIdx ` +
        `(loadIdxDataset in idx-node does this)`,
    );
  }
  const magic = readU32BE(bytes, 0);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${source}: wrong magic number ${hex8(magic)} (first two bytes must be 0); ${EXPECTED_MAGICS}`);
  }
  const type = bytes[2]!;
  if (type !== 0x08) {
    const name = TYPE_NAMES[type] ?? 'unknown type';
    throw new Error(
      `${source}: unsupported IDX data type byte ${hex2(type)} (${name}) in magic ${hex8(magic)}; ` +
        `only 0x08 (unsigned byte) is supported: ${EXPECTED_MAGICS}`,
    );
  }
  const ndims = bytes[3]!;
  if (ndims !== 1 && ndims !== 3) {
    throw new Error(`${source}: wrong magic number ${hex8(magic)} (u8 with ${ndims} dims); ${EXPECTED_MAGICS}`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (headerBytes > n) {
    throw new Error(
      `${source}: header needs ${headerBytes} bytes (magic + ${ndims} dims) but the file has only ${n} bytes`,
    );
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(readU32BE(bytes, 4 + 4 * i));
  const shape = dims.join(' × ');
  const zero = dims.indexOf(0);
  if (zero >= 0) {
    throw new Error(`${source}: dimension ${zero} is 0 (dims ${shape}); expected every dimension ≥ 1`);
  }
  // Each dim < 2^32 and at most 3 dims, so the product is finite (may be inexact above 2^53,
  // but then it is far past the limit anyway).
  const elements = dims.reduce((a, b) => a * b, 1);
  if (elements > IDX_MAX_ELEMENTS) {
    throw new Error(
      `${source}: absurd dims ${shape} = ${elements} elements, over the limit of ${IDX_MAX_ELEMENTS}; ` +
        `the header is probably corrupt`,
    );
  }
  const found = n - headerBytes;
  if (found < elements) {
    throw new Error(
      `${source}: truncated data: dims ${shape} need ${elements} bytes after the ${headerBytes}-byte header, ` +
        `but only ${found} bytes were found`,
    );
  }
  if (found > elements) {
    throw new Error(
      `${source}: ${found - elements} bytes of trailing garbage: dims ${shape} expect exactly ${elements} data bytes ` +
        `after the ${headerBytes}-byte header, found ${found}`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/**
 * Builds a Dataset from (uncompressed) IDX images and optional labels bytes: pixels / 255,
 * missing labels become zeros. Names in `sources` are used in error messages.
 */
export function datasetFromIdx(
  imagesBytes: Uint8Array,
  labelsBytes?: Uint8Array,
  sources: { images?: string; labels?: string } = {},
): Dataset {
  const imagesName = sources.images ?? 'IDX images';
  const labelsName = sources.labels ?? 'IDX labels';
  const img = parseIdx(imagesBytes, imagesName);
  if (img.dims.length !== 3) {
    throw new Error(
      `${imagesName}: expected an images file (magic 0x00000803, 3 dims count × rows × cols) ` +
        `but found ${img.dims.length} dim (${img.dims.join(' × ')}), which looks like a labels file`,
    );
  }
  const [count, rows, cols] = img.dims as [number, number, number];
  let labels: Uint8Array;
  if (labelsBytes === undefined) {
    labels = new Uint8Array(count);
  } else {
    const lab = parseIdx(labelsBytes, labelsName);
    if (lab.dims.length !== 1) {
      throw new Error(
        `${labelsName}: expected a labels file (magic 0x00000801, 1 dim) ` +
          `but found ${lab.dims.length} dims (${lab.dims.join(' × ')}), which looks like an images file`,
      );
    }
    if (lab.dims[0] !== count) {
      throw new Error(
        `count mismatch: ${imagesName} has ${count} images but ${labelsName} has ${lab.dims[0]} labels; ` +
          `expected one label per image`,
      );
    }
    labels = lab.data.slice();
  }
  const lut = new Float32Array(256);
  for (let k = 0; k < 256; k++) lut[k] = k / 255;
  const images = new Float32Array(img.data.length);
  for (let i = 0; i < images.length; i++) images[i] = lut[img.data[i]!]!;
  return { images, labels, count, rows, cols, dim: rows * cols };
}

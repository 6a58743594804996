// Reading and writing the Hugging Face safetensors format: Uint8Array in, Uint8Array out, no Node
// imports, so the same code loads checkpoints in the browser and in Node. Decoding validates the
// whole header against the bytes and reports every malformation as a CheckpointError.

/** Element types this runtime stores. I64 is recognised in files but rejected (see decode). */
export type Dtype = 'F32' | 'F64' | 'I32' | 'U32' | 'U8';

export interface Tensor {
  dtype: Dtype;
  /** Row-major dims; [] is a scalar (one element), any 0 dim makes an empty tensor. */
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;
}

/** Every malformed file or invalid tensor, from encode and decode alike. */
export class CheckpointError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CheckpointError';
  }
}

type ArrayCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Uint8ArrayConstructor;

const DTYPES: Record<Dtype, { size: number; ctor: ArrayCtor }> = {
  F32: { size: 4, ctor: Float32Array },
  F64: { size: 8, ctor: Float64Array },
  I32: { size: 4, ctor: Int32Array },
  U32: { size: 4, ctor: Uint32Array },
  U8: { size: 1, ctor: Uint8Array },
};
const DTYPE_LIST = Object.keys(DTYPES).join(', ');

/** The reference implementation's cap; a larger header is corruption, not a model. */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

// safetensors data is little-endian and typed arrays use the platform's order; every platform
// that runs WebGPU is little-endian, so a byte-swapping path would be dead code.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fail(message: string): never {
  throw new CheckpointError(`safetensors: ${message}`);
}

function requireLittleEndian(): void {
  if (!LITTLE_ENDIAN) fail('this platform is big-endian; safetensors data is little-endian');
}

/**
 * A short rendering of an untrusted value for an error message. JSON.stringify alone could throw
 * (BigInt, cycles, a file's deeply nested arrays) or produce megabytes.
 */
function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = Array.isArray(v) ? '[...]' : typeof v;
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function isDtype(s: string): s is Dtype {
  return Object.prototype.hasOwnProperty.call(DTYPES, s);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Names come from files and callers; a name like "__proto__" must become an own property, not a
// prototype swap, so results are built with defineProperty.
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Exact element count (BigInt: dims are each safe integers but their product need not be). */
function elementCount(shape: readonly number[]): bigint {
  let n = 1n;
  for (const d of shape) n *= BigInt(d);
  return n;
}

function isDim(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Serialises tensors and optional string metadata. Data is laid out by item size, largest first,
 * then by name, as the Python/Rust library does: with the header padded to 8 bytes this puts every
 * tensor on its natural alignment, and the bytes do not depend on insertion order.
 */
export function encodeSafetensors(
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  requireLittleEndian();
  const entries: { name: string; tensor: Tensor; size: number }[] = [];
  for (const name of Object.keys(tensors)) {
    if (name === '') fail('tensor names must be non-empty strings');
    if (name === METADATA_KEY) fail(`"${METADATA_KEY}" is reserved and cannot name a tensor`);
    const tensor = tensors[name]!;
    if (!isPlainObject(tensor)) fail(`tensor ${show(name)} must be an object { dtype, shape, data }`);
    const { dtype, shape, data } = tensor;
    if (typeof dtype !== 'string' || !isDtype(dtype)) {
      fail(`tensor ${show(name)}: dtype ${show(dtype)} is not one of ${DTYPE_LIST}`);
    }
    const { size, ctor } = DTYPES[dtype];
    if (!(data instanceof ctor)) {
      fail(`tensor ${show(name)}: dtype ${dtype} needs its data in a ${ctor.name}`);
    }
    if (!Array.isArray(shape) || !shape.every(isDim)) {
      fail(`tensor ${show(name)}: shape must be an array of non-negative integers, got ${show(shape)}`);
    }
    if (elementCount(shape) !== BigInt(data.length)) {
      fail(`tensor ${show(name)}: shape ${show(shape)} holds ${elementCount(shape)} elements but data has ${data.length}`);
    }
    entries.push({ name, tensor, size });
  }
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) fail('metadata must be an object of string values');
    for (const key of Object.keys(metadata)) {
      if (typeof metadata[key] !== 'string') {
        fail(`metadata ${show(key)} must be a string, got ${typeof metadata[key]}`);
      }
    }
  }

  entries.sort((a, b) => b.size - a.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  // JSON is assembled by hand so that key order follows the data order and no key ever goes
  // through an object literal (see setOwn). The metadata comes first, as the Python writer puts it.
  const parts: string[] = [];
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    const kv = Object.keys(metadata).map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`);
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${kv.join(',')}}`);
  }
  let offset = 0;
  for (const { name, tensor, size } of entries) {
    const end = offset + tensor.data.length * size;
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${tensor.dtype}","shape":[${tensor.shape.join(',')}],` +
        `"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  // Pad with spaces so that 8 + header length is a multiple of 8: the byte buffer then starts
  // 8-aligned and, given the size ordering above, each tensor is aligned to its item size.
  const headerLen = Math.ceil(json.length / 8) * 8;
  if (headerLen > MAX_HEADER_BYTES) fail(`header would be ${headerLen} bytes, over the ${MAX_HEADER_BYTES} limit`);

  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let at = 8 + headerLen;
  for (const { tensor } of entries) {
    const d = tensor.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

interface RawEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses a safetensors file. Tensor data is copied into fresh, aligned typed arrays, so the result
 * does not alias `bytes`. I64 tensors are rejected with a message saying so rather than widening
 * Tensor to BigInt64Array: nothing in this runtime consumes 64-bit integers, and a checkpoint that
 * holds them (say a PyTorch `num_batches_tracked`) should be converted to I32 when exported.
 * Accepted files satisfy the spec: offsets tile the byte buffer exactly, without holes or overlaps.
 */
export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
} {
  requireLittleEndian();
  if (!(bytes instanceof Uint8Array)) fail('input must be a Uint8Array');
  if (bytes.length < 8) {
    fail(`file is ${bytes.length} bytes; expected at least 8 (a little-endian u64 header length)`);
  }
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    fail(`header length ${n64} is over the ${MAX_HEADER_BYTES}-byte limit; the file is corrupt or not safetensors`);
  }
  const headerLen = Number(n64);
  if (8 + headerLen > bytes.length) {
    fail(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file; expected at most ${bytes.length - 8}`);
  }
  const headerBytes = bytes.subarray(8, 8 + headerLen);
  // The spec requires the JSON to begin with '{'; trailing spaces are the allowed padding.
  if (headerBytes[0] !== 0x7b) fail('header must be a JSON object starting with "{"');

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    fail('header is not valid UTF-8; expected UTF-8 JSON');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message}); expected {"name": {"dtype", "shape", "data_offsets"}, ...}`);
  }
  if (!isPlainObject(header)) fail('header must be a JSON object mapping tensor names to entries');

  const dataLen = bytes.length - 8 - headerLen;
  const metadata: Record<string, string> = {};
  const raw: RawEntry[] = [];
  for (const name of Object.keys(header)) {
    const value = header[name];
    if (name === METADATA_KEY) {
      if (value === null) continue; // the Rust reader treats null as absent
      if (!isPlainObject(value)) fail(`"${METADATA_KEY}" must be an object of string values`);
      for (const k of Object.keys(value)) {
        const v = value[k];
        if (typeof v !== 'string') {
          fail(`metadata ${show(k)} is ${v === null ? 'null' : typeof v}; metadata values must be strings`);
        }
        setOwn(metadata, k, v);
      }
      continue;
    }
    raw.push(parseEntry(name, value, dataLen));
  }

  // The spec forbids holes and overlaps: sorted by offset, the tensors must tile [0, dataLen).
  // Zero-byte tensors sort before a tensor starting at the same offset, so they fit anywhere.
  const ordered = [...raw].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of ordered) {
    if (e.begin < cursor) fail(`tensor ${show(e.name)} [${e.begin}, ${e.end}) overlaps the tensor before it, which ends at ${cursor}`);
    if (e.begin > cursor) fail(`hole in the data: bytes [${cursor}, ${e.begin}) belong to no tensor; expected tensors packed contiguously`);
    cursor = e.end;
  }
  if (cursor !== dataLen) {
    fail(`bytes [${cursor}, ${dataLen}) of the data belong to no tensor; expected tensors packed contiguously to the end of the file`);
  }

  const tensors: Record<string, Tensor> = {};
  const dataStart = 8 + headerLen;
  for (const e of raw) {
    const { ctor, size } = DTYPES[e.dtype];
    // A fresh buffer gives the alignment the file's offsets may not.
    const copy = new Uint8Array(e.end - e.begin);
    copy.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    setOwn(tensors, e.name, {
      dtype: e.dtype,
      shape: e.shape,
      data: new ctor(copy.buffer, 0, copy.length / size),
    });
  }
  return { tensors, metadata };
}

function parseEntry(name: string, value: unknown, dataLen: number): RawEntry {
  const where = `tensor ${show(name)}`;
  if (name === '') fail('tensor names must be non-empty strings');
  if (!isPlainObject(value)) fail(`${where} must be an object {"dtype", "shape", "data_offsets"}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') fail(`${where}: "dtype" must be a string such as "F32"`);
  if (dtype === 'I64') {
    fail(`${where}: dtype I64 is not supported (no 64-bit integer tensors in this runtime); convert it to I32 before saving`);
  }
  if (!isDtype(dtype)) fail(`${where}: unsupported dtype ${show(dtype)}; expected one of ${DTYPE_LIST}`);
  if (!Array.isArray(shape)) fail(`${where}: "shape" must be an array of non-negative integers`);
  if (!shape.every(isDim)) {
    fail(`${where}: shape ${show(shape)} must contain only non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isDim)) {
    fail(`${where}: "data_offsets" must be [begin, end] with non-negative integers, got ${show(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`${where}: data_offsets [${begin}, ${end}] has end < begin; expected begin <= end`);
  if (end > dataLen) fail(`${where}: data_offsets [${begin}, ${end}] run past the ${dataLen}-byte data section`);
  const size = DTYPES[dtype].size;
  const expected = elementCount(shape as number[]) * BigInt(size);
  if (BigInt(end - begin) !== expected) {
    fail(`${where}: shape ${show(shape)} of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`);
  }
  // `+ 0` turns a JSON -0 into 0 so shapes compare equal to the ones that were written.
  return { name, dtype, shape: (shape as number[]).map((d) => d + 0), begin, end };
}

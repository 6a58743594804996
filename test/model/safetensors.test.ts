// Tests for the safetensors codec (round trips, interop with the Python writer's bytes, every
// rejection, a seeded mutation fuzz) and for the Node atomic checkpoint write/read.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint, writeFileAtomic } from '../../src/model/checkpoint-file';
import { CheckpointError, decodeSafetensors, encodeSafetensors, type Tensor } from '../../src/model/safetensors';
import { rng } from '../util/random';


function randomF32(n: number, rand: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() - 0.5) * 10 ** Math.floor(rand() * 12 - 6);
  return a;
}

function sampleTensors(): Record<string, Tensor> {
  const rand = rng(1234);
  return {
    'encoder.w': { dtype: 'F32', shape: [3, 5, 2], data: randomF32(30, rand) },
    'encoder.b': { dtype: 'F32', shape: [7], data: randomF32(7, rand) },
    scalar: { dtype: 'F32', shape: [], data: new Float32Array([Math.PI]) },
    empty: { dtype: 'F32', shape: [3, 0], data: new Float32Array(0) },
    bytes: { dtype: 'U8', shape: [3], data: new Uint8Array([0, 127, 255]) },
    steps: { dtype: 'I32', shape: [1, 2], data: new Int32Array([-2147483648, 2147483647]) },
    counts: { dtype: 'U32', shape: [2, 1, 1], data: new Uint32Array([0, 4294967295]) },
    'double.scale': { dtype: 'F64', shape: [2], data: new Float64Array([1 / 3, -1e300]) },
  };
}

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const u64le = (n: number) => {
  const b: number[] = [];
  for (let i = 0; i < 8; i++) b.push(Math.floor(n / 2 ** (8 * i)) & 0xff);
  return b;
};

/** A file from a raw header string and data bytes, padded as the spec allows. */
function buildFile(header: string, data: ArrayLike<number> = [], pad = true): Uint8Array {
  const json = new TextEncoder().encode(header);
  const len = pad ? Math.ceil(json.length / 8) * 8 : json.length;
  const out = new Uint8Array(8 + len + data.length);
  out.set(u64le(len), 0);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + len);
  out.set(Array.from(data), 8 + len);
  return out;
}

function expectReject(bytes: Uint8Array, pattern: RegExp): void {
  let caught: unknown;
  try {
    decodeSafetensors(bytes);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(CheckpointError);
  expect((caught as Error).message).toMatch(pattern);
}

const f32 = (shape: number[], offsets: [number, number]) =>
  `{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}}`;

describe('encode/decode round trip', () => {
  it('round-trips awkward shapes bit-exactly, including [] and [3, 0]', () => {
    const tensors = sampleTensors();
    const { tensors: back, metadata } = decodeSafetensors(encodeSafetensors(tensors));
    expect(metadata).toEqual({});
    expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const b = back[name]!;
      expect(b.dtype).toBe(t.dtype);
      expect(b.shape).toEqual(t.shape);
      expect(b.data.constructor).toBe(t.data.constructor);
      // Compare bytes, not numbers: bit-exact, and -0 vs 0 would count.
      expect(new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength)).toEqual(
        new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      );
    }
    expect(back['scalar']!.data.length).toBe(1);
    expect(back['empty']!.data.length).toBe(0);
  });

  it('round-trips metadata, including unicode and empty strings', () => {
    const metadata = { format: 'pt', note: 'β-VAE ✓ "quoted"\n', empty: '', latent_dim: '16' };
    const bytes = encodeSafetensors({ x: { dtype: 'U8', shape: [1], data: new Uint8Array([9]) } }, metadata);
    expect(decodeSafetensors(bytes).metadata).toEqual(metadata);
  });

  it('pads the header to 8 bytes and places every tensor on its natural alignment', () => {
    const bytes = encodeSafetensors({
      a: { dtype: 'U8', shape: [3], data: new Uint8Array(3) },
      b: { dtype: 'F64', shape: [1], data: new Float64Array(1) },
      c: { dtype: 'F32', shape: [1], data: new Float32Array(1) },
      d: { dtype: 'U8', shape: [1], data: new Uint8Array(1) },
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.b.data_offsets).toEqual([0, 8]);
    expect(header.c.data_offsets).toEqual([8, 12]);
    expect(header.a.data_offsets).toEqual([12, 15]);
    expect(header.d.data_offsets).toEqual([15, 16]);
  });

  it('writes the same bytes whatever the insertion order', () => {
    const t = sampleTensors();
    const reversed = Object.fromEntries(Object.entries(t).reverse());
    expect(encodeSafetensors(reversed)).toEqual(encodeSafetensors(t));
  });

  it('decodes into aligned arrays from unaligned input and views on larger buffers', () => {
    const bytes = encodeSafetensors(sampleTensors());
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const view = shifted.subarray(3);
    const { tensors } = decodeSafetensors(view);
    expect(tensors['encoder.w']!.data).toEqual(sampleTensors()['encoder.w']!.data);
    // Encoding from a subarray writes only the view's bytes.
    const big = new Float32Array([1, 2, 3, 4]);
    const out = decodeSafetensors(encodeSafetensors({ v: { dtype: 'F32', shape: [2], data: big.subarray(1, 3) } }));
    expect(Array.from(out.tensors['v']!.data)).toEqual([2, 3]);
  });

  it('keeps a tensor named __proto__ as an ordinary entry', () => {
    const tensors: Record<string, Tensor> = {};
    Object.defineProperty(tensors, '__proto__', {
      value: { dtype: 'U8', shape: [1], data: new Uint8Array([7]) },
      enumerable: true,
    });
    const { tensors: back } = decodeSafetensors(encodeSafetensors(tensors));
    expect(Object.keys(back)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });
});

describe('interop with files the Python library writes', () => {
  // Expected bytes of safetensors' own test: save({"test": np.zeros((2, 2), dtype=np.int32)}).
  const pythonBytes = new Uint8Array([
    0x40, 0, 0, 0, 0, 0, 0, 0,
    ...ascii('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}    '),
    ...new Array(16).fill(0),
  ]);

  it('decodes the reference file and encodes byte-identically', () => {
    const { tensors, metadata } = decodeSafetensors(pythonBytes);
    expect(metadata).toEqual({});
    expect(tensors['test']!.dtype).toBe('I32');
    expect(tensors['test']!.shape).toEqual([2, 2]);
    expect(tensors['test']!.data).toEqual(new Int32Array(4));
    expect(encodeSafetensors(tensors)).toEqual(pythonBytes);
  });

  it('decodes a hand-built file with metadata first and mixed dtypes', () => {
    const header =
      '{"__metadata__":{"format":"pt"},' +
      '"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"n":{"dtype":"I32","shape":[1,1],"data_offsets":[8,12]},' +
      '"m":{"dtype":"U8","shape":[2],"data_offsets":[12,14]}}';
    const json = ascii(header);
    const padded = Math.ceil(json.length / 8) * 8;
    const bytes = new Uint8Array([
      ...u64le(padded),
      ...json,
      ...new Array(padded - json.length).fill(0x20),
      0x00, 0x00, 0x80, 0x3f, // 1.0f
      0x00, 0x00, 0x00, 0xc0, // -2.0f
      0xfe, 0xff, 0xff, 0xff, // -2 (i32)
      0x05, 0xff, // u8
    ]);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt' });
    expect(Array.from(tensors['w']!.data)).toEqual([1, -2]);
    expect(Array.from(tensors['n']!.data)).toEqual([-2]);
    expect(tensors['n']!.shape).toEqual([1, 1]);
    expect(Array.from(tensors['m']!.data)).toEqual([5, 255]);
  });

  it('accepts an unpadded header and a null __metadata__', () => {
    const bytes = buildFile(`{"__metadata__":null,"x":${f32([1], [0, 4])}}`, [0, 0, 0x80, 0x3f], false);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({});
    expect(Array.from(tensors['x']!.data)).toEqual([1]);
  });
});

describe('decode rejects malformed files with a CheckpointError', () => {
  it('files shorter than 8 bytes', () => {
    expectReject(new Uint8Array(0), /0 bytes; expected at least 8/);
    expectReject(new Uint8Array(7), /7 bytes; expected at least 8/);
  });

  it('header lengths past the file or absurdly large', () => {
    const ok = buildFile(`{"x":${f32([1], [0, 4])}}`, [0, 0, 0, 0]);
    const long = ok.slice();
    new DataView(long.buffer).setBigUint64(0, BigInt(ok.length), true);
    expectReject(long, /runs past the end/);
    const huge = ok.slice();
    new DataView(huge.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
    expectReject(huge, /over the 100000000-byte limit/);
    new DataView(huge.buffer).setBigUint64(0, 100_000_001n, true);
    expectReject(huge, /over the 100000000-byte limit/);
  });

  it('headers that are not UTF-8 JSON objects', () => {
    expectReject(buildFile(''), /starting with "\{"/);
    expectReject(buildFile('[1,2]'), /starting with "\{"/);
    expectReject(buildFile(' {}'), /starting with "\{"/);
    expectReject(buildFile('{"x": '), /not valid JSON/);
    expectReject(buildFile('{}}'), /not valid JSON/);
    const badUtf8 = buildFile('{"x":1}');
    badUtf8[10] = 0xff;
    expectReject(badUtf8, /not valid UTF-8/);
  });

  it('tensor entries missing fields or with wrong types', () => {
    const file = (entry: string) => buildFile(`{"x":${entry}}`, [0, 0, 0, 0]);
    expectReject(file('5'), /must be an object/);
    expectReject(file('[]'), /must be an object/);
    expectReject(file('{"shape":[1],"data_offsets":[0,4]}'), /"dtype" must be a string/);
    expectReject(file('{"dtype":32,"shape":[1],"data_offsets":[0,4]}'), /"dtype" must be a string/);
    expectReject(file('{"dtype":"F32","data_offsets":[0,4]}'), /"shape" must be an array/);
    expectReject(file('{"dtype":"F32","shape":"1","data_offsets":[0,4]}'), /"shape" must be an array/);
    expectReject(file('{"dtype":"F32","shape":[1]}'), /"data_offsets" must be \[begin, end\]/);
    expectReject(file('{"dtype":"F32","shape":[1],"data_offsets":[0]}'), /"data_offsets" must be/);
    expectReject(file('{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}'), /"data_offsets" must be/);
    expectReject(file('{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}'), /"data_offsets" must be/);
    expectReject(file('{"dtype":"F32","shape":[1],"data_offsets":[-4,4]}'), /"data_offsets" must be/);
    expectReject(buildFile(`{"":${f32([1], [0, 4])}}`, [0, 0, 0, 0]), /non-empty/);
  });

  it('unknown dtypes, and I64 with its own message', () => {
    const file = (dtype: string, size: number) =>
      buildFile(`{"x":{"dtype":"${dtype}","shape":[1],"data_offsets":[0,${size}]}}`, new Array(size).fill(0));
    expectReject(file('BF16', 2), /unsupported dtype "BF16"; expected one of F32, F64, I32, U32, U8/);
    expectReject(file('f32', 4), /unsupported dtype "f32"/);
    expectReject(file('I64', 8), /I64 is not supported.*convert it to I32/);
  });

  it('negative or non-integer dims', () => {
    const file = (shape: string) => buildFile(`{"x":{"dtype":"F32","shape":${shape},"data_offsets":[0,4]}}`, [0, 0, 0, 0]);
    expectReject(file('[-1]'), /non-negative integers/);
    expectReject(file('[1.5]'), /non-negative integers/);
    expectReject(file('[1e400]'), /non-negative integers/);
    expectReject(file('["1"]'), /non-negative integers/);
    expectReject(file('[null]'), /non-negative integers/);
    expectReject(file('[9007199254740993]'), /non-negative integers/);
    // Error messages must not choke on what they quote: deep nesting, megabyte names.
    expectReject(file('['.repeat(200_000) + ']'.repeat(200_000)), /non-negative integers/);
    const longName = 'n'.repeat(1_000_000);
    let message = '';
    try {
      decodeSafetensors(buildFile(`{"${longName}":5}`));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/must be an object/);
    expect(message.length).toBeLessThan(300);
  });

  it('offsets out of range, reversed, or disagreeing with the shape', () => {
    const data = new Array(8).fill(0);
    expectReject(buildFile(`{"x":${f32([3], [0, 12])}}`, data), /run past the 8-byte data section/);
    expectReject(buildFile(`{"x":${f32([1], [8, 4])}}`, data), /end < begin/);
    expectReject(buildFile(`{"x":${f32([1], [0, 8])}}`, data), /needs 4 bytes but data_offsets span 8/);
    expectReject(buildFile(`{"x":${f32([2, 3], [0, 8])}}`, data), /needs 24 bytes/);
    // A product far past 2^53 must still be compared exactly, not wrap or round to a match.
    expectReject(
      buildFile(`{"x":${f32([4294967296, 4294967296], [0, 8])}}`, data),
      /needs 73786976294838206464 bytes/,
    );
  });

  it('overlapping tensors, holes, and trailing bytes', () => {
    const data = new Array(12).fill(0);
    expectReject(buildFile(`{"a":${f32([2], [0, 8])},"b":${f32([2], [4, 12])}}`, data), /overlaps/);
    expectReject(buildFile(`{"a":${f32([1], [0, 4])},"b":${f32([1], [4, 8])},"c":${f32([1], [4, 8])}}`, new Array(8).fill(0)), /overlaps/);
    expectReject(buildFile(`{"a":${f32([1], [0, 4])},"b":${f32([1], [8, 12])}}`, data), /hole in the data: bytes \[4, 8\)/);
    expectReject(buildFile(`{"a":${f32([1], [4, 8])}}`, new Array(8).fill(0)), /hole in the data: bytes \[0, 4\)/);
    expectReject(buildFile(`{"a":${f32([2], [0, 8])}}`, data), /bytes \[8, 12\) of the data belong to no tensor/);
    expectReject(buildFile('{}', [1]), /bytes \[0, 1\) of the data belong to no tensor/);
    // Zero-byte tensors may sit at any offset, including the shared end.
    const ok = buildFile(`{"a":${f32([2], [0, 8])},"e":${f32([0], [8, 8])},"z":${f32([0, 4], [0, 0])}}`, new Array(8).fill(0));
    expect(Object.keys(decodeSafetensors(ok).tensors).sort()).toEqual(['a', 'e', 'z']);
  });

  it('metadata that is not an object of strings', () => {
    const file = (meta: string) => buildFile(`{"__metadata__":${meta}}`);
    expectReject(file('{"epoch":3}'), /metadata "epoch" is number; metadata values must be strings/);
    expectReject(file('{"a":"ok","b":null}'), /metadata "b" is null/);
    expectReject(file('{"a":{"nested":"x"}}'), /metadata "a" is object/);
    expectReject(file('"text"'), /"__metadata__" must be an object/);
    expectReject(file('["a"]'), /"__metadata__" must be an object/);
    expect(decodeSafetensors(file('{}'))).toEqual({ tensors: {}, metadata: {} });
  });
});

describe('encode validates its input', () => {
  const bad = (tensors: Record<string, unknown>, pattern: RegExp, metadata?: unknown) => {
    let caught: unknown;
    try {
      encodeSafetensors(tensors as Record<string, Tensor>, metadata as Record<string, string>);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CheckpointError);
    expect((caught as Error).message).toMatch(pattern);
  };
  it('rejects length/shape mismatches, wrong array types, bad names and metadata', () => {
    bad({ x: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } }, /holds 4 elements but data has 3/);
    bad({ x: { dtype: 'F32', shape: [], data: new Float32Array(0) } }, /holds 1 elements but data has 0/);
    bad({ x: { dtype: 'F32', shape: [2], data: new Float64Array(2) } }, /needs its data in a Float32Array/);
    bad({ x: { dtype: 'U8', shape: [2], data: [1, 2] } }, /needs its data in a Uint8Array/);
    bad({ x: { dtype: 'I64', shape: [1], data: new BigInt64Array(1) } }, /not one of F32, F64, I32, U32, U8/);
    bad({ x: { dtype: 'F32', shape: [-1], data: new Float32Array(0) } }, /non-negative integers/);
    bad({ x: { dtype: 'F32', shape: [0.5], data: new Float32Array(0) } }, /non-negative integers/);
    bad({ '': { dtype: 'U8', shape: [0], data: new Uint8Array(0) } }, /non-empty/);
    bad({ __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } }, /reserved/);
    bad({ x: null }, /must be an object/);
    bad({ x: { dtype: 'U8', shape: [1n], data: new Uint8Array(1) } }, /got \[\.\.\.\]/);
    bad({}, /metadata "n" must be a string/, { n: 1 });
  });
});

describe('fuzz: mutated files decode consistently or throw CheckpointError', () => {
  const snippets = [
    '"dtype":"F64"', '"dtype":"I64"', '"shape":[]', '"shape":[-1]', '"data_offsets":[0,0]',
    '-1', '1e400', '0.5', 'null', 'true', '[', ']', '{', '}', '"', ',', ':', '"__metadata__"',
    '{"a":1}', '[4294967296,4294967296]', '"__proto__"', '9007199254740993', '',
  ];

  function mutate(src: Uint8Array, rand: () => number): Uint8Array {
    const pick = (n: number) => Math.floor(rand() * n);
    const headerLen = Number(new DataView(src.buffer, src.byteOffset).getBigUint64(0, true));
    let b = src.slice();
    const rounds = 1 + pick(3);
    for (let r = 0; r < rounds; r++) {
      const kind = pick(6);
      if (kind === 0) {
        b = b.slice(0, pick(b.length + 1));
      } else if (kind === 1 && b.length > 8) {
        // flip bits in the header
        const i = 8 + pick(Math.max(1, Math.min(headerLen, b.length - 8)));
        if (i < b.length) b[i]! ^= 1 << pick(8);
      } else if (kind === 2 && b.length > 8 + headerLen) {
        // overwrite data bytes: must never make a valid file invalid
        const i = 8 + headerLen + pick(b.length - 8 - headerLen);
        b[i] = pick(256);
      } else if (kind === 3 && b.length >= 8) {
        const choices = [0n, 1n, BigInt(headerLen + pick(17) - 8), BigInt(b.length), 2n ** 63n + BigInt(pick(1000)), BigInt(pick(2 ** 31))];
        const v = choices[pick(choices.length)]!;
        new DataView(b.buffer, b.byteOffset).setBigUint64(0, v < 0n ? 0n : v, true);
      } else {
        // splice JSON: replace a slice of the header with a snippet and fix the length field
        const text = new TextDecoder().decode(b.subarray(8, 8 + headerLen));
        const at = pick(text.length + 1);
        const cut = pick(12);
        const spliced = text.slice(0, at) + snippets[pick(snippets.length)] + text.slice(at + cut);
        const json = new TextEncoder().encode(spliced);
        const rest = b.subarray(Math.min(b.length, 8 + headerLen));
        const out = new Uint8Array(8 + json.length + rest.length);
        new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
        out.set(json, 8);
        out.set(rest, 8 + json.length);
        b = out;
      }
    }
    return b;
  }

  it('survives 3,000 seeded mutations', () => {
    const source = encodeSafetensors(sampleTensors(), { format: 'pt', epoch: '12' });
    const rand = rng(20240611);
    let decoded = 0;
    let rejected = 0;
    for (let iter = 0; iter < 3000; iter++) {
      const input = mutate(source, rand);
      let result: ReturnType<typeof decodeSafetensors>;
      try {
        result = decodeSafetensors(input);
      } catch (e) {
        if (!(e instanceof CheckpointError)) {
          throw new Error(`iteration ${iter}: ${(e as Error)?.name} escaped: ${(e as Error)?.message}`);
        }
        rejected++;
        continue;
      }
      decoded++;
      // Self-consistent: every tensor's data matches its dtype and shape, metadata is strings,
      // and the result re-encodes and decodes to the same thing.
      const ctors = { F32: Float32Array, F64: Float64Array, I32: Int32Array, U32: Uint32Array, U8: Uint8Array };
      for (const t of Object.values(result.tensors)) {
        expect(t.data).toBeInstanceOf(ctors[t.dtype]);
        expect(t.data.length).toBe(t.shape.reduce((a, d) => a * d, 1));
      }
      for (const v of Object.values(result.metadata)) expect(typeof v).toBe('string');
      const again = decodeSafetensors(encodeSafetensors(result.tensors, result.metadata));
      expect(again.metadata).toEqual(result.metadata);
      expect(Object.keys(again.tensors).sort()).toEqual(Object.keys(result.tensors).sort());
    }
    // Both paths must actually be exercised for the test to mean anything.
    expect(decoded).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(1000);
  });
});

describe('checkpoint files (Node)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'safetensors-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tempsIn = (d: string) => readdirSync(d).filter((f) => f.endsWith('.tmp'));

  it('writes, replaces an existing file, and reads back', async () => {
    const path = join(dir, 'model.safetensors');
    writeFileSync(path, 'old contents');
    await writeCheckpoint(path, sampleTensors(), { format: 'pt' });
    const { tensors, metadata } = await readCheckpoint(path);
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors['encoder.w']!.data).toEqual(sampleTensors()['encoder.w']!.data);
    const bytes = new Uint8Array([1, 2, 3]);
    await writeFileAtomic(path, bytes);
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
    expect(tempsIn(dir)).toEqual([]);
  });

  it('a write into a missing directory fails, leaving no temp file and the old file intact', async () => {
    const path = join(dir, 'keep.safetensors');
    writeFileSync(path, 'old');
    const missing = join(dir, 'no-such-dir', 'keep.safetensors');
    await expect(writeFileAtomic(missing, new Uint8Array([1]))).rejects.toThrow(/no-such-dir.*ENOENT|ENOENT.*no-such-dir/);
    expect(existsSync(join(dir, 'no-such-dir'))).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(tempsIn(dir)).toEqual([]);
  });

  it('a failing source mid-write removes the temp file and keeps the old file', async () => {
    const path = join(dir, 'source.safetensors');
    writeFileSync(path, 'old');
    // Not bytes at all: the temp file is created, then the write itself throws.
    const broken = { length: 4 } as unknown as Uint8Array;
    await expect(writeFileAtomic(path, broken)).rejects.toThrow(/source\.safetensors/);
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(tempsIn(dir)).toEqual([]);
  });

  it('a failing rename removes the temp file and leaves the target alone', async () => {
    const sub = join(dir, 'rename');
    mkdirSync(sub);
    const target = join(sub, 'is-a-dir');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'x');
    await expect(writeFileAtomic(target, new Uint8Array([1]))).rejects.toThrow(/is-a-dir/);
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('x');
    expect(readdirSync(sub)).toEqual(['is-a-dir']);
  });

  it('readCheckpoint names the path in IO and format errors', async () => {
    const missing = join(dir, 'absent.safetensors');
    await expect(readCheckpoint(missing)).rejects.toThrow(CheckpointError);
    await expect(readCheckpoint(missing)).rejects.toThrow(/absent\.safetensors: cannot read/);
    const corrupt = join(dir, 'corrupt.safetensors');
    writeFileSync(corrupt, new Uint8Array([1, 2, 3]));
    await expect(readCheckpoint(corrupt)).rejects.toThrow(CheckpointError);
    await expect(readCheckpoint(corrupt)).rejects.toThrow(/corrupt\.safetensors: safetensors: file is 3 bytes/);
  });
});

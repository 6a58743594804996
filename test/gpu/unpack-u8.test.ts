// unpack_u8.wgsl against its CPU twin: random bytes on counts that are not multiples of 4 or of a
// workgroup, one beyond 65,535 workgroups (the stride loop), through the k / 255 table and a random
// one (a byte-order slip shows). Exact: the kernel copies table entries, so tolerance 0, bit for bit.
import { describe, expect, it } from 'vitest';
import { storageBuffer, storageFrom, readFloats } from '../../src/gpu/buffers';
import { packU8Words, unpackU8 } from '../../src/cpu/unpack-u8';
import { U8_TO_FLOAT } from '../../src/data/image-set';
import { prepareUnpackU8 } from '../../src/kernels/unpack-u8';
import { rng } from '../util/random';
import { poisoned, scoped, submit, useGpu } from './harness';

const gpu = useGpu();

function randomBytes(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

/** Runs the kernel on `bytes` through `table`; the output buffer has 3 floats more than the count, left NaN. */
async function unpackOnGpu(bytes: Uint8Array, table: Float32Array): Promise<Float32Array> {
  const { device, rt } = gpu();
  return scoped(device, async () => {
    const words = packU8Words(bytes);
    const packed = storageBuffer(device, words.length, 'packed');
    device.queue.writeBuffer(packed, 0, words.buffer, words.byteOffset, words.byteLength);
    const tableBuf = storageFrom(device, table, 'table');
    const out = poisoned(device, bytes.length + 3, 'out');
    const op = prepareUnpackU8(rt, { count: bytes.length }, { packed, table: tableBuf, out });
    await submit(device, op.dispatches);
    const got = await readFloats(device, out, bytes.length + 3);
    op.destroy();
    for (const b of [packed, tableBuf, out]) b.destroy();
    return got;
  });
}

function expectSameBits(got: Float32Array, want: Float32Array, what: string) {
  const g = new Uint32Array(got.buffer, got.byteOffset, want.length), w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  const bad = g.findIndex((v, i) => v !== w[i]);
  expect(bad, `${what}: first mismatch at ${bad}: gpu ${got[bad]} cpu ${want[bad]}`).toBe(-1);
}

describe('unpack_u8', () => {
  it('packs bytes little-endian, 4 per word, the last word zero-padded', () => {
    const bytes = Uint8Array.of(1, 2, 3, 4, 250, 6, 7);
    expect(Array.from(packU8Words(bytes))).toEqual([0x04030201, 0x000706fa]);
    expect(Array.from(unpackU8(Uint8Array.of(0, 255, 128), U8_TO_FLOAT))).toEqual([0, 1, Math.fround(128 / 255)]);
    expect(() => unpackU8(bytes, new Float32Array(255))).toThrow(/the table has 255 entries; expected 256/);
  });

  const random = Float32Array.from(randomBytes(256, 9), (v, k) => (v - 128) * 0.37 + k * 1e-3);
  for (const count of [1, 3, 5, 257, 1023, 100_003]) {
    it(`matches the CPU twin bit for bit on ${count} bytes (k / 255 and a random table), and writes nothing past them`, async () => {
      const bytes = randomBytes(count, count);
      for (const [name, table] of [['k / 255', U8_TO_FLOAT], ['random', random]] as const) {
        const got = await unpackOnGpu(bytes, table);
        expectSameBits(got, unpackU8(bytes, table), `${count} bytes, ${name} table`);
        expect(Array.from(got.subarray(count)).every(Number.isNaN), 'the floats past the count stay untouched').toBe(true);
      }
    });
  }

  it('covers 65,535 × 64 words and more with its stride loop (16,777,221 bytes)', async () => {
    const count = 65535 * 64 * 4 + 5;
    const bytes = randomBytes(count, 3);
    expectSameBits(await unpackOnGpu(bytes, random), unpackU8(bytes, random), `${count} bytes`);
  }, 60_000);

  it('refuses buffers too small for the count', () => {
    const { device, rt } = gpu();
    const b = storageBuffer(device, 4, 'b'), table = storageBuffer(device, 256, 't');
    expect(() => prepareUnpackU8(rt, { count: 17 }, { packed: b, table, out: table })).toThrow(/unpack_u8: packed is 5 words \(17 bytes\) = 5 floats \(20 bytes\), but its buffer range holds 16 bytes/);
    expect(() => prepareUnpackU8(rt, { count: 8 }, { packed: b, table: b, out: table })).toThrow(/table is 256/);
    expect(() => prepareUnpackU8(rt, { count: 0 }, { packed: b, table, out: table })).toThrow(/count/);
    b.destroy();
    table.destroy();
  });
});

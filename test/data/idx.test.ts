// Tests for the IDX loader (src/data/idx.ts pure parser, src/data/idx-node.ts file/gzip side):
// plain and gzipped round trips through temp files, every documented error case, and a
// seeded fuzz test that malformed input only ever raises a plain Error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { datasetFromIdx, parseIdx } from '../../src/data/idx';
import { gunzipIfNeeded, loadIdxDataset, parseIdxMaybeGzip, readIdxFile } from '../../src/data/idx-node';
import { rng as mulberry32 } from '../util/random';

/** Encodes an IDX file: 0x00 0x00 type ndims, big-endian u32 dims, then the raw bytes. */
function encodeIdx(dims: number[], data: ArrayLike<number>, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[2] = type;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}


const pixels = Uint8Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 37) % 256);
const imagesIdx = encodeIdx([3, 2, 4], pixels);
const labelsIdx = encodeIdx([3], [7, 0, 255]);

const dir = mkdtempSync(join(tmpdir(), 'vae-idx-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function writeTemp(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Captures the thrown value so tests can check both its class and message. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    expect(Object.getPrototypeOf(e)).toBe(Error.prototype);
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('parseIdx', () => {
  it('parses u8 images and labels', () => {
    const img = parseIdx(imagesIdx);
    expect(img.dims).toEqual([3, 2, 4]);
    expect(Array.from(img.data)).toEqual(Array.from(pixels));
    const lab = parseIdx(labelsIdx);
    expect(lab.dims).toEqual([3]);
    expect(Array.from(lab.data)).toEqual([7, 0, 255]);
  });

  it('reports wrong magic in hex with the expected values', () => {
    const bad = imagesIdx.slice();
    bad.set([0x12, 0x34, 0x56, 0x78]);
    expect(thrown(() => parseIdx(bad, 'f.idx')).message).toMatch(
      /^f\.idx: wrong magic number 0x12345678.*0x00000803.*0x00000801/,
    );
    const twoDims = encodeIdx([6, 4], pixels);
    expect(thrown(() => parseIdx(twoDims, 'f.idx')).message).toMatch(/wrong magic number 0x00000802.*2 dims/);
  });

  it('reports an unsupported data type byte', () => {
    const f32 = encodeIdx([3, 2, 4], new Uint8Array(96), 0x0d);
    expect(thrown(() => parseIdx(f32, 'f.idx')).message).toMatch(/unsupported IDX data type byte 0x0d \(float32\).*0x08/);
    const weird = encodeIdx([3], [1, 2, 3], 0x42);
    expect(thrown(() => parseIdx(weird)).message).toMatch(/data type byte 0x42 \(unknown type\)/);
  });

  it('reports zero and absurd dims', () => {
    expect(thrown(() => parseIdx(encodeIdx([3, 0, 4], []), 'z.idx')).message).toMatch(/z\.idx: dimension 1 is 0/);
    expect(thrown(() => parseIdx(encodeIdx([0xffffffff, 28, 28], pixels))).message).toMatch(
      /absurd dims 4294967295 × 28 × 28/,
    );
  });

  it('reports truncated data with expected vs found byte counts', () => {
    const cut = imagesIdx.subarray(0, imagesIdx.length - 1);
    expect(thrown(() => parseIdx(cut, 'cut.idx')).message).toMatch(
      /cut\.idx: truncated data: dims 3 × 2 × 4 need 24 bytes .* only 23 bytes/,
    );
  });

  it('reports trailing garbage', () => {
    const extra = new Uint8Array(imagesIdx.length + 5);
    extra.set(imagesIdx);
    expect(thrown(() => parseIdx(extra, 'x.idx')).message).toMatch(/x\.idx: 5 bytes of trailing garbage.*exactly 24/);
  });

  it('reports a header larger than the file', () => {
    expect(thrown(() => parseIdx(imagesIdx.subarray(0, 10), 'h.idx')).message).toMatch(
      /h\.idx: header needs 16 bytes .* only 10 bytes/,
    );
    expect(thrown(() => parseIdx(new Uint8Array([0, 0]), 'h.idx')).message).toMatch(/2 bytes, smaller than the 4-byte/);
    expect(thrown(() => parseIdx(new Uint8Array(0))).message).toMatch(/0 bytes/);
  });

  it('points gzipped input to the Node loader instead of failing on magic', () => {
    expect(thrown(() => parseIdx(gzipSync(imagesIdx), 'g.idx.gz')).message).toMatch(/g\.idx\.gz: .*gzip-compressed/);
  });
});

describe('datasetFromIdx / loadIdxDataset', () => {
  it('round-trips plain and gzipped files', async () => {
    const cases: [string, Uint8Array, Uint8Array][] = [
      ['plain', imagesIdx, labelsIdx],
      ['gz', gzipSync(imagesIdx), gzipSync(labelsIdx)],
      ['mixed', gzipSync(imagesIdx), labelsIdx],
    ];
    for (const [name, img, lab] of cases) {
      const ds = await loadIdxDataset(writeTemp(`${name}-images`, img), writeTemp(`${name}-labels`, lab));
      expect([ds.count, ds.rows, ds.cols, ds.dim]).toEqual([3, 2, 4, 8]);
      expect(Array.from(ds.labels)).toEqual([7, 0, 255]);
      expect(ds.images.length).toBe(24);
      ds.images.forEach((v, i) => expect(v).toBe(Math.fround(pixels[i]! / 255)));
    }
    const raw = await readIdxFile(writeTemp('r.gz', gzipSync(labelsIdx)));
    expect(raw.dims).toEqual([3]);
  });

  it('fills labels with zeros when no labels file is given', async () => {
    const ds = await loadIdxDataset(writeTemp('nolab', imagesIdx));
    expect(Array.from(ds.labels)).toEqual([0, 0, 0]);
  });

  it('rejects a count mismatch and swapped files, naming the files', async () => {
    const img = writeTemp('cm-images', imagesIdx);
    const lab = writeTemp('cm-labels', encodeIdx([2], [1, 2]));
    await expect(loadIdxDataset(img, lab)).rejects.toThrow(/count mismatch: .*cm-images has 3 images but .*cm-labels has 2/);
    await expect(loadIdxDataset(writeTemp('swapped', labelsIdx))).rejects.toThrow(
      /swapped: expected an images file \(magic 0x00000803/,
    );
    expect(() => datasetFromIdx(imagesIdx, imagesIdx)).toThrow(/expected a labels file \(magic 0x00000801/);
  });

  it('reports corrupt and truncated gzip with the file name', async () => {
    const gz = gzipSync(imagesIdx);
    const corrupt = gz.slice();
    for (let i = 10; i < corrupt.length - 8; i++) corrupt[i] ^= 0xa5;
    const p1 = writeTemp('corrupt.gz', corrupt);
    await expect(loadIdxDataset(p1)).rejects.toThrow(/corrupt\.gz: gzip data is corrupt or truncated/);
    const p2 = writeTemp('short.gz', gz.subarray(0, gz.length - 6));
    await expect(readIdxFile(p2)).rejects.toThrow(/short\.gz: gzip data is corrupt or truncated/);
  });

  it('reports a missing file clearly', async () => {
    await expect(loadIdxDataset(join(dir, 'nope'))).rejects.toThrow(/cannot read IDX file .*nope/);
  });

  it('leaves non-gzip bytes untouched', () => {
    expect(gunzipIfNeeded(imagesIdx, 'x')).toBe(imagesIdx);
  });
});

describe('fuzz', () => {
  /** Applies 1–3 random mutations: truncate, overwrite bytes, rewrite a dim, or append bytes. */
  function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
    let b = src.slice();
    const steps = 1 + Math.floor(rnd() * 3);
    const interesting = [0, 1, 2, 3, 4, 23, 24, 25, 255, 256, 0x7fffffff, 0x80000000, 0xffffffff];
    for (let s = 0; s < steps; s++) {
      const kind = Math.floor(rnd() * 4);
      if (kind === 0) {
        b = b.slice(0, Math.floor(rnd() * (b.length + 1)));
      } else if (kind === 1) {
        const flips = 1 + Math.floor(rnd() * 3);
        for (let k = 0; k < flips && b.length > 0; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      } else if (kind === 2) {
        const ndims = b.length >= 4 ? b[3]! : 0;
        const i = Math.floor(rnd() * Math.max(1, Math.min(ndims, 4)));
        const off = 4 + 4 * i;
        if (b.length >= off + 4) {
          const v = rnd() < 0.5 ? interesting[Math.floor(rnd() * interesting.length)]! : Math.floor(rnd() * 2 ** 32);
          new DataView(b.buffer, b.byteOffset).setUint32(off, v, false);
        }
      } else {
        const extra = Uint8Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => Math.floor(rnd() * 256));
        const grown = new Uint8Array(b.length + extra.length);
        grown.set(b);
        grown.set(extra, b.length);
        b = grown;
      }
    }
    return b;
  }

  function check(bytes: Uint8Array, parse: (b: Uint8Array) => { dims: number[]; data: Uint8Array }) {
    try {
      const r = parse(bytes);
      expect(r.dims.length === 1 || r.dims.length === 3).toBe(true);
      expect(r.dims.reduce((a, d) => a * d, 1)).toBe(r.data.length);
      return 'ok';
    } catch (e) {
      // Only plain Errors with a message that names the source; never RangeError/TypeError.
      if (Object.getPrototypeOf(e) !== Error.prototype) throw new Error(`non-plain throw: ${String(e)}`);
      expect((e as Error).message.startsWith('fuzz:')).toBe(true);
      return 'error';
    }
  }

  it('1000 mutations of a plain IDX file either parse consistently or throw Error', () => {
    const rnd = mulberry32(12345);
    const tally = { ok: 0, error: 0 };
    for (let i = 0; i < 1000; i++) {
      const src = i % 2 === 0 ? imagesIdx : labelsIdx;
      tally[check(mutate(src, rnd), (b) => parseIdx(b, 'fuzz:'))]++;
    }
    expect(tally.ok + tally.error).toBe(1000);
    // Both paths are exercised: data-only flips still parse, header damage errors.
    expect(tally.ok).toBeGreaterThan(20);
    expect(tally.error).toBeGreaterThan(500);
  });

  it('1000 mutations of a gzipped IDX file either parse consistently or throw Error', () => {
    const rnd = mulberry32(777);
    const gz = [gzipSync(imagesIdx), gzipSync(labelsIdx)];
    const tally = { ok: 0, error: 0 };
    for (let i = 0; i < 1000; i++) tally[check(mutate(gz[i % 2]!, rnd), (b) => parseIdxMaybeGzip(b, 'fuzz:'))]++;
    expect(tally.ok + tally.error).toBe(1000);
  });
});

// Tests for the PNG writer (src/util/png-node.ts, on pngjs) and image tiling
// (src/util/image-grid.ts): PNGs are decoded back by a small independent decoder below (bitwise
// CRC-32, zlib inflate, all five scanline filters) and checked field by field and pixel by pixel.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  manifoldGrid,
  manifoldLatents,
  normalQuantile,
  reconstructionGrid,
  tileImages,
  toByte,
} from '../../src/util/image-grid';
import { encodePngNode, writePng } from '../../src/util/png-node';
import { rng } from './random';

// ---- independent decoder ----------------------------------------------------------------------

/** Bit-at-a-time CRC-32 (no table), independent of the encoder's implementation. */
function slowCrc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

interface Chunk {
  type: string;
  data: Uint8Array;
  crc: number;
}

interface Decoded {
  chunks: Chunk[];
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  compression: number;
  filter: number;
  interlace: number;
  filterTypes: number[];
  pixels: Uint8Array;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes 8-bit gray / RGB non-interlaced PNGs, asserting every CRC and the chunk order. */
function decodePng(png: Uint8Array): Decoded {
  expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Chunk[] = [];
  let o = 8;
  while (o < png.length) {
    const len = view.getUint32(o, false);
    const type = String.fromCharCode(...png.subarray(o + 4, o + 8));
    const data = png.slice(o + 8, o + 8 + len);
    const crc = view.getUint32(o + 8 + len, false);
    const covered = png.subarray(o + 4, o + 8 + len);
    expect(crc, `${type} CRC`).toBe(slowCrc32(covered));
    expect(crc, `${type} CRC vs node:zlib`).toBe(zlibCrc32(covered));
    chunks.push({ type, data, crc });
    o += 12 + len;
  }
  expect(o).toBe(png.length);
  expect(chunks[0]!.type).toBe('IHDR');
  expect(chunks.at(-1)!.type).toBe('IEND');
  expect(chunks.at(-1)!.data.length).toBe(0);
  const ihdr = chunks[0]!.data;
  expect(ihdr.length).toBe(13);
  const hv = new DataView(ihdr.buffer, ihdr.byteOffset, 13);
  const width = hv.getUint32(0, false);
  const height = hv.getUint32(4, false);
  const [bitDepth, colorType, compression, filter, interlace] = Array.from(ihdr.subarray(8, 13)) as number[];
  expect(bitDepth).toBe(8);
  const channels = colorType === 0 ? 1 : colorType === 2 ? 3 : NaN;
  expect(channels).not.toBeNaN();

  const idats = chunks.filter((c) => c.type === 'IDAT');
  const joined = new Uint8Array(idats.reduce((n, c) => n + c.data.length, 0));
  idats.reduce((at, c) => (joined.set(c.data, at), at + c.data.length), 0);
  const raw = inflateSync(joined);
  const stride = width * channels;
  expect(raw.length).toBe(height * (stride + 1));

  const pixels = new Uint8Array(width * height * channels);
  const filterTypes: number[] = [];
  for (let y = 0; y < height; y++) {
    const ft = raw[y * (stride + 1)]!;
    filterTypes.push(ft);
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= channels ? pixels[y * stride + x - channels]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels]! : 0;
      const pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][ft];
      expect(pred, `filter type ${ft} on row ${y}`).toBeDefined();
      pixels[y * stride + x] = (v + pred!) & 0xff;
    }
  }
  return {
    chunks, width, height, bitDepth: bitDepth!, colorType: colorType!, compression: compression!,
    filter: filter!, interlace: interlace!, filterTypes, pixels,
  };
}

function randomBytes(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

// ---- PNG encoding -----------------------------------------------------------------------------

describe('encodePng', () => {
  it('writes a grayscale PNG with correct IHDR fields, CRCs and pixels (node:zlib)', () => {
    const width = 37, height = 23;
    const pixels = randomBytes(width * height, 7);
    const png = encodePngNode({ width, height, pixels });
    const d = decodePng(png);
    expect(d.chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect([d.width, d.height, d.bitDepth, d.colorType, d.compression, d.filter, d.interlace]).toEqual([
      37, 23, 8, 0, 0, 0, 0,
    ]);
    expect(d.filterTypes.every((f) => f === 0)).toBe(true);
    expect(Buffer.from(d.pixels).equals(Buffer.from(pixels))).toBe(true);
  });

  it('writes RGB (colour type 2) with interleaved channels', () => {
    const width = 5, height = 4;
    const pixels = randomBytes(width * height * 3, 8);
    const d = decodePng(encodePngNode({ width, height, pixels, channels: 3 }));
    expect([d.width, d.height, d.colorType]).toEqual([5, 4, 2]);
    expect(Array.from(d.pixels)).toEqual(Array.from(pixels));
  });

  it('encodes a 1×1 image and compresses a grid', () => {
    expect(Array.from(decodePng(encodePngNode({ width: 1, height: 1, pixels: Uint8Array.of(200) })).pixels)).toEqual([200]);
    const grid = tileImages(new Float32Array(16 * 28 * 28).fill(0.25), 16, 28, 28, 4);
    const deflated = encodePngNode(grid);
    expect(deflated.length).toBeLessThan(grid.pixels.length / 10);
    expect(Array.from(decodePng(deflated).pixels)).toEqual(Array.from(grid.pixels));
  });

  it('rejects bad sizes and channel counts with precise errors', () => {
    expect(() => encodePngNode({ width: 2, height: 2, pixels: new Uint8Array(3) })).toThrow(
      /3 pixel bytes for a 2×2 image with 1 channel\(s\); expected 4/,
    );
    expect(() => encodePngNode({ width: 0, height: 2, pixels: new Uint8Array(0) })).toThrow(/width 0 is invalid/);
    expect(() => encodePngNode({ width: 1.5, height: 2, pixels: new Uint8Array(3) })).toThrow(/width 1.5/);
    expect(() => encodePngNode({ width: 1, height: 1, pixels: new Uint8Array(2), channels: 2 as 1 })).toThrow(
      /channels 2 is unsupported/,
    );
    expect(() => encodePngNode({ width: 2, height: 1, pixels: new Uint8Array(2), channels: 3 })).toThrow(/expected 6/);
  });

  it('writePng writes a decodable file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-png-test-'));
    try {
      const pixels = randomBytes(12, 9);
      const path = join(dir, 'x.png');
      await writePng(path, { width: 4, height: 3, pixels });
      const d = decodePng(new Uint8Array(readFileSync(path)));
      expect([d.width, d.height]).toEqual([4, 3]);
      expect(Array.from(d.pixels)).toEqual(Array.from(pixels));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---- tiling -----------------------------------------------------------------------------------

/** Image i, pixel (y, x) of a 2×3 image gets value (10·i + 3·y + x) / 100: distinct and easy to predict. */
function numbered(count: number, rows = 2, cols = 3): Float32Array {
  const out = new Float32Array(count * rows * cols);
  for (let i = 0; i < count; i++)
    for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) out[(i * rows + y) * cols + x] = (10 * i + 3 * y + x) / 100;
  return out;
}

/** Expected byte at image i, pixel (y, x) of `numbered` (rounded to f32 as stored). */
const cellByte = (i: number, y: number, x: number) => toByte(Math.fround((10 * i + 3 * y + x) / 100));

describe('toByte', () => {
  it('clamps to [0, 1], maps NaN to 0 and rounds v · 255', () => {
    expect([-0.5, 0, 0.5, 1, 1.5, NaN, -Infinity, Infinity, 0.999].map(toByte)).toEqual([
      0, 0, 128, 255, 255, 0, 0, 255, 255,
    ]);
    expect(toByte(1 / 255)).toBe(1);
    expect(toByte(0.4 / 255)).toBe(0);
  });
});

describe('tileImages', () => {
  it('places image i at grid row floor(i / gridCols), column i % gridCols, with padding around and between', () => {
    const rows = 2, cols = 3, pad = 1, gridCols = 2;
    const g = tileImages(numbered(3), 3, rows, cols, gridCols, pad, 1);
    expect([g.width, g.height]).toEqual([2 * (3 + 1) + 1, 2 * (2 + 1) + 1]);
    expect(g.pixels.length).toBe(g.width * g.height);
    const at = (x: number, y: number) => g.pixels[y * g.width + x]!;
    const inCell = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const x0 = pad + (i % gridCols) * (cols + pad);
      const y0 = pad + Math.floor(i / gridCols) * (rows + pad);
      for (let y = 0; y < rows; y++)
        for (let x = 0; x < cols; x++) {
          expect(at(x0 + x, y0 + y), `image ${i} (${y}, ${x})`).toBe(cellByte(i, y, x));
          inCell.add((y0 + y) * g.width + x0 + x);
        }
    }
    // Everything else (borders, gutters, the unused 4th cell) is padding.
    g.pixels.forEach((v, k) => {
      if (!inCell.has(k)) expect(v, `pixel ${k}`).toBe(255);
    });
  });

  it('with pad 0 the images are contiguous and padValue fills only unused cells', () => {
    const g = tileImages(numbered(3), 3, 2, 3, 3, 0, 0);
    expect([g.width, g.height]).toEqual([9, 2]);
    expect(Array.from(g.pixels.subarray(0, 9))).toEqual([0, 1, 2].flatMap((i) => [0, 1, 2].map((x) => cellByte(i, 0, x))));
    const partial = tileImages(numbered(1), 1, 2, 3, 2, 0, 0.5);
    expect(Array.from(partial.pixels.subarray(3, 6))).toEqual([128, 128, 128]);
  });

  it('clamps out-of-range values', () => {
    const g = tileImages(Float32Array.of(-1, 0.5, 2, NaN), 1, 2, 2, 1, 0);
    expect(Array.from(g.pixels)).toEqual([0, 128, 255, 0]);
  });

  it('rejects inconsistent arguments', () => {
    expect(() => tileImages(new Float32Array(11), 2, 2, 3, 1)).toThrow(/11 values; expected at least 2 × 6 = 12/);
    expect(() => tileImages(new Float32Array(12), 2, 2, 3, 0)).toThrow(/gridCols 0 is invalid/);
    expect(() => tileImages(new Float32Array(12), 2, 2, 3, 1, -1)).toThrow(/pad -1 is invalid/);
    expect(() => tileImages(new Float32Array(12), 0, 2, 3, 1)).toThrow(/count 0 is invalid/);
  });
});

describe('colour grids (HWC, channels fastest)', () => {
  // Image i's pixel (y, x) channel c holds a value that names all four, so a misplaced byte shows.
  const value = (i: number, y: number, x: number, c: number) => ((i * 7 + y * 5 + x * 3 + c * 11) % 17) / 16;
  const colour = (count: number, rows: number, cols: number, channels: number) =>
    Float32Array.from({ length: count * rows * cols * channels }, (_, k) => {
      const c = k % channels, x = Math.floor(k / channels) % cols, y = Math.floor(k / (channels * cols)) % rows;
      return value(Math.floor(k / (channels * cols * rows)), y, x, c);
    });

  it('3 channels tile as RGB at H×W (a non-square 3×5 image, an unused cell), and decode back from the PNG', () => {
    const rows = 3, cols = 5, pad = 1, gridCols = 2;
    const g = tileImages(colour(3, rows, cols, 3), 3, rows, cols, gridCols, pad, 1, 3);
    expect([g.width, g.height, g.channels]).toEqual([2 * (cols + 1) + 1, 2 * (rows + 1) + 1, 3]);
    const png = decodePng(encodePngNode(g));
    expect([png.colorType, png.width, png.height]).toEqual([2, g.width, g.height]);
    for (let i = 0; i < 4; i++) {
      const x0 = pad + (i % gridCols) * (cols + pad), y0 = pad + Math.floor(i / gridCols) * (rows + pad);
      for (let y = 0; y < rows; y++)
        for (let x = 0; x < cols; x++)
          for (let c = 0; c < 3; c++) {
            const got = png.pixels[((y0 + y) * g.width + x0 + x) * 3 + c];
            expect(got, `image ${i} (${y}, ${x}) channel ${c}`).toBe(i < 3 ? toByte(value(i, y, x, c)) : 255);
          }
    }
  });

  it('4 channels draw their first three as RGB, 2 channels their first as grey; reconstruction and manifold grids take channels', () => {
    const four = tileImages(colour(1, 2, 2, 4), 1, 2, 2, 1, 0, 1, 4);
    expect(four.channels).toBe(3);
    expect(Array.from(four.pixels.subarray(0, 3))).toEqual([0, 1, 2].map((c) => toByte(value(0, 0, 0, c))));
    const two = tileImages(colour(1, 2, 2, 2), 1, 2, 2, 1, 0, 1, 2);
    expect([two.channels, two.pixels.length]).toEqual([undefined, 4]);
    expect(Array.from(two.pixels)).toEqual([[0, 0], [0, 1], [1, 0], [1, 1]].map(([y, x]) => toByte(value(0, y!, x!, 0))));
    const r = reconstructionGrid(colour(2, 2, 3, 3), colour(2, 2, 3, 3).map((v) => 1 - v), 2, 2, 3, 2, 0, 1, 3);
    expect([r.width, r.height, r.channels, r.pixels.length]).toEqual([6, 4, 3, 6 * 4 * 3]);
    // The reconstruction row below: pixel (2, 0) of the grid is reconstruction 0's pixel (0, 0).
    expect(Array.from(r.pixels.subarray(2 * 6 * 3, 2 * 6 * 3 + 3))).toEqual([0, 1, 2].map((c) => toByte(1 - value(0, 0, 0, c))));
    const m = manifoldGrid(colour(4, 2, 2, 3), 2, 2, 2, 0, 1, 3);
    expect([m.width, m.height, m.channels]).toEqual([4, 4, 3]);
    expect(() => tileImages(colour(1, 2, 2, 3), 2, 2, 2, 1, 0, 1, 3)).toThrow(/12 values; expected at least 2 × 12 = 24/);
    expect(() => tileImages(colour(1, 2, 2, 3), 1, 2, 2, 1, 0, 1, 0)).toThrow(/channels 0 is invalid/);
  });
});

describe('reconstructionGrid', () => {
  it('puts each chunk of originals directly above its reconstructions', () => {
    const count = 5, perRow = 3, rows = 2, cols = 3, pad = 1;
    const orig = numbered(count);
    // Reconstructions: image i's values shifted by +50 "ids" so they differ from every original.
    const recon = numbered(count + 5).subarray(5 * rows * cols);
    const g = reconstructionGrid(orig, recon, count, rows, cols, perRow, pad, 1);
    expect([g.width, g.height]).toEqual([3 * (3 + 1) + 1, 4 * (2 + 1) + 1]);
    const cell = (gr: number, gc: number) => {
      const out: number[] = [];
      for (let y = 0; y < rows; y++)
        for (let x = 0; x < cols; x++) out.push(g.pixels[(pad + gr * (rows + pad) + y) * g.width + pad + gc * (cols + pad) + x]!);
      return out;
    };
    const expected = (i: number) => [0, 1].flatMap((y) => [0, 1, 2].map((x) => cellByte(i, y, x)));
    for (let i = 0; i < count; i++) {
      const gr = 2 * Math.floor(i / perRow), gc = i % perRow;
      expect(cell(gr, gc), `original ${i}`).toEqual(expected(i));
      expect(cell(gr + 1, gc), `reconstruction ${i}`).toEqual(expected(i + 5));
    }
    expect(cell(2, 2)).toEqual(new Array(6).fill(255));
    expect(cell(3, 2)).toEqual(new Array(6).fill(255));
  });

  it('rejects short reconstructions', () => {
    expect(() => reconstructionGrid(new Float32Array(12), new Float32Array(6), 2, 2, 3)).toThrow(/reconstructions has 6 values/);
  });
});

describe('manifold', () => {
  it('normalQuantile matches known quantiles', () => {
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 7);
    expect(normalQuantile(0.05)).toBeCloseTo(-1.644853627, 7);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326347874, 7);
    expect(normalQuantile(1e-6)).toBeCloseTo(-4.753424309, 6);
    expect(normalQuantile(0.3)).toBeCloseTo(-normalQuantile(0.7), 9);
    expect(() => normalQuantile(0)).toThrow(/outside \(0, 1\)/);
  });

  it('manifoldLatents varies dims[0] along columns and dims[1] down rows (top = high), other coordinates 0', () => {
    const steps = 3, L = 4;
    const z = manifoldLatents(steps, L);
    expect(z.length).toBe(steps * steps * L);
    const q = 1.6448536;
    const point = (r: number, c: number) => Array.from(z.subarray((r * steps + c) * L, (r * steps + c + 1) * L));
    expect(point(0, 0)[0]).toBeCloseTo(-q, 5);
    expect(point(0, 0)[1]).toBeCloseTo(q, 5);
    expect(point(1, 1)).toEqual([0, 0, 0, 0]);
    expect(point(2, 2)[0]).toBeCloseTo(q, 5);
    expect(point(2, 2)[1]).toBeCloseTo(-q, 5);
    for (let k = 0; k < steps * steps; k++) expect(point(Math.floor(k / steps), k % steps).slice(2)).toEqual([0, 0]);
    const custom = manifoldLatents(2, 3, { dims: [2, 0], lo: 0.1, hi: 0.9 });
    expect(custom[0 * 3 + 2]).toBeCloseTo(normalQuantile(0.1), 6); // row 0, col 0: dims[0] = coord 2
    expect(custom[0 * 3 + 0]).toBeCloseTo(normalQuantile(0.9), 6); // top row: dims[1] = coord 0 high
    expect(custom[0 * 3 + 1]).toBe(0);
    expect(manifoldLatents(1, 2)).toEqual(new Float32Array(2));
    expect(() => manifoldLatents(3, 2, { dims: [0, 2] })).toThrow(/dims\[1\] 2 is invalid/);
    expect(() => manifoldLatents(3, 2, { dims: [1, 1] })).toThrow(/two different/);
    expect(() => manifoldLatents(3, 2, { lo: 0, hi: 0.9 })).toThrow(/probability range/);
  });

  it('manifoldGrid tiles steps × steps images seamlessly by default', () => {
    const g = manifoldGrid(numbered(4), 2, 2, 3);
    expect([g.width, g.height]).toEqual([6, 4]);
    // Row 0 of the grid: image 0 row 0, then image 1 row 0.
    expect(Array.from(g.pixels.subarray(0, 6))).toEqual([0, 1].flatMap((i) => [0, 1, 2].map((x) => cellByte(i, 0, x))));
    // Last grid row: image 3, pixel row 1.
    expect(g.pixels[3 * 6 + 5]).toBe(cellByte(3, 1, 2));
  });
});

// Tiles batches of float images (values in [0, 1], clamped) into one 8-bit grid for PNG output, grey
// for one-channel images and RGB for colour ones (HWC, channels fastest): a plain grid, reconstruction
// pairs (originals row above reconstructions row) and the latent-manifold grid with its latent points.
// Pure and browser-safe.

/** An 8-bit image, row-major, grey (channels 1, the default) or RGB interleaved (3); accepted as is by encodePng. */
export interface GrayImage {
  width: number;
  height: number;
  pixels: Uint8Array;
  channels?: 1 | 3;
}

/** The channels a picture of `channels`-channel images has: RGB from the first three of 3 or more, else grey from the first. */
export const pictureChannels = (channels: number): 1 | 3 => (channels >= 3 ? 3 : 1);

/** One grid cell: image `index` of `data` (row-major `rows × cols × channels` images), or null for an empty cell. */
type Cell = { data: ArrayLike<number>; index: number } | null;

/** Maps a float to a byte: clamped to [0, 1], NaN drawn as 0, then rounded v · 255. */
export function toByte(v: number): number {
  if (!(v > 0)) return 0; // also NaN
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

function checkInt(fn: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) {
    throw new Error(`${fn}: ${name} ${v} is invalid; expected an integer ≥ ${min}`);
  }
}

function checkImages(fn: string, name: string, data: ArrayLike<number>, count: number, dim: number): void {
  if (data.length < count * dim) {
    throw new Error(`${fn}: ${name} has ${data.length} values; expected at least ${count} × ${dim} = ${count * dim}`);
  }
}

function checkGeometry(fn: string, rows: number, cols: number, gridCols: number, pad: number, padValue: number, channels = 1): void {
  checkInt(fn, 'rows', rows, 1);
  checkInt(fn, 'cols', cols, 1);
  checkInt(fn, 'gridCols', gridCols, 1);
  checkInt(fn, 'pad', pad, 0);
  checkInt(fn, 'channels', channels, 1);
  if (!Number.isFinite(padValue)) throw new Error(`${fn}: padValue ${padValue} is not a finite number`);
}

/**
 * Lays out `cells` row-major, `gridCols` per grid row. Every cell is `rows × cols` (of `channels`
 * values each, HWC), with `pad` pixels of `padValue` around and between cells (make_grid layout):
 * width = gridCols·(cols + pad) + pad, height = gridRows·(rows + pad) + pad; the picture is RGB for
 * 3 or more channels (the first three), else grey (the first).
 */
function tileCells(cells: Cell[], rows: number, cols: number, gridCols: number, pad: number, padValue: number, channels = 1): GrayImage {
  const gridRows = Math.max(1, Math.ceil(cells.length / gridCols));
  const width = gridCols * (cols + pad) + pad;
  const height = gridRows * (rows + pad) + pad;
  const out = pictureChannels(channels);
  const pixels = new Uint8Array(width * height * out).fill(toByte(padValue));
  const dim = rows * cols * channels;
  cells.forEach((cell, i) => {
    if (cell === null) return;
    const x0 = pad + (i % gridCols) * (cols + pad);
    const y0 = pad + Math.floor(i / gridCols) * (rows + pad);
    const base = cell.index * dim;
    for (let y = 0; y < rows; y++) {
      const dst = ((y0 + y) * width + x0) * out;
      const src = base + y * cols * channels;
      for (let x = 0; x < cols; x++) {
        for (let c = 0; c < out; c++) pixels[dst + x * out + c] = toByte(cell.data[src + x * channels + c]!);
      }
    }
  });
  return out === 1 ? { width, height, pixels } : { width, height, pixels, channels: out };
}

/**
 * Tiles the first `count` images of `images` (row-major `count × rows × cols`, values clamped to
 * [0, 1]) into a grid `gridCols` wide, ceil(count / gridCols) high. Cells are separated and
 * surrounded by `pad` pixels of `padValue` (default 1: white); unused cells in the last row are
 * filled with `padValue` too. Image i sits at grid row floor(i / gridCols), column i % gridCols.
 * `channels` > 1: the images are rows × cols × channels (HWC) and 3 or more draw in colour.
 */
export function tileImages(
  images: ArrayLike<number>,
  count: number,
  rows: number,
  cols: number,
  gridCols: number,
  pad = 2,
  padValue = 1,
  channels = 1,
): GrayImage {
  const fn = 'tileImages';
  checkInt(fn, 'count', count, 1);
  checkGeometry(fn, rows, cols, gridCols, pad, padValue, channels);
  checkImages(fn, 'images', images, count, rows * cols * channels);
  const cells: Cell[] = Array.from({ length: count }, (_, index) => ({ data: images, index }));
  return tileCells(cells, rows, cols, gridCols, pad, padValue, channels);
}

/**
 * Reconstruction grid: the `count` examples are taken `perRow` at a time; each chunk gives two
 * grid rows, originals above their reconstructions, so example i's reconstruction sits directly
 * below it. A short last chunk leaves padding-filled cells. Grid height is 2·ceil(count / perRow) cells.
 */
export function reconstructionGrid(
  originals: ArrayLike<number>,
  reconstructions: ArrayLike<number>,
  count: number,
  rows: number,
  cols: number,
  perRow = 8,
  pad = 2,
  padValue = 1,
  channels = 1,
): GrayImage {
  const fn = 'reconstructionGrid';
  checkInt(fn, 'count', count, 1);
  checkGeometry(fn, rows, cols, perRow, pad, padValue, channels);
  checkImages(fn, 'originals', originals, count, rows * cols * channels);
  checkImages(fn, 'reconstructions', reconstructions, count, rows * cols * channels);
  const cells: Cell[] = [];
  for (let start = 0; start < count; start += perRow) {
    for (const data of [originals, reconstructions]) {
      for (let j = 0; j < perRow; j++) {
        const index = start + j;
        cells.push(index < count ? { data, index } : null);
      }
    }
  }
  return tileCells(cells, rows, cols, perRow, pad, padValue, channels);
}

/**
 * Manifold grid: `steps × steps` decoded images, in the order manifoldLatents produces their
 * latent points (row-major, top row first), tiled `steps` wide. Default pad 0 gives the usual
 * seamless picture.
 */
export function manifoldGrid(
  decoded: ArrayLike<number>,
  steps: number,
  rows: number,
  cols: number,
  pad = 0,
  padValue = 1,
  channels = 1,
): GrayImage {
  checkInt('manifoldGrid', 'steps', steps, 1);
  return tileImages(decoded, steps * steps, rows, cols, steps, pad, padValue, channels);
}

export interface ManifoldOptions {
  /** Latent coordinates varied along the grid's x (columns) and y (rows); default [0, 1]. */
  dims?: [number, number];
  /** Probability range mapped through the standard normal inverse CDF; default 0.05 .. 0.95. */
  lo?: number;
  hi?: number;
}

/**
 * Latent points for a 2-D manifold picture (Kingma & Welling 2014, fig. 4): an evenly spaced grid
 * of probabilities in [lo, hi]² mapped through the standard normal inverse CDF, so each step holds
 * equal prior mass. Returns `steps² × latentDim` values, row-major: grid row r (top first) has
 * z[dims[1]] decreasing from Φ⁻¹(hi), column c has z[dims[0]] increasing from Φ⁻¹(lo); all other
 * coordinates are 0 (the prior mean).
 */
export function manifoldLatents(steps: number, latentDim: number, options: ManifoldOptions = {}): Float32Array {
  const fn = 'manifoldLatents';
  checkInt(fn, 'steps', steps, 1);
  checkInt(fn, 'latentDim', latentDim, 1);
  const [dx, dy] = options.dims ?? [0, 1];
  const lo = options.lo ?? 0.05;
  const hi = options.hi ?? 0.95;
  for (const [name, d] of [['dims[0]', dx], ['dims[1]', dy]] as const) {
    if (!Number.isInteger(d) || d < 0 || d >= latentDim) {
      throw new Error(`${fn}: ${name} ${d} is invalid; expected an integer in 0..${latentDim - 1}`);
    }
  }
  if (dx === dy) throw new Error(`${fn}: dims [${dx}, ${dy}] must be two different coordinates`);
  if (!(lo > 0 && hi < 1 && lo <= hi)) {
    throw new Error(`${fn}: probability range [${lo}, ${hi}] is invalid; expected 0 < lo ≤ hi < 1`);
  }
  // Stepping out from the midpoint keeps the grid symmetric and its centre exactly at (lo + hi) / 2.
  const mid = (lo + hi) / 2;
  const at = (i: number) => normalQuantile(steps === 1 ? mid : mid + ((hi - lo) / 2) * ((2 * i - (steps - 1)) / (steps - 1)));
  const z = new Float32Array(steps * steps * latentDim);
  for (let r = 0; r < steps; r++) {
    for (let c = 0; c < steps; c++) {
      const base = (r * steps + c) * latentDim;
      z[base + dx] = at(c);
      z[base + dy] = at(steps - 1 - r);
    }
  }
  return z;
}

/**
 * Standard normal inverse CDF Φ⁻¹(p) for p in (0, 1): Acklam's rational approximation
 * (relative error < 1.2e-9), exactly 0 at p = 0.5.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: p ${p} is outside (0, 1)`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  if (p < pLow || p > 1 - pLow) {
    const q = Math.sqrt(-2 * Math.log(p < pLow ? p : 1 - p));
    const x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
    return p < pLow ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

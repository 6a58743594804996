// Pictures on canvases: images (values in [0, 1], H×W×C interleaved: MNIST's 28×28×1 digits, or the
// user's own grey or colour images) are laid out at their native resolution with a cell layout, then
// drawn scaled up without smoothing. Layouts know where each cell is and what shape its image has, so
// clicks map back to an image and overlays (selection frames) land on the right cell.
import type { ImageShape } from '../src/base/words';
import type { VaeConfig } from '../src/model/config';
import { fitCanvas } from './chart';

export interface Cell {
  x: number;
  y: number;
  /** Which image of `images` goes here. */
  image: number;
  /** Which of the `sources` it comes from. */
  source: number;
}

export interface Layout {
  width: number;
  height: number;
  cells: Cell[];
  /** Every cell's image. */
  shape: ImageShape;
}

/** MNIST's side: the drawing pad's digits, and every picture of a model that names no image shape. */
export const SIDE = 28;
export const MNIST_SHAPE: ImageShape = { height: SIDE, width: SIDE, channels: 1 };

/** The images a model takes: its config's image shape, else MNIST's (the page's models of 784 inputs). */
export function shapeOf(config: Pick<VaeConfig, 'image' | 'inputDim'> | null | undefined): ImageShape {
  if (config?.image) return config.image;
  if (config && config.inputDim !== SIDE * SIDE) return { height: 1, width: config.inputDim, channels: 1 };
  return MNIST_SHAPE;
}

/** Whether the drawing pad's 28×28 grey digits fit a model (its images are MNIST's shape). */
export function padFits(config: Pick<VaeConfig, 'image' | 'inputDim'> | null | undefined): boolean {
  const s = shapeOf(config);
  return s.height === SIDE && s.width === SIDE && s.channels === 1;
}

/** `count` images of `shape`, `cols` per row, `gap` pixels between and around cells. */
export function gridLayout(count: number, cols: number, gap: number, outer = gap, shape: ImageShape = MNIST_SHAPE): Layout {
  const rows = Math.ceil(count / cols), W = shape.width, H = shape.height;
  const cells: Cell[] = [];
  for (let i = 0; i < count; i++) {
    cells.push({ x: outer + (i % cols) * (W + gap), y: outer + Math.floor(i / cols) * (H + gap), image: i, source: 0 });
  }
  return { width: 2 * outer + cols * W + (cols - 1) * gap, height: 2 * outer + rows * H + (rows - 1) * gap, cells, shape };
}

/**
 * Pairs side by side, `perRow` pairs a row: image i from source 0 (the original) with image i from
 * source 1 (its reconstruction) immediately to its right.
 */
export function pairLayout(count: number, perRow: number, shape: ImageShape = MNIST_SHAPE): Layout {
  // Gaps in proportion to the images (MNIST's: 1, 7, 7 and 4 pixels), at least one pixel.
  const W = shape.width, H = shape.height, k = (n: number) => Math.max(1, Math.round((n * Math.max(W, H)) / SIDE));
  const inner = k(1), between = k(7), rowGap = k(7), outer = k(4);
  const pairW = 2 * W + inner;
  const rows = Math.ceil(count / perRow);
  const cells: Cell[] = [];
  for (let i = 0; i < count; i++) {
    const x = outer + (i % perRow) * (pairW + between);
    const y = outer + Math.floor(i / perRow) * (H + rowGap);
    cells.push({ x, y, image: i, source: 0 }, { x: x + W + inner, y, image: i, source: 1 });
  }
  return { width: 2 * outer + perRow * pairW + (perRow - 1) * between, height: 2 * outer + rows * H + (rows - 1) * rowGap, cells, shape };
}

export interface DrawOptions {
  /** Colour of the gaps between cells. */
  background?: string;
  /** Frames drawn over cells: [cell index, colour]. */
  frames?: [number, string][];
  /** Draws extra marks in layout coordinates after the images (the scaled context is passed). */
  overlay?: (ctx: CanvasRenderingContext2D, scale: number) => void;
}

const scratch = document.createElement('canvas');

/** Draws images from `sources` into the canvas with `layout`; the canvas keeps the layout's aspect ratio. */
export function drawLayout(canvas: HTMLCanvasElement, layout: Layout, sources: ArrayLike<number>[], options: DrawOptions = {}): void {
  const ratio = `${layout.width} / ${layout.height}`;
  if (canvas.style.aspectRatio !== ratio) canvas.style.aspectRatio = ratio;
  scratch.width = layout.width;
  scratch.height = layout.height;
  const sctx = scratch.getContext('2d')!;
  const img = sctx.createImageData(layout.width, layout.height);
  const px = img.data;
  const { height: H, width: W, channels: C } = layout.shape;
  const byte = (v: number) => (v > 0 ? (v >= 1 ? 255 : Math.round(v * 255)) : 0);
  for (const cell of layout.cells) {
    const src = sources[cell.source];
    if (!src) continue;
    const base = cell.image * H * W * C;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = base + (y * W + x) * C;
        const o = 4 * ((cell.y + y) * layout.width + cell.x + x);
        // Grey: one value in R, G and B; colour: the first three channels.
        if (C < 3) px[o] = px[o + 1] = px[o + 2] = byte(src[i]!);
        else { px[o] = byte(src[i]!); px[o + 1] = byte(src[i + 1]!); px[o + 2] = byte(src[i + 2]!); }
        px[o + 3] = 255;
      }
    }
  }
  sctx.putImageData(img, 0, 0);
  const { ctx, width, height } = fitCanvas(canvas);
  ctx.fillStyle = options.background ?? '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(scratch, 0, 0, width, height);
  const scale = width / layout.width;
  for (const [index, colour] of options.frames ?? []) {
    const c = layout.cells[index];
    if (!c) continue;
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2.5;
    ctx.strokeRect(c.x * scale - 1.5, c.y * scale - 1.5, W * scale + 3, H * scale + 3);
  }
  if (options.overlay) {
    ctx.save();
    options.overlay(ctx, scale);
    ctx.restore();
  }
}

/** The cell under a mouse event on a canvas drawn with `layout`, or undefined. */
export function cellAt(canvas: HTMLCanvasElement, layout: Layout, e: MouseEvent): number | undefined {
  const r = canvas.getBoundingClientRect();
  const x = ((e.clientX - r.left) / r.width) * layout.width;
  const y = ((e.clientY - r.top) / r.height) * layout.height;
  const { width: W, height: H } = layout.shape;
  const i = layout.cells.findIndex((c) => x >= c.x - 1 && x < c.x + W + 1 && y >= c.y - 1 && y < c.y + H + 1);
  return i < 0 ? undefined : i;
}

// Digit pictures on canvases: images (values in [0, 1], row-major 28×28) are laid out at their native
// resolution with a cell layout, then drawn scaled up without smoothing. Layouts know where each cell
// is, so clicks map back to an image and overlays (selection frames) land on the right cell.
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
}

export const SIDE = 28;

/** `count` images, `cols` per row, `gap` pixels between and around cells. */
export function gridLayout(count: number, cols: number, gap: number, outer = gap): Layout {
  const rows = Math.ceil(count / cols);
  const cells: Cell[] = [];
  for (let i = 0; i < count; i++) {
    cells.push({ x: outer + (i % cols) * (SIDE + gap), y: outer + Math.floor(i / cols) * (SIDE + gap), image: i, source: 0 });
  }
  return { width: 2 * outer + cols * SIDE + (cols - 1) * gap, height: 2 * outer + rows * SIDE + (rows - 1) * gap, cells };
}

/**
 * Pairs side by side, `perRow` pairs a row: image i from source 0 (the original) with image i from
 * source 1 (its reconstruction) immediately to its right.
 */
export function pairLayout(count: number, perRow: number): Layout {
  const inner = 1, between = 7, rowGap = 7, outer = 4;
  const pairW = 2 * SIDE + inner;
  const rows = Math.ceil(count / perRow);
  const cells: Cell[] = [];
  for (let i = 0; i < count; i++) {
    const x = outer + (i % perRow) * (pairW + between);
    const y = outer + Math.floor(i / perRow) * (SIDE + rowGap);
    cells.push({ x, y, image: i, source: 0 }, { x: x + SIDE + inner, y, image: i, source: 1 });
  }
  return { width: 2 * outer + perRow * pairW + (perRow - 1) * between, height: 2 * outer + rows * SIDE + (rows - 1) * rowGap, cells };
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
  for (const cell of layout.cells) {
    const src = sources[cell.source];
    if (!src) continue;
    const base = cell.image * SIDE * SIDE;
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const v = src[base + y * SIDE + x]!;
        const g = v > 0 ? (v >= 1 ? 255 : Math.round(v * 255)) : 0;
        const o = 4 * ((cell.y + y) * layout.width + cell.x + x);
        px[o] = px[o + 1] = px[o + 2] = g;
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
    ctx.strokeRect(c.x * scale - 1.5, c.y * scale - 1.5, SIDE * scale + 3, SIDE * scale + 3);
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
  const i = layout.cells.findIndex((c) => x >= c.x - 1 && x < c.x + SIDE + 1 && y >= c.y - 1 && y < c.y + SIDE + 1);
  return i < 0 ? undefined : i;
}

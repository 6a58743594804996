// The drawing pad: the user draws a digit with the mouse, a pen or a finger (pointer events) on a
// 280×280 canvas; image() makes it an MNIST-like 28×28 digit the way MNIST's were made: the ink's
// bounding box scaled (aspect kept) into a 20×20 box, anti-aliased, then centred by its centre of
// mass. onChange fires on every move of a stroke and once more when the stroke ends.
import { SIDE } from './digits';

const PAD = 280;
const BRUSH = 21;

export class DrawPad {
  /** Stroke segments drawn since the last clear (the page's snapshot shows them). */
  strokes = 0;
  private last: [number, number] | null = null;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly box = document.createElement('canvas');
  private ink = false;

  constructor(readonly canvas: HTMLCanvasElement, private readonly onChange: (strokeEnded: boolean) => void) {
    canvas.width = canvas.height = PAD;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    this.box.width = this.box.height = SIDE;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.last = this.at(e);
      this.segment(this.last, this.last);
      this.onChange(false);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.last) return;
      // Every point the browser coalesced into this event, so fast strokes stay smooth.
      for (const p of e.getCoalescedEvents?.() ?? [e]) {
        const next = this.at(p);
        this.segment(this.last, next);
        this.last = next;
      }
      this.onChange(false);
    });
    const end = () => {
      if (!this.last) return;
      this.last = null;
      this.onChange(true);
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  get empty(): boolean {
    return !this.ink;
  }

  clear(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, PAD, PAD);
    this.strokes = 0;
    this.ink = false;
  }

  /** Shows a 28×28 image (values in [0, 1]) on the pad, to draw over. */
  show(x: ArrayLike<number>): void {
    const small = this.box.getContext('2d')!;
    const img = small.createImageData(SIDE, SIDE);
    for (let i = 0; i < SIDE * SIDE; i++) {
      const g = Math.round(255 * Math.min(1, Math.max(0, x[i]!)));
      img.data.set([g, g, g, 255], 4 * i);
    }
    small.putImageData(img, 0, 0);
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.drawImage(this.box, 0, 0, PAD, PAD);
    this.ink = true;
  }

  private at(e: PointerEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * PAD, ((e.clientY - r.top) / r.height) * PAD];
  }

  private segment(a: [number, number], b: [number, number]): void {
    const c = this.ctx;
    c.strokeStyle = '#fff';
    c.lineWidth = BRUSH;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(a[0], a[1]);
    c.lineTo(b[0] + 0.01, b[1]);
    c.stroke();
    this.strokes++;
    this.ink = true;
  }

  /** The drawing as a 28×28 digit in [0, 1], or null when the pad is empty. */
  image(): Float32Array | null {
    const src = this.ctx.getImageData(0, 0, PAD, PAD).data;
    let x0 = PAD, y0 = PAD, x1 = -1, y1 = -1;
    for (let y = 0; y < PAD; y++) {
      for (let x = 0; x < PAD; x++) {
        if (src[4 * (y * PAD + x)]! > 24) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
        }
      }
    }
    if (x1 < 0) return null;
    const w = x1 - x0 + 1, h = y1 - y0 + 1;
    const s = 20 / Math.max(w, h);
    const small = this.box.getContext('2d', { willReadFrequently: true })!;
    small.fillStyle = '#000';
    small.fillRect(0, 0, SIDE, SIDE);
    small.imageSmoothingEnabled = true;
    small.imageSmoothingQuality = 'high';
    small.drawImage(this.canvas, x0, y0, w, h, (SIDE - w * s) / 2, (SIDE - h * s) / 2, w * s, h * s);
    const px = small.getImageData(0, 0, SIDE, SIDE).data;
    const g = Float32Array.from({ length: SIDE * SIDE }, (_, i) => px[4 * i]! / 255);
    // Centre of mass to the middle (an integer shift, as MNIST's preprocessing did).
    let m = 0, cx = 0, cy = 0;
    for (let i = 0; i < g.length; i++) {
      m += g[i]!;
      cx += g[i]! * (i % SIDE);
      cy += g[i]! * Math.floor(i / SIDE);
    }
    const dx = Math.round((SIDE - 1) / 2 - cx / m), dy = Math.round((SIDE - 1) / 2 - cy / m);
    const out = new Float32Array(SIDE * SIDE);
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const sx = x - dx, sy = y - dy;
        if (sx >= 0 && sy >= 0 && sx < SIDE && sy < SIDE) out[y * SIDE + x] = g[sy * SIDE + sx]!;
      }
    }
    return out;
  }
}

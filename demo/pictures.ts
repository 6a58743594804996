// The page's pictures: reconstructions of a row of test digits, prior samples, and the latent manifold
// (2-D latent, with the μ of two chosen digits A and B and optionally every test digit's μ) or an
// interpolation A → B. Computed by the model host (demo/host.ts) between training slices (coalesced:
// one refresh at a time, one more if asked meanwhile) and redrawn from the last result when only the
// selection changes. For a 2-D latent the plane it drew (`plane`) is kept for hovering and overlays.
// A conditional model: the test digits are encoded and reconstructed with their own labels, the
// prior samples, the manifold and the interpolation decoded with the picked class.
import type { MnistSplit } from '../src/data/mnist';
import { STREAMS } from '../src/model/init';
import { gaussianNoise } from '../src/cpu/philox';
import { manifoldLatents } from '../src/util/image-grid';
import type { ModelHost } from './host';
import { drawScatter } from './scatter';
import { drawLayout, gridLayout, pairLayout, shapeOf, type Layout } from './digits';
import type { ImageShape } from '../src/base/words';
import { MANIFOLD_HI, MANIFOLD_LO, MANIFOLD_STEPS, manifoldMap, type PlaneMap } from './latent-plane';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export const SHOWN_DIGITS = 24;
const INTERPOLATION_FRAMES = 10;
const PICTURES_EVERY_MS = 1500;
export const COLORS = { train: '#3f6fd8', test: '#e0762b', a: '#2f7de1', b: '#e8590c' };

/** The pictures' layouts for images of one shape (made again when the model's shape changes). */
function layoutsFor(shape: ImageShape) {
  return {
    key: `${shape.height}×${shape.width}×${shape.channels}`,
    rec: pairLayout(SHOWN_DIGITS, 4, shape),
    sample: gridLayout(64, 8, 2, 2, shape),
    manifold: gridLayout(MANIFOLD_STEPS * MANIFOLD_STEPS, MANIFOLD_STEPS, 0, 0, shape),
    interp: gridLayout(INTERPOLATION_FRAMES + 2, 4, 3, 3, shape),
  };
}

interface Computed {
  gen: number;
  x: Float32Array;
  /** The shown digits' labels. */
  labels: Uint8Array;
  mu: Float32Array;
  recon: Float32Array;
  samples: Float32Array;
  latent: Float32Array | null;
  /** μ of every test digit (2-D latent, when asked for). */
  testMu: Float32Array | null;
}

/** What the pictures read from the page: the model's host (null without a model), the data and the model's generation number. */
export interface PictureSource {
  host(): ModelHost | null;
  data(): MnistSplit | undefined;
  generation(): number;
  /** The class a conditional model's samples and latent pictures decode with (null: unconditional). */
  label(): number | null;
}

const join = (parts: Float32Array[]) => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return out;
};

export class Pictures {
  /** Which test digits are shown (an offset into the evenly spaced selection). */
  shownOffset = 0;
  /** The two digits (indices into the shown row) at the interpolation's ends, and which one a click sets. */
  pick: [number, number] = [0, 17];
  nextPick: 0 | 1 = 0;
  sampleSeed = 0;
  pictures: Computed | null = null;
  /** When the last pictures were computed, and how often to refresh while training. */
  lastAt = 0;
  every = PICTURES_EVERY_MS;
  /** The 2-D plane last drawn (null for a larger latent), and what is drawn over it (the drawn digit's posterior). */
  plane: PlaneMap | null = null;
  overlay: ((ctx: CanvasRenderingContext2D, map: PlaneMap) => void) | null = null;
  private refreshing: Promise<void> | null = null;
  private again = false;
  private made = layoutsFor(shapeOf(null));

  constructor(private readonly env: PictureSource) {}

  /** The image shape of the model's pictures (its config's, MNIST's before there is a model). */
  shape(): ImageShape {
    return shapeOf(this.env.host()?.view.info?.config);
  }

  private layouts() {
    const shape = this.shape();
    if (this.made.key !== `${shape.height}×${shape.width}×${shape.channels}`) this.made = layoutsFor(shape);
    return this.made;
  }

  /** The reconstructions' layout (for clicks on them). */
  recLayout(): Layout {
    return this.layouts().rec;
  }

  /** A new model: forget what was drawn. */
  reset(): void {
    this.pictures = null;
    this.plane = null;
  }

  /** The digit A's image (the first end of the interpolation), once pictures were drawn. */
  digitA(): Float32Array | null {
    const p = this.pictures, D = p ? p.x.length / SHOWN_DIGITS : 0;
    return p ? p.x.slice(this.pick[0] * D, (this.pick[0] + 1) * D) : null;
  }

  /** Digit A's own label, for a conditional model (null otherwise or before pictures). */
  labelA(): number | null {
    const p = this.pictures;
    return p && this.env.host()?.view.info?.config.conditional ? p.labels[this.pick[0]]! : null;
  }

  /** A click on the reconstructions chose digit `digit` as the next end of the interpolation. */
  choose(digit: number): boolean {
    if (!this.pictures || this.pick.includes(digit)) return false;
    this.pick[this.nextPick] = digit;
    this.nextPick = this.nextPick === 0 ? 1 : 0;
    return true;
  }

  private shownIndices(): number[] {
    const n = this.env.data()!.test.count;
    // Evenly spaced through the test set (ordered by class), so every class shows; offset for others.
    return Array.from({ length: SHOWN_DIGITS }, (_, i) => (Math.floor((i * n) / SHOWN_DIGITS) + this.shownOffset) % n);
  }

  private gatherShown(): Float32Array {
    const D = this.env.data()!.test.dim;
    const x = new Float32Array(SHOWN_DIGITS * D);
    this.shownIndices().forEach((j, i) => x.set(this.env.data()!.test.images.subarray(j * D, (j + 1) * D), i * D));
    return x;
  }

  private priorLatents(n: number, latent: number, seed: number): Float32Array {
    return Float32Array.from({ length: n * latent }, (_, i) => gaussianNoise(seed, 0, STREAMS.prior, i));
  }

  private interpolationLatents(mu: Float32Array, latent: number): Float32Array {
    const [a, b] = this.pick;
    const z = new Float32Array(INTERPOLATION_FRAMES * latent);
    for (let f = 0; f < INTERPOLATION_FRAMES; f++) {
      const t = f / (INTERPOLATION_FRAMES - 1);
      for (let d = 0; d < latent; d++) z[f * latent + d] = (1 - t) * mu[a * latent + d]! + t * mu[b * latent + d]!;
    }
    return z;
  }

  /** Recomputes every picture on the GPU (coalesced: one refresh at a time, one more if asked meanwhile). */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        await this.compute();
      } while (this.again);
    })().finally(() => { this.refreshing = null; });
    return this.refreshing;
  }

  private async compute() {
    const host = this.env.host();
    const info = host?.view.info;
    if (!host || !info || !this.env.data()) return;
    const gen = this.env.generation();
    const Z = info.config.latent;
    const x = this.gatherShown();
    const labels = Uint8Array.from(this.shownIndices(), (j) => this.env.data()!.test.labels[j]!);
    const t0 = performance.now();
    try {
      // Two round trips: μ of the shown digits, then everything decoded at once.
      const conditional = !!info.config.conditional;
      const { mu } = await host.call('encode', x, conditional ? labels : undefined);
      const latentZ = Z === 2 ? manifoldLatents(MANIFOLD_STEPS, 2, { lo: MANIFOLD_LO, hi: MANIFOLD_HI }) : this.interpolationLatents(mu, Z);
      const rows = SHOWN_DIGITS + 64 + latentZ.length / Z;
      // The reconstructions with their digits' labels, the rest with the picked class.
      const rowLabels = conditional ? new Uint32Array(rows).fill(this.env.label() ?? 0) : undefined;
      rowLabels?.set(labels);
      const decoded = await host.call('decode', join([mu, this.priorLatents(64, Z, info.config.seed + this.sampleSeed), latentZ]), rowLabels);
      const testMu = Z === 2 && $<HTMLInputElement>('scatter').checked ? await host.call('testMeans') : null;
      if (gen !== this.env.generation()) return;
      const D = info.config.inputDim, n = SHOWN_DIGITS;
      this.pictures = { gen, x, labels, mu, recon: decoded.slice(0, n * D), samples: decoded.slice(n * D, (n + 64) * D), latent: decoded.slice((n + 64) * D), testMu };
      this.lastAt = performance.now();
      this.every = Math.max(PICTURES_EVERY_MS, 6 * (this.lastAt - t0));
      this.draw();
    } catch (e) {
      if (gen === this.env.generation()) throw e;
    }
  }

  /** Redraws from the last computed pictures (selection changes need no GPU for the manifold). */
  draw() {
    const p = this.pictures;
    const info = this.env.host()?.view.info;
    if (!p || !info) return;
    const recFrames: [number, string][] = [[2 * this.pick[0], COLORS.a], [2 * this.pick[1], COLORS.b]];
    const L = this.layouts();
    if (p.x.length !== SHOWN_DIGITS * L.rec.shape.height * L.rec.shape.width * L.rec.shape.channels) return;
    drawLayout($<HTMLCanvasElement>('recon'), L.rec, [p.x, p.recon], { frames: recFrames });
    drawLayout($<HTMLCanvasElement>('samples'), L.sample, [p.samples], { background: '#ffffff' });
    this.drawLatent();
  }

  /** Redraws the latent card alone (the manifold, scatter or interpolation, and what lies over it). */
  drawLatent() {
    const p = this.pictures;
    const info = this.env.host()?.view.info;
    if (!p || !info) return;
    const Z = info.config.latent;
    const canvas = $<HTMLCanvasElement>('latent-canvas');
    if (Z === 2) {
      $('latent-title').textContent = 'Latent manifold (decoder means)';
      $('scatter-toggle').hidden = false;
      $('latent-hint').innerHTML =
        `z₁ (→) and z₂ (↑) at the prior's ${MANIFOLD_LO * 100}%…${MANIFOLD_HI * 100}% quantiles, ${MANIFOLD_STEPS}×${MANIFOLD_STEPS}. ` +
        'Dots: μ of the chosen digits <b class="a">A</b> and <b class="b">B</b>. Tick “scatter” for all test digits’ μ by class.';
      $('pick-target').textContent = 'path marked on the manifold';
      if (!p.latent) return;
      if (p.testMu) {
        $('latent-title').textContent = 'Latent space: μ of the test digits';
        $('latent-hint').innerHTML =
          'μ of q(z|x) for all 1,000 test digits, coloured by class, with the chosen digits <b class="a">A</b> and <b class="b">B</b>. ' +
          'Untick “scatter” for the decoder’s manifold.';
        const m = (i: number, label: string, color: string) => ({ x: p.mu[2 * i]!, y: p.mu[2 * i + 1]!, label, color });
        this.plane = drawScatter(canvas, p.testMu, this.env.data()!.test.labels, [m(this.pick[0], 'A', COLORS.a), m(this.pick[1], 'B', COLORS.b)],
          (ctx, map) => this.overlay?.(ctx, map));
      } else {
        drawLayout(canvas, this.layouts().manifold, [p.latent], {
          overlay: (ctx, scale) => {
            this.plane = manifoldMap(scale, this.shape());
            this.overlay?.(ctx, this.plane);
            this.drawPath(ctx, scale, p.mu);
          },
        });
      }
    } else {
      this.plane = null;
      $('latent-title').textContent = 'Interpolation A → B in latent space';
      $('scatter-toggle').hidden = true;
      $('latent-hint').innerHTML =
        `<b class="a">A</b>, then decode((1 − t)·μ<sub>A</sub> + t·μ<sub>B</sub>) for t = 0 … 1 in ${INTERPOLATION_FRAMES} steps, then <b class="b">B</b>. ` +
        'With a 2-D latent the manifold shows here instead.';
      $('pick-target').textContent = 'interpolation';
      if (!p.latent) return;
      const [a, b] = this.pick;
      const D = info.config.inputDim;
      const frames = new Float32Array((INTERPOLATION_FRAMES + 2) * D);
      frames.set(p.x.subarray(a * D, (a + 1) * D), 0);
      frames.set(p.latent.subarray(0, INTERPOLATION_FRAMES * D), D);
      frames.set(p.x.subarray(b * D, (b + 1) * D), (INTERPOLATION_FRAMES + 1) * D);
      drawLayout(canvas, this.layouts().interp, [frames], { frames: [[0, COLORS.a], [INTERPOLATION_FRAMES + 1, COLORS.b]] });
    }
  }

  /** Where latent point i of `mu` (2-D) sits on the manifold picture, kept `margin` pixels inside it. */
  private manifoldPlace(mu: Float32Array, i: number, scale: number, margin: number): [number, number] {
    const { width: W, height: H } = this.shape();
    const clampX = (q: number) => Math.max(margin, Math.min(MANIFOLD_STEPS * W * scale - margin, q));
    const clampY = (q: number) => Math.max(margin, Math.min(MANIFOLD_STEPS * H * scale - margin, q));
    const [x, y] = manifoldMap(scale, this.shape()).toPx(mu[2 * i]!, mu[2 * i + 1]!);
    return [clampX(x), clampY(y)];
  }

  /** μ_A → μ_B drawn on the manifold. */
  private drawPath(ctx: CanvasRenderingContext2D, scale: number, mu: Float32Array) {
    const [ax, ay] = this.manifoldPlace(mu, this.pick[0], scale, 6);
    const [bx, by] = this.manifoldPlace(mu, this.pick[1], scale, 6);
    ctx.lineWidth = 2;
    ctx.setLineDash([5, 4]);
    ctx.strokeStyle = 'rgba(255,255,255,0.9)';
    ctx.beginPath(); ctx.moveTo(ax, ay); ctx.lineTo(bx, by); ctx.stroke();
    ctx.setLineDash([]);
    ctx.font = 'bold 12px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (const [x, y, colour, label] of [[ax, ay, COLORS.a, 'A'], [bx, by, COLORS.b, 'B']] as const) {
      ctx.beginPath();
      ctx.arc(x, y, 8, 0, 2 * Math.PI);
      ctx.fillStyle = colour;
      ctx.fill();
      ctx.strokeStyle = '#fff';
      ctx.stroke();
      ctx.fillStyle = '#fff';
      ctx.fillText(label, x, y + 0.5);
    }
  }

  async refreshInterpolation() {
    const host = this.env.host();
    const info = host?.view.info;
    if (!host || !info || !this.pictures) return;
    if (info.config.latent === 2) {
      this.draw();
      return;
    }
    const gen = this.env.generation();
    const latent = await host.call('decode', this.interpolationLatents(this.pictures.mu, info.config.latent), this.env.label());
    if (gen !== this.env.generation() || !this.pictures) return;
    this.pictures.latent = latent;
    this.draw();
  }
}

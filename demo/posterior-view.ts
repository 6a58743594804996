// "Draw a digit": the pad (demo/drawing.ts), and what the model makes of the drawing, live while it is
// drawn and while the model trains: the posterior q(z|x) = N(μ, diag σ²) (for a 2-D latent the
// ellipse on the latent plane, else a bar of μ ± σ per unit against the prior's ±1), the
// reconstruction decode(μ), eight samples decode(z), z ~ q(z|x) (fresh noise after each stroke), and
// the ELBO's two parts for this digit; for a conditional model all of it given the picked class.
// One query per answer (coalesced, latest wins, demo/latest.ts).
import { fitCanvas } from './chart';
import { drawLayout, gridLayout, padFits, shapeOf } from './digits';
import { DrawPad } from './drawing';
import type { ModelHost } from './host';
import { drawPosterior, type PlaneMap } from './latent-plane';
import { Latest } from './latest';
import { $, fmt, page, pickedClass } from './page';

export const POSTERIOR_SAMPLES = 8;
const COLOR = '#0f9d76';
/** At most this many units get a bar (the most active ones, when their activity is known). */
const MAX_BARS = 24;

export interface PosteriorEnv {
  host(): ModelHost | null;
  generation(): number;
  /** The units ordered by activity, most active first (null: not known yet). */
  order(): number[] | null;
  /** The posterior changed: redraw what shows it elsewhere (the latent plane). */
  changed(): void;
  /** A stroke ended (or the pad was cleared or filled). */
  strokeEnded(): void;
  fail(e: unknown): void;
}

export class PosteriorView {
  readonly pad: DrawPad;
  private seed = 1;
  private readonly query: Latest<{ x: Float32Array; strokes: number; gen: number }>;

  constructor(private readonly env: PosteriorEnv) {
    this.query = new Latest((q) => this.ask(q), env.fail);
    this.pad = new DrawPad($<HTMLCanvasElement>('pad'), (ended) => {
      if (ended) this.seed++;
      this.refresh();
      if (ended) env.strokeEnded();
    });
    $('pad-clear').addEventListener('click', () => {
      this.pad.clear();
      page.posterior = null;
      this.draw();
      env.changed();
      env.strokeEnded();
    });
  }

  /** Puts an image on the pad (a test digit to start from). */
  use(x: Float32Array): void {
    this.pad.clear();
    this.pad.show(x);
    this.seed++;
    this.refresh();
    this.env.strokeEnded();
  }

  /** Asks again for the pad's digit (it changed, or the model did). */
  refresh(): void {
    const x = this.pad.image();
    const info = this.env.host()?.view.info;
    if (!x || !info || !padFits(info.config)) return;
    this.query.ask({ x, strokes: this.pad.strokes, gen: this.env.generation() });
  }

  private async ask(q: { x: Float32Array; strokes: number; gen: number }): Promise<void> {
    const host = this.env.host();
    if (!host || q.gen !== this.env.generation()) return;
    // A conditional model: the drawing is taken as a digit of the picked class.
    const label = pickedClass();
    const p = await host.call('posterior', q.x, POSTERIOR_SAMPLES, this.seed, label);
    if (q.gen !== this.env.generation()) return;
    page.posterior = { ...p, strokes: q.strokes, source: 'pad', label };
    this.draw();
    this.env.changed();
  }

  /** Forget the last answer (a new model); the drawing stays and is asked about again. */
  reset(): void {
    page.posterior = null;
    this.draw();
  }

  /** The 2-D posterior over the latent plane (the pictures call this when they draw it). */
  overlay(ctx: CanvasRenderingContext2D, map: PlaneMap): void {
    const p = page.posterior;
    if (p && p.mu.length === 2) drawPosterior(ctx, map, p.mu, p.logvar, COLOR);
  }

  draw(): void {
    const p = page.posterior;
    const Z = this.env.host()?.view.info?.config.latent ?? 0;
    const shape = shapeOf(this.env.host()?.view.info?.config);
    drawLayout($<HTMLCanvasElement>('draw-recon'), gridLayout(1, 1, 0, 0, shape), p ? [p.recon] : [], { background: '#000' });
    drawLayout($<HTMLCanvasElement>('draw-samples'), gridLayout(POSTERIOR_SAMPLES, 4, 2, 2, shape), p ? [p.samples] : [], { background: '#ffffff' });
    $('draw-rec').textContent = fmt(p?.rec);
    $('draw-kl').textContent = fmt(p?.kl);
    $('draw-elbo').textContent = p ? fmt(p.rec + p.kl) : '–';
    $('posterior-note').hidden = Z !== 2;
    const bars = $<HTMLCanvasElement>('posterior-bars');
    bars.hidden = Z === 2;
    if (Z !== 2) this.drawBars(bars, p, Z);
  }

  /** One row per unit: the prior's ±1 band, μ ± σ as a bar and μ as a dot, on z ∈ [−3, 3]. */
  private drawBars(canvas: HTMLCanvasElement, p: typeof page.posterior, Z: number): void {
    const units = (this.env.order() ?? Array.from({ length: Z }, (_, u) => u)).slice(0, MAX_BARS);
    canvas.style.height = `${Math.max(60, 14 * units.length + 26)}px`;
    const { ctx, width, height } = fitCanvas(canvas);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    const m = { left: 34, right: 8, top: 4, bottom: 20 };
    const pw = width - m.left - m.right, row = (height - m.top - m.bottom) / Math.max(1, units.length);
    const X = (z: number) => m.left + ((Math.max(-3.2, Math.min(3.2, z)) + 3) / 6) * pw;
    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = '#eef0f3';
    ctx.fillRect(X(-1), m.top, X(1) - X(-1), row * units.length);
    ctx.strokeStyle = '#c3c9d1';
    ctx.beginPath(); ctx.moveTo(X(0) + 0.5, m.top); ctx.lineTo(X(0) + 0.5, m.top + row * units.length); ctx.stroke();
    units.forEach((u, i) => {
      const y = m.top + (i + 0.5) * row;
      ctx.fillStyle = '#5b6472';
      ctx.textAlign = 'right';
      ctx.fillText(`z${u + 1}`, m.left - 4, y);
      if (!p) return;
      const mu = p.mu[u]!, s = Math.exp(0.5 * p.logvar[u]!);
      ctx.fillStyle = COLOR;
      ctx.globalAlpha = 0.35;
      ctx.fillRect(X(mu - s), y - row * 0.3, Math.max(1, X(mu + s) - X(mu - s)), row * 0.6);
      ctx.globalAlpha = 1;
      ctx.beginPath(); ctx.arc(X(mu), y, Math.min(4, row * 0.35), 0, 2 * Math.PI); ctx.fill();
    });
    ctx.fillStyle = '#5b6472';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of [-3, -2, -1, 0, 1, 2, 3]) ctx.fillText(String(t), X(t), m.top + row * units.length + 4);
  }
}

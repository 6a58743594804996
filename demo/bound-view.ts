// "The bound, visibly", for one digit (the drawn one, or the test digit A): the ELBO's two parts for
// it, reconstruction −log p(x|z) (over samples of q) and KL(q(z|x) ‖ p(z)), as a stacked bar; and
// −L_k for k = 1 … kMax on a log axis (from one pass of kMax samples, demo/bound-maths.ts): the
// importance-weighted bound tightens toward −log p(x) as k grows. kMax is ?lkMax= (default 1000).
import { drawChart, fitCanvas } from './chart';
import { drawLayout, gridLayout, shapeOf } from './digits';
import type { ModelHost } from './host';
import { Latest } from './latest';
import { $, fmt, page, pickedClass } from './page';

const REC = '#3f6fd8', KL = '#e0762b';

export interface BoundEnv {
  host(): ModelHost | null;
  generation(): number;
  /** The digit the user drew, and the test digit A (null where there is none). */
  drawn(): Float32Array | null;
  digitA(): Float32Array | null;
  /** Digit A's own label (a conditional model; null otherwise). */
  labelA(): number | null;
  fail(e: unknown): void;
}

export class BoundView {
  private seed = 1;
  private readonly query: Latest<{ gen: number }>;
  lastAt = 0;

  constructor(private readonly env: BoundEnv, readonly kMax: number) {
    this.query = new Latest((q) => this.ask(q.gen), env.fail);
    $('bound-source').addEventListener('change', () => this.refresh());
    $('bound-again').addEventListener('click', () => {
      this.seed++;
      this.refresh();
    });
    $('bound-k').textContent = String(kMax);
  }

  /** Which digit, and its class for a conditional model: the drawn one (the picked class) when chosen and there is a drawing, else digit A (its own label). */
  private digit(): { x: Float32Array; name: string; label: number | null } | null {
    const drawn = $<HTMLSelectElement>('bound-source').value === 'drawn' ? this.env.drawn() : null;
    if (drawn) return { x: drawn, name: 'drawn', label: pickedClass() };
    const a = this.env.digitA();
    return a ? { x: a, name: 'A', label: this.env.labelA() } : null;
  }

  /** The user drew: follow the drawing. */
  preferDrawn(): void {
    $<HTMLSelectElement>('bound-source').value = 'drawn';
    this.refresh();
  }

  /** The picked class changed: only the drawn digit's bound depends on it (digit A has its own label). */
  classChanged(): void {
    if ($<HTMLSelectElement>('bound-source').value === 'drawn' && this.env.drawn()) this.refresh();
  }

  refresh(): void {
    if (this.env.host()?.view.info) this.query.ask({ gen: this.env.generation() });
  }

  reset(): void {
    page.bound = null;
    this.draw();
  }

  private async ask(gen: number): Promise<void> {
    const host = this.env.host();
    const d = this.digit();
    if (!host || !d || gen !== this.env.generation()) return;
    const r = await host.call('bound', d.x, this.kMax, this.seed, d.label);
    if (gen !== this.env.generation()) return;
    page.bound = { ...r, digit: d.name, label: d.label };
    this.lastAt = performance.now();
    drawLayout($<HTMLCanvasElement>('bound-digit'), gridLayout(1, 1, 0, 0, shapeOf(host.view.info?.config)), [d.x], { background: '#000' });
    this.draw();
  }

  draw(): void {
    const b = page.bound;
    const series = b ? [
      { name: '−L_k', color: '#2f5fd0', points: b.ks.map((k, i) => ({ x: k, y: -b.lk[i]! })), markers: true, lineWidth: 2 },
      { name: '−ELBO', color: KL, points: [{ x: b.ks[0]!, y: b.rec + b.kl }, { x: b.ks.at(-1)!, y: b.rec + b.kl }], lineWidth: 1 },
    ] : [];
    drawChart($<HTMLCanvasElement>('bound-chart'), { series, xLabel: 'k (importance samples)', yLabel: 'nats', empty: 'waiting for the model', xLog: true, yFit: 'all' });
    $('bound-text').innerHTML = b
      ? `digit ${b.digit}${b.label === null ? '' : ` (class ${b.label})`} at step ${b.step}: <b class="elbo">−ELBO</b> = ${fmt(b.rec + b.kl)} nats ≥ <b class="lk">−L<sub>${b.ks.at(-1)}</sub></b> = ${fmt(-b.lk.at(-1)!)} ≥ −log p(x)`
      : '';
    this.drawParts(b);
  }

  /** −ELBO = reconstruction + KL as one stacked bar, each part labelled. */
  private drawParts(b: typeof page.bound): void {
    const { ctx, width, height } = fitCanvas($<HTMLCanvasElement>('bound-parts'));
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    if (!b) return;
    const total = b.rec + b.kl;
    // The reconstruction's label above the bar at its left, KL's below at its right: they never meet.
    const w = width - 8, y = 16, h = Math.max(8, height - 32);
    const recW = (Math.max(0, b.rec) / Math.max(total, 1e-9)) * w;
    ctx.fillStyle = REC;
    ctx.fillRect(4, y, recW, h);
    ctx.fillStyle = KL;
    ctx.fillRect(4 + recW, y, Math.max(1, w - recW), h);
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = REC;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'bottom';
    ctx.fillText(`reconstruction −log p(x|z) ${fmt(b.rec)}`, 4, y - 2);
    ctx.fillStyle = KL;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'top';
    ctx.fillText(`KL(q‖p) ${fmt(b.kl)}`, width - 4, y + h + 2);
  }
}

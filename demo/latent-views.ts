// Exploring the latent space. A 2-D latent: hovering the latent card's plane (manifold or scatter)
// decodes the z under the pointer. A larger one: the active-units figure (A_u, the variance over the
// test digits of μ_u, sorted, against Burda et al.'s 0.01) and a traversal of the most active units:
// one slider per unit sets z_u, each row decodes its unit from −3 to 3 with the others at the
// sliders (the others at the drawn digit's μ, else 0; after a stroke the sliders start at its μ),
// and the sliders' own z is decoded large. Queries
// are coalesced (latest wins). A conditional model gets the class picker (#condition, one entry per
// class): the hover and the traversal decode with the picked class, and a new pick asks every view again.
import { conditionClasses, type VaeConfig } from '../src/model/config';
import { ACTIVE_UNIT_THRESHOLD } from '../src/cpu/active-units';
import { fitCanvas } from './chart';
import { drawLayout, gridLayout, shapeOf } from './digits';
import type { ModelHost } from './host';
import type { PlaneMap } from './latent-plane';
import { Latest } from './latest';
import { $, page, pickedClass } from './page';

/** Units with a slider, and the values each traversal row runs through. */
const SLIDERS = 6;
export const TRAVERSAL_VALUES = [-3, -2, -1, 0, 1, 2, 3];

export interface LatentEnv {
  host(): ModelHost | null;
  generation(): number;
  plane(): PlaneMap | null;
  /** The hovered point moved: redraw the plane (its marker). */
  hovered(): void;
  /** The picker chose another class: every view that decodes or encodes asks again. */
  classChanged(): void;
  fail(e: unknown): void;
}

export class LatentViews {
  /** Units by activity, most active first, and their A_u. */
  order: number[] | null = null;
  private activity: Float64Array | null = null;
  private values: number[] = [];
  /** A stroke ended: the sliders take the next posterior's μ. */
  private adopt = false;
  private readonly hover: Latest<{ z: [number, number]; gen: number }>;
  /** The last point hovered (asked again when the class changes). */
  private hoverZ: [number, number] | null = null;
  private readonly traverse: Latest<{ gen: number }>;

  constructor(private readonly env: LatentEnv) {
    this.hover = new Latest((q) => this.decodeHover(q.z, q.gen), env.fail);
    this.traverse = new Latest((q) => this.decodeTraversal(q.gen), env.fail);
    const canvas = $<HTMLCanvasElement>('latent-canvas');
    canvas.addEventListener('pointermove', (e) => {
      const map = env.plane();
      const r = canvas.getBoundingClientRect();
      const z = map?.toZ(e.clientX - r.left, e.clientY - r.top);
      if (!z) return;
      this.hoverZ = z;
      this.hover.ask({ z, gen: env.generation() });
    });
    const picker = $<HTMLSelectElement>('condition');
    picker.addEventListener('change', () => {
      page.condition = Number(picker.value);
      env.classChanged();
    });
  }

  /** The picked class changed: the hover (at its last point) and the traversal decode again. */
  reask(): void {
    const gen = this.env.generation();
    if (this.hoverZ && this.env.host()?.view.info?.config.latent === 2) this.hover.ask({ z: this.hoverZ, gen });
    if (this.order) this.traverse.ask({ gen });
  }

  /** A new model: forget the last answers and lay the cards out for its latent size. */
  reset(config: VaeConfig | null): void {
    this.order = null;
    this.activity = null;
    page.hover = null;
    page.traversal = null;
    const Z = config?.latent ?? 2;
    $('hover-box').hidden = Z !== 2;
    $('traversal-card').hidden = Z === 2;
    this.hoverZ = null;
    const classes = config ? conditionClasses(config) : 0;
    $('condition-picker').hidden = classes === 0;
    // The pick stays across models of as many classes (a Reset keeps the digit one looks at).
    if (page.condition >= classes) page.condition = 0;
    const picker = $<HTMLSelectElement>('condition');
    picker.replaceChildren(...Array.from({ length: classes }, (_, c) => new Option(String(c), String(c))));
    picker.value = String(page.condition);
    this.values = [];
    $('sliders').replaceChildren();
    $('hover-z').textContent = 'hover the plane';
    drawLayout($<HTMLCanvasElement>('hover-canvas'), gridLayout(1, 1, 0, 0, shapeOf(config)), [], { background: '#000' });
  }

  private async decodeHover(z: [number, number], gen: number): Promise<void> {
    const host = this.env.host();
    if (!host || gen !== this.env.generation()) return;
    const label = pickedClass();
    const image = await host.call('decode', Float32Array.from(z), label);
    if (gen !== this.env.generation()) return;
    page.hover = { z, image, step: host.view.step, label };
    drawLayout($<HTMLCanvasElement>('hover-canvas'), gridLayout(1, 1, 0, 0, shapeOf(host.view.info?.config)), [image], { background: '#000' });
    $('hover-z').textContent = `z = (${z[0].toFixed(2)}, ${z[1].toFixed(2)})`;
    this.env.hovered();
  }

  /** The hovered point on the plane: a small ring with a cross. */
  overlay(ctx: CanvasRenderingContext2D, map: PlaneMap): void {
    const h = page.hover;
    if (!h) return;
    const [x, y] = map.toPx(h.z[0]!, h.z[1]!);
    ctx.save();
    for (const [c, w] of [['#fff', 3.5], ['#111', 1.5]] as const) {
      ctx.strokeStyle = c;
      ctx.lineWidth = w;
      ctx.beginPath(); ctx.arc(x, y, 6, 0, 2 * Math.PI); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(x - 10, y); ctx.lineTo(x - 6, y); ctx.moveTo(x + 6, y); ctx.lineTo(x + 10, y);
      ctx.moveTo(x, y - 10); ctx.lineTo(x, y - 6); ctx.moveTo(x, y + 6); ctx.lineTo(x, y + 10); ctx.stroke();
    }
    ctx.restore();
  }

  /** Recomputes the units' activity (a larger latent) and the traversal. */
  async refresh(): Promise<void> {
    const host = this.env.host();
    const Z = host?.view.info?.config.latent ?? 2;
    if (!host || Z === 2) return;
    const gen = this.env.generation();
    const a = await host.call('activity');
    if (gen !== this.env.generation()) return;
    this.activity = a;
    const order = Array.from({ length: Z }, (_, u) => u).sort((p, q) => a[q]! - a[p]!);
    const top = order.slice(0, Math.min(SLIDERS, Z));
    if (top.join() !== this.order?.slice(0, top.length).join()) this.buildSliders(top);
    this.order = order;
    this.drawActivity();
    this.traverse.ask({ gen });
  }

  /** A new drawing: the sliders start from its μ once its posterior comes. */
  adoptNext(): void {
    this.adopt = true;
  }

  /** The drawn digit's posterior changed: the traversal follows its μ (and so do the sliders, after a stroke). */
  follow(): void {
    const mu = page.posterior?.mu;
    if (!this.order) return;
    if (this.adopt && mu) {
      this.adopt = false;
      const inputs = Array.from(document.querySelectorAll<HTMLInputElement>('#sliders input'));
      inputs.forEach((input, i) => {
        const v = Math.max(-3, Math.min(3, mu[Number(input.dataset.unit)] ?? 0));
        this.values[i] = v;
        input.value = String(v);
        input.nextElementSibling!.textContent = v.toFixed(2);
      });
    }
    this.traverse.ask({ gen: this.env.generation() });
  }

  private buildSliders(units: number[]): void {
    this.values = units.map(() => 0);
    $('sliders').replaceChildren(...units.map((u, i) => {
      const label = document.createElement('label');
      const input = Object.assign(document.createElement('input'), { type: 'range', min: '-3', max: '3', step: '0.05', value: '0' });
      input.dataset.unit = String(u);
      const out = document.createElement('output');
      out.textContent = '0.00';
      input.addEventListener('input', () => {
        this.values[i] = Number(input.value);
        out.textContent = this.values[i]!.toFixed(2);
        this.traverse.ask({ gen: this.env.generation() });
      });
      label.append(`z${u + 1}`, input, out);
      return label;
    }));
  }

  /** The latent the sliders set: the drawn digit's μ (else 0) with the slider units replaced. */
  private current(Z: number, units: number[]): Float32Array {
    const base = page.posterior?.mu.length === Z ? Float32Array.from(page.posterior.mu) : new Float32Array(Z);
    units.forEach((u, i) => { base[u] = this.values[i]!; });
    return base;
  }

  private async decodeTraversal(gen: number): Promise<void> {
    const host = this.env.host();
    const Z = host?.view.info?.config.latent ?? 0;
    if (!host || !this.order || gen !== this.env.generation()) return;
    const units = this.order.slice(0, Math.min(SLIDERS, Z));
    const now = this.current(Z, units);
    const V = TRAVERSAL_VALUES.length;
    const z = new Float32Array((units.length * V + 1) * Z);
    units.forEach((u, r) => TRAVERSAL_VALUES.forEach((v, c) => {
      const row = (r * V + c) * Z;
      z.set(now, row);
      z[row + u] = v;
    }));
    z.set(now, units.length * V * Z);
    const images = await host.call('decode', z, pickedClass());
    if (gen !== this.env.generation()) return;
    const D = images.length / (units.length * V + 1);
    const shape = shapeOf(host.view.info?.config);
    drawLayout($<HTMLCanvasElement>('traversal'), gridLayout(units.length * V, V, 2, 2, shape), [images], { background: '#ffffff' });
    drawLayout($<HTMLCanvasElement>('traversal-current'), gridLayout(1, 1, 0, 0, shape), [images.subarray(units.length * V * D)], { background: '#000' });
    $('traversal-rows').textContent = units.map((u) => `z${u + 1}`).join(', ');
    page.traversal = {
      units, activity: units.map((u) => this.activity![u]!), values: [...this.values], z: Array.from(now),
      frames: units.length * V, step: host.view.step,
    };
  }

  /** A_u per unit, sorted, on a log axis, with the 0.01 threshold of an active unit. */
  private drawActivity(): void {
    const a = this.activity, order = this.order;
    if (!a || !order) return;
    const { ctx, width, height } = fitCanvas($<HTMLCanvasElement>('activity'));
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    const m = { left: 36, right: 6, top: 16, bottom: 16 };
    const pw = width - m.left - m.right, ph = height - m.top - m.bottom;
    const lo = -4, hi = Math.max(0.5, Math.ceil(Math.log10(Math.max(...a, 1e-4)) * 2) / 2);
    const Y = (v: number) => m.top + (1 - (Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * ph;
    const w = pw / order.length;
    ctx.font = '10px system-ui, sans-serif';
    ctx.fillStyle = '#5b6472';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let t = lo; t <= hi; t++) ctx.fillText(`1e${t}`, m.left - 4, Y(10 ** t));
    order.forEach((u, i) => {
      const v = a[u]!;
      ctx.fillStyle = v > ACTIVE_UNIT_THRESHOLD ? '#3f6fd8' : '#c3c9d1';
      ctx.fillRect(m.left + i * w + w * 0.1, Y(v), Math.max(1, w * 0.8), m.top + ph - Y(v));
    });
    ctx.strokeStyle = '#e0762b';
    ctx.setLineDash([4, 3]);
    ctx.beginPath(); ctx.moveTo(m.left, Y(ACTIVE_UNIT_THRESHOLD)); ctx.lineTo(m.left + pw, Y(ACTIVE_UNIT_THRESHOLD)); ctx.stroke();
    ctx.setLineDash([]);
    const active = order.filter((u) => a[u]! > ACTIVE_UNIT_THRESHOLD).length;
    ctx.fillStyle = '#1d2330';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(`${active} of ${order.length} units active (A_u > 0.01), most active first`, m.left, 2);
  }
}

// The 2-D latent space as a scatter plot: μ of q(z|x) for every test digit, one colour per class, on
// linear z axes that cover nearly all points (the rest are counted, not hidden), with two marked points;
// returns where z lands on the canvas (demo/latent-plane.ts), for overlays and hovering.
import { fitCanvas, niceTicks } from './chart';
import { linearMap, type PlaneMap } from './latent-plane';

/** Tableau's ten colours, one per digit class. */
export const CLASS_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#79706e'];

export interface Marker {
  x: number;
  y: number;
  label: string;
  color: string;
}

export function drawScatter(canvas: HTMLCanvasElement, mu: Float32Array, labels: ArrayLike<number>, markers: Marker[],
  overlay?: (ctx: CanvasRenderingContext2D, map: PlaneMap) => void): PlaneMap {
  if (canvas.style.aspectRatio !== '1 / 1') canvas.style.aspectRatio = '1 / 1';
  const { ctx, width, height } = fitCanvas(canvas);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  const n = labels.length;
  // A symmetric range holding 99% of the points on each axis, at least ±3.
  const quantile = (axis: number) => {
    const a = Array.from({ length: n }, (_, i) => Math.abs(mu[2 * i + axis]!)).filter(Number.isFinite).sort((p, q) => p - q);
    return a.length ? a[Math.min(a.length - 1, Math.floor(0.99 * a.length))]! : 3;
  };
  const r = Math.max(3, quantile(0), quantile(1)) * 1.05;
  const m = { left: 34, right: 8, top: 24, bottom: 28 };
  const pw = width - m.left - m.right, ph = height - m.top - m.bottom;
  const map = linearMap(r, m.left, m.top, pw, ph);
  const X = (v: number) => map.toPx(v, 0)[0];
  const Y = (v: number) => map.toPx(0, v)[1];
  ctx.font = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  ctx.lineWidth = 1;
  const ticks = niceTicks(-r, r, 5);
  ctx.fillStyle = '#5b6472';
  for (const t of ticks) {
    ctx.strokeStyle = t === 0 ? '#c3c9d1' : '#eef0f3';
    const x = Math.round(X(t)) + 0.5, y = Math.round(Y(t)) + 0.5;
    ctx.beginPath(); ctx.moveTo(x, m.top); ctx.lineTo(x, m.top + ph); ctx.stroke();
    ctx.beginPath(); ctx.moveTo(m.left, y); ctx.lineTo(m.left + pw, y); ctx.stroke();
    ctx.textAlign = 'center'; ctx.textBaseline = 'top';
    ctx.fillText(String(t), x, m.top + ph + 4);
    ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
    ctx.fillText(String(t), m.left - 5, y);
  }
  ctx.strokeStyle = '#c3c9d1';
  ctx.strokeRect(m.left + 0.5, m.top + 0.5, pw, ph);
  ctx.textAlign = 'center'; ctx.textBaseline = 'top';
  ctx.fillText('z₁', m.left + pw / 2, m.top + ph + 15);
  ctx.save(); ctx.translate(9, m.top + ph / 2); ctx.rotate(-Math.PI / 2); ctx.textBaseline = 'middle'; ctx.fillText('z₂', 0, 0); ctx.restore();

  let outside = 0;
  ctx.save();
  ctx.beginPath(); ctx.rect(m.left, m.top, pw, ph); ctx.clip();
  ctx.globalAlpha = 0.75;
  for (let i = 0; i < n; i++) {
    const a = mu[2 * i]!, b = mu[2 * i + 1]!;
    if (!(Math.abs(a) <= r && Math.abs(b) <= r)) { outside++; continue; }
    ctx.fillStyle = CLASS_COLORS[labels[i]! % 10]!;
    ctx.beginPath(); ctx.arc(X(a), Y(b), 2.2, 0, 2 * Math.PI); ctx.fill();
  }
  ctx.globalAlpha = 1;
  overlay?.(ctx, map);
  ctx.font = 'bold 11px system-ui, sans-serif';
  ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
  for (const mk of markers) {
    const x = X(Math.max(-r, Math.min(r, mk.x))), y = Y(Math.max(-r, Math.min(r, mk.y)));
    ctx.beginPath(); ctx.arc(x, y, 7.5, 0, 2 * Math.PI);
    ctx.fillStyle = mk.color; ctx.fill();
    ctx.strokeStyle = '#fff'; ctx.lineWidth = 2; ctx.stroke();
    ctx.fillStyle = '#fff'; ctx.fillText(mk.label, x, y + 0.5);
  }
  ctx.restore();

  // Class legend along the top, and what the axes leave out.
  ctx.font = 'bold 11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'center';
  const step = Math.min(20, pw / 11);
  for (let c = 0; c < 10; c++) {
    ctx.fillStyle = CLASS_COLORS[c]!;
    ctx.fillText(String(c), m.left + 6 + c * step, 11);
  }
  if (outside) {
    ctx.fillStyle = '#5b6472';
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'top';
    ctx.fillText(`${outside} outside ±${r.toFixed(1)}`, m.left + pw, m.top + ph + 15);
  }
  return map;
}

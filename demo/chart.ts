// A small hand-written line chart on a 2-D canvas: nice ticks, grid, HiDPI backing store, series as
// lines (optionally with point markers), many points averaged per pixel column, and a y-axis that
// follows the recent part of the curve: the first steps of training (−ELBO ≈ 543 nats at init)
// would otherwise flatten everything after them; points above the axis are named in a corner note.

export interface ChartPoint {
  x: number;
  y: number;
}

export interface ChartSeries {
  name: string;
  color: string;
  points: readonly ChartPoint[];
  markers?: boolean;
  lineWidth?: number;
}

export interface ChartSpec {
  series: ChartSeries[];
  xLabel: string;
  yLabel: string;
  /** Shown when no series has a point yet. */
  empty: string;
  /** A log₁₀ x-axis (x > 0), ticked at the decades. */
  xLog?: boolean;
  /** 'recent' (the default): the y-range follows the last 90% of x; 'all': every point. */
  yFit?: 'recent' | 'all';
}

const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const TEXT = '#5b6472';
const GRID = '#e8ebef';
const AXIS = '#c3c9d1';

/** Tick values at 1, 2 or 5 × 10^k covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

function formatTick(v: number, step: number): string {
  if (Math.abs(v) >= 10000) return `${+(v / 1000).toFixed(1)}k`;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return v.toFixed(Math.min(decimals, 4));
}

/** Sizes the canvas's backing store to its CSS box × devicePixelRatio; returns the 2-D context in CSS pixels. */
export function fitCanvas(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; width: number; height: number } {
  const dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  const width = Math.max(50, canvas.clientWidth);
  const height = Math.max(50, canvas.clientHeight);
  const w = Math.round(width * dpr), h = Math.round(height * dpr);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, width, height };
}

/** Averages points that fall into the same pixel column (x in plot pixels). */
function decimate(points: readonly ChartPoint[], toPx: (x: number) => number, width: number): ChartPoint[] {
  if (points.length <= width) return [...points];
  const out: ChartPoint[] = [];
  let col = NaN, sx = 0, sy = 0, n = 0;
  for (const p of points) {
    const c = Math.floor(toPx(p.x));
    if (c !== col && n > 0) {
      out.push({ x: sx / n, y: sy / n });
      sx = sy = n = 0;
    }
    col = c;
    sx += p.x; sy += p.y; n++;
  }
  if (n > 0) out.push({ x: sx / n, y: sy / n });
  return out;
}

export function drawChart(canvas: HTMLCanvasElement, spec: ChartSpec): void {
  const { ctx, width, height } = fitCanvas(canvas);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.font = FONT;
  // Room on the right for the last x label, centred on the axis's end.
  const m = { left: 46, right: spec.xLog ? 18 : 12, top: 10, bottom: 30 };
  const pw = width - m.left - m.right, ph = height - m.top - m.bottom;
  const all = spec.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y));
  if (all.length === 0) {
    ctx.strokeStyle = AXIS;
    ctx.strokeRect(m.left + 0.5, m.top + 0.5, pw, ph);
    ctx.fillStyle = TEXT;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(spec.empty, m.left + pw / 2, m.top + ph / 2);
    return;
  }
  const fx = spec.xLog ? (x: number) => Math.log10(x) : (x: number) => x;
  let x0 = Math.min(...all.map((p) => fx(p.x)));
  let x1 = Math.max(...all.map((p) => fx(p.x)));
  if (x1 <= x0) x1 = x0 + 1;
  // The y-range of the last 90% of the steps, unless that leaves out less than a fifth of the range.
  const ys = all.map((p) => p.y);
  let lo = Math.min(...ys), hi = Math.max(...ys);
  const recent = all.filter((p) => fx(p.x) >= x0 + 0.1 * (x1 - x0)).map((p) => p.y);
  if (recent.length >= 2 && spec.yFit !== 'all') {
    const rHi = Math.max(...recent), rLo = Math.min(...recent);
    if (hi - rHi > 0.2 * (rHi - rLo)) hi = rHi;
    lo = Math.min(lo, rLo);
  }
  if (hi - lo < 1e-6 * Math.max(1, Math.abs(hi))) {
    const pad = Math.max(0.5, Math.abs(hi) * 0.02);
    lo -= pad; hi += pad;
  }
  const padY = (hi - lo) * 0.08;
  lo -= padY; hi += padY;
  const yTicks = niceTicks(lo, hi, Math.max(2, Math.floor(ph / 34)));
  // On a log axis the ticks are the decades (in log₁₀ units, labelled 10^t).
  const xTicks = spec.xLog
    ? Array.from({ length: Math.floor(x1) - Math.ceil(x0) + 1 }, (_, i) => Math.ceil(x0) + i)
    : niceTicks(x0, x1, Math.max(2, Math.floor(pw / 70))).filter((v) => Number.isInteger(v));
  const X = (x: number) => m.left + ((fx(x) - x0) / (x1 - x0)) * pw;
  const Xt = (t: number) => m.left + ((t - x0) / (x1 - x0)) * pw;
  const Y = (y: number) => m.top + (1 - (y - lo) / (hi - lo)) * ph;

  // Grid and tick labels.
  ctx.lineWidth = 1;
  ctx.strokeStyle = GRID;
  ctx.fillStyle = TEXT;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  const yStep = yTicks.length > 1 ? yTicks[1]! - yTicks[0]! : 1;
  for (const t of yTicks) {
    const y = Math.round(Y(t)) + 0.5;
    if (y < m.top - 1 || y > m.top + ph + 1) continue;
    ctx.beginPath(); ctx.moveTo(m.left, y); ctx.lineTo(m.left + pw, y); ctx.stroke();
    ctx.fillText(formatTick(t, yStep), m.left - 6, y);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const xStep = xTicks.length > 1 ? xTicks[1]! - xTicks[0]! : 1;
  for (const t of xTicks) {
    const x = Math.round(Xt(t)) + 0.5;
    ctx.beginPath(); ctx.moveTo(x, m.top); ctx.lineTo(x, m.top + ph); ctx.stroke();
    ctx.fillText(spec.xLog ? String(10 ** t) : formatTick(t, xStep), x, m.top + ph + 5);
  }
  ctx.strokeStyle = AXIS;
  ctx.strokeRect(m.left + 0.5, m.top + 0.5, pw, ph);
  ctx.fillText(spec.xLabel, m.left + pw / 2, m.top + ph + 17);
  ctx.save();
  ctx.translate(11, m.top + ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(spec.yLabel, 0, 0);
  ctx.restore();

  // Series, clipped to the plot.
  ctx.save();
  ctx.beginPath();
  ctx.rect(m.left, m.top, pw, ph);
  ctx.clip();
  for (const s of spec.series) {
    const pts = decimate(s.points.filter((p) => Number.isFinite(p.y)), (x) => X(x) - m.left, pw);
    if (pts.length === 0) continue;
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = s.lineWidth ?? 1.5;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    pts.forEach((p, i) => (i === 0 ? ctx.moveTo(X(p.x), Y(p.y)) : ctx.lineTo(X(p.x), Y(p.y))));
    ctx.stroke();
    if (s.markers || pts.length === 1) {
      for (const p of pts) {
        ctx.beginPath();
        ctx.arc(X(p.x), Math.max(m.top + 2, Math.min(m.top + ph - 2, Y(p.y))), 2.6, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }
  ctx.restore();

  // Points above the axis: say so rather than hide them.
  const above = all.filter((p) => p.y > hi);
  if (above.length) {
    const top = above.reduce((a, b) => (b.y > a.y ? b : a));
    ctx.fillStyle = TEXT;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'top';
    ctx.fillText(`↑ up to ${top.y.toFixed(1)} at step ${top.x}`, m.left + pw - 4, m.top + 3);
  }
}

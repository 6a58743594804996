// The 2-D latent plane as the latent card draws it (the decoder's manifold at the prior's quantiles,
// or the scatter of the test digits' μ on linear axes): where a latent z lands on the canvas and
// which z is under a canvas point, and the posterior N(μ, diag σ²) drawn on it as its 1σ and 2σ
// ellipses. Coordinates are the canvas's CSS pixels.
import { normalQuantile } from '../src/util/image-grid';
import type { ImageShape } from '../src/base/words';
import { MNIST_SHAPE } from './digits';

export interface PlaneMap {
  toPx(z1: number, z2: number): [number, number];
  /** The latent under a canvas point, or null outside the plane. */
  toZ(x: number, y: number): [number, number] | null;
}

export const MANIFOLD_STEPS = 15;
export const MANIFOLD_LO = 0.05, MANIFOLD_HI = 0.95;

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t) * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * The manifold picture's plane, `scale` CSS pixels per image pixel, its cells images of `shape`:
 * cell centres at the quantiles LO … HI of N(0, 1) on each axis (z₂ upwards), as manifoldLatents
 * lays them out.
 */
export function manifoldMap(scale: number, shape: ImageShape = MNIST_SHAPE): PlaneMap {
  const W = shape.width, H = shape.height;
  const spanX = (MANIFOLD_STEPS - 1) * W, spanY = (MANIFOLD_STEPS - 1) * H;
  const q = (u: number) => MANIFOLD_LO + u * (MANIFOLD_HI - MANIFOLD_LO);
  return {
    toPx: (z1, z2) => {
      const u = (normalCdf(z1) - MANIFOLD_LO) / (MANIFOLD_HI - MANIFOLD_LO);
      const v = (normalCdf(z2) - MANIFOLD_LO) / (MANIFOLD_HI - MANIFOLD_LO);
      return [(W / 2 + u * spanX) * scale, (H / 2 + (1 - v) * spanY) * scale];
    },
    toZ: (x, y) => {
      const u = (x / scale - W / 2) / spanX, v = 1 - (y / scale - H / 2) / spanY;
      if (x < 0 || y < 0 || x > MANIFOLD_STEPS * W * scale || y > MANIFOLD_STEPS * H * scale) return null;
      // Beyond the outer cell centres the quantiles run on to the plane's edge (within (0, 1)).
      const clamp = (p: number) => Math.min(1 - 1e-4, Math.max(1e-4, p));
      return [normalQuantile(clamp(q(u))), normalQuantile(clamp(q(v)))];
    },
  };
}

/** A linear plane: z in [−r, r]² over the box (left, top, width, height). */
export function linearMap(r: number, left: number, top: number, width: number, height: number): PlaneMap {
  return {
    toPx: (z1, z2) => [left + ((z1 + r) / (2 * r)) * width, top + (1 - (z2 + r) / (2 * r)) * height],
    toZ: (x, y) => {
      if (x < left || y < top || x > left + width || y > top + height) return null;
      return [((x - left) / width) * 2 * r - r, (1 - (y - top) / height) * 2 * r - r];
    },
  };
}

/** The posterior N(μ, diag σ²) of a 2-D latent on the plane: its 1σ and 2σ ellipses and its mean. */
export function drawPosterior(ctx: CanvasRenderingContext2D, map: PlaneMap, mu: ArrayLike<number>, logvar: ArrayLike<number>, color: string): void {
  const s1 = Math.exp(0.5 * logvar[0]!), s2 = Math.exp(0.5 * logvar[1]!);
  ctx.save();
  for (const [k, alpha] of [[2, 0.18], [1, 0.32]] as const) {
    ctx.beginPath();
    for (let i = 0; i <= 72; i++) {
      const t = (2 * Math.PI * i) / 72;
      const [x, y] = map.toPx(mu[0]! + k * s1 * Math.cos(t), mu[1]! + k * s2 * Math.sin(t));
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.closePath();
    ctx.globalAlpha = alpha;
    ctx.fillStyle = color;
    ctx.fill();
    ctx.globalAlpha = 1;
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = color;
    ctx.stroke();
  }
  const [x, y] = map.toPx(mu[0]!, mu[1]!);
  ctx.beginPath();
  ctx.arc(x, y, 4, 0, 2 * Math.PI);
  ctx.fillStyle = color;
  ctx.fill();
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 1.5;
  ctx.stroke();
  ctx.restore();
}

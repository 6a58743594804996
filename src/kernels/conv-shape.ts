// Convolution shapes (NHWC activations, HWIO weights) and the geometry the three conv kernels share:
// the relation out[oh] ← in[oh·s − p + kh] of a convolution, in which a transposed convolution is
// the same relation read the other way (its output is the relation's `in` side).
import type { Activation } from './activation';
import { requirePositiveInt } from './checks';

/** A size for both spatial axes, or [along h, along w]. */
export type Pair = number | readonly [number, number];

export interface Conv2dShape {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outC: number;
  kernel: Pair;
  stride?: Pair;
  padding?: Pair;
  activation?: Activation;
}

export interface ConvTranspose2dShape extends Conv2dShape {
  /** Extra rows and columns at the bottom and right of the output; each < its stride. */
  outputPadding?: Pair;
}

/**
 * One convolution relation: `in` is B×inH×inW×inC, `out` is B×outH×outW×outC, weights KH×KW×inC×outC,
 * and out[n, oh, ow, o] sums in[n, oh·strideH − padH + kh, ow·strideW − padW + kw, c]·W[kh, kw, c, o].
 */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
}

function pair(label: string, name: string, v: Pair | undefined, fallback: number, min: number): [number, number] {
  const [h, w] = v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  for (const [axis, x] of [['h', h], ['w', w]] as const) {
    if (!Number.isInteger(x) || x < min) {
      throw new Error(`${label}: ${name} along ${axis} must be an integer ≥ ${min}, got ${x}`);
    }
  }
  return [h, w];
}

/** The output size of a convolution along one axis. */
export function convOutSize(inSize: number, k: number, stride: number, pad: number): number {
  return Math.floor((inSize + 2 * pad - k) / stride) + 1;
}

function checked(label: string, s: Conv2dShape): Omit<ConvGeometry, 'outH' | 'outW'> {
  for (const name of ['batch', 'inH', 'inW', 'inC', 'outC'] as const) requirePositiveInt(label, name, s[name]);
  const [kH, kW] = pair(label, 'kernel', s.kernel, 1, 1);
  const [strideH, strideW] = pair(label, 'stride', s.stride, 1, 1);
  const [padH, padW] = pair(label, 'padding', s.padding, 0, 0);
  return { batch: s.batch, inH: s.inH, inW: s.inW, inC: s.inC, outC: s.outC, kH, kW, strideH, strideW, padH, padW };
}

/** The geometry of a convolution, checked: its output must be at least 1×1. */
export function conv2dGeometry(label: string, s: Conv2dShape): ConvGeometry {
  const g = checked(label, s);
  if (s.inH + 2 * g.padH < g.kH || s.inW + 2 * g.padW < g.kW) {
    throw new Error(
      `${label}: a ${g.kH}×${g.kW} kernel does not fit the ${s.inH}×${s.inW} input with padding ${g.padH}×${g.padW}; ` +
        'expected input + 2·padding ≥ kernel along each axis',
    );
  }
  return { ...g, outH: convOutSize(s.inH, g.kH, g.strideH, g.padH), outW: convOutSize(s.inW, g.kW, g.strideW, g.padW) };
}

/** The transposed convolution's output size: (in − 1)·stride − 2·padding + kernel + outputPadding. */
export function convTransposeOutSize(inSize: number, k: number, stride: number, pad: number, outPad: number): number {
  return (inSize - 1) * stride - 2 * pad + k + outPad;
}

/**
 * The relation of a transposed convolution: its input is the relation's `out` side, its output
 * (B×outH×outW×outC of the transposed conv) the `in` side, and its weights KH×KW×outC×inC.
 */
export function convTranspose2dGeometry(label: string, s: ConvTranspose2dShape): ConvGeometry {
  const g = checked(label, s);
  const [opH, opW] = pair(label, 'outputPadding', s.outputPadding, 0, 0);
  if (opH >= g.strideH || opW >= g.strideW) {
    throw new Error(`${label}: outputPadding ${opH}×${opW} must be smaller than the stride ${g.strideH}×${g.strideW}`);
  }
  const outH = convTransposeOutSize(s.inH, g.kH, g.strideH, g.padH, opH);
  const outW = convTransposeOutSize(s.inW, g.kW, g.strideW, g.padW, opW);
  if (outH < 1 || outW < 1) {
    throw new Error(`${label}: the output would be ${outH}×${outW}; expected padding small enough for an output of at least 1×1`);
  }
  return {
    batch: s.batch, inH: outH, inW: outW, inC: s.outC, outH: s.inH, outW: s.inW, outC: s.inC,
    kH: g.kH, kW: g.kW, strideH: g.strideH, strideW: g.strideW, padH: g.padH, padW: g.padW,
  };
}

/** Floats of each tensor of a geometry. */
export function convSizes(g: ConvGeometry): { in: number; out: number; weights: number } {
  return { in: g.batch * g.inH * g.inW * g.inC, out: g.batch * g.outH * g.outW * g.outC, weights: g.kH * g.kW * g.inC * g.outC };
}

/** Multiply-adds ×2 of one pass over the relation (forward, input gradient and weight gradient alike). */
export function convFlops(g: ConvGeometry): number {
  return 2 * g.batch * g.outH * g.outW * g.outC * g.kH * g.kW * g.inC;
}

// CPU twins of shaders/conv2d.wgsl, conv2d_transpose.wgsl and conv2d_weight_grad.wgsl in float64,
// written from the definitions as plain loops over the convolution relation (ConvGeometry):
//   out[n, oh, ow, o] = Σ in[n, oh·sh − ph + kh, ow·sw − pw + kw, c] · W[kh, kw, c, o]
// conv2d gathers each output; conv2dTranspose scatters each input of the relation's `out` side
// (no phases, no GEMM): a second formulation, so the finite-difference tests check one against the other.
import type { Activation } from '../kernels/activation';
import { convSizes, type ConvGeometry } from '../kernels/conv-shape';
import { activate } from './activation';

function requireLength(what: string, name: string, a: ArrayLike<number>, n: number): void {
  if (a.length < n) throw new Error(`cpu ${what}: ${name} holds ${a.length} values, expected ${n}`);
}

/** out = act(conv(in, W) + bias): B×outH×outW×outC from B×inH×inW×inC. */
export function conv2d(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null, g: ConvGeometry, act: Activation = 'identity'): Float64Array {
  const sz = convSizes(g);
  requireLength('conv2d', 'x', x, sz.in);
  requireLength('conv2d', 'W', w, sz.weights);
  if (bias) requireLength('conv2d', 'bias', bias, g.outC);
  const y = new Float64Array(sz.out);
  const acc = new Float64Array(g.outC);
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        acc.fill(0);
        for (let kh = 0; kh < g.kH; kh++) {
          const ih = oh * g.strideH - g.padH + kh;
          if (ih < 0 || ih >= g.inH) continue;
          for (let kw = 0; kw < g.kW; kw++) {
            const iw = ow * g.strideW - g.padW + kw;
            if (iw < 0 || iw >= g.inW) continue;
            for (let c = 0; c < g.inC; c++) {
              const v = x[((n * g.inH + ih) * g.inW + iw) * g.inC + c];
              const wr = ((kh * g.kW + kw) * g.inC + c) * g.outC;
              for (let o = 0; o < g.outC; o++) acc[o] += v * w[wr + o];
            }
          }
        }
        const yr = ((n * g.outH + oh) * g.outW + ow) * g.outC;
        for (let o = 0; o < g.outC; o++) y[yr + o] = activate(act, acc[o] + (bias ? bias[o] : 0));
      }
    }
  }
  return y;
}

/**
 * The relation read backwards: r = act(convᵀ(gy, W) + bias), B×inH×inW×inC from B×outH×outW×outC;
 * each gy element adds gy·W[kh, kw, :, o] to the input positions it was computed from. It is the
 * convolution's input gradient and the transposed convolution's forward.
 */
export function conv2dTranspose(gy: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null, g: ConvGeometry, act: Activation = 'identity'): Float64Array {
  const sz = convSizes(g);
  requireLength('conv2dTranspose', 'gy', gy, sz.out);
  requireLength('conv2dTranspose', 'W', w, sz.weights);
  if (bias) requireLength('conv2dTranspose', 'bias', bias, g.inC);
  const r = new Float64Array(sz.in);
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        for (let o = 0; o < g.outC; o++) {
          const v = gy[((n * g.outH + oh) * g.outW + ow) * g.outC + o];
          for (let kh = 0; kh < g.kH; kh++) {
            const ih = oh * g.strideH - g.padH + kh;
            if (ih < 0 || ih >= g.inH) continue;
            for (let kw = 0; kw < g.kW; kw++) {
              const iw = ow * g.strideW - g.padW + kw;
              if (iw < 0 || iw >= g.inW) continue;
              const rr = ((n * g.inH + ih) * g.inW + iw) * g.inC;
              const wr = (kh * g.kW + kw) * g.inC * g.outC + o;
              for (let c = 0; c < g.inC; c++) r[rr + c] += v * w[wr + c * g.outC];
            }
          }
        }
      }
    }
  }
  if (bias || act !== 'identity') {
    for (let i = 0; i < r.length; i++) r[i] = activate(act, r[i] + (bias ? bias[i % g.inC] : 0));
  }
  return r;
}

/** dW[kh, kw, c, o] = Σ_{n, oh, ow} in[n, oh·sh − ph + kh, ow·sw − pw + kw, c] · gy[n, oh, ow, o]. */
export function conv2dWeightGrad(x: ArrayLike<number>, gy: ArrayLike<number>, g: ConvGeometry): Float64Array {
  const sz = convSizes(g);
  requireLength('conv2dWeightGrad', 'x', x, sz.in);
  requireLength('conv2dWeightGrad', 'gy', gy, sz.out);
  const dW = new Float64Array(sz.weights);
  for (let kh = 0; kh < g.kH; kh++) {
    for (let kw = 0; kw < g.kW; kw++) {
      for (let c = 0; c < g.inC; c++) {
        const wr = ((kh * g.kW + kw) * g.inC + c) * g.outC;
        for (let n = 0; n < g.batch; n++) {
          for (let oh = 0; oh < g.outH; oh++) {
            const ih = oh * g.strideH - g.padH + kh;
            if (ih < 0 || ih >= g.inH) continue;
            for (let ow = 0; ow < g.outW; ow++) {
              const iw = ow * g.strideW - g.padW + kw;
              if (iw < 0 || iw >= g.inW) continue;
              const v = x[((n * g.inH + ih) * g.inW + iw) * g.inC + c];
              const gr = ((n * g.outH + oh) * g.outW + ow) * g.outC;
              for (let o = 0; o < g.outC; o++) dW[wr + o] += v * gy[gr + o];
            }
          }
        }
      }
    }
  }
  return dW;
}

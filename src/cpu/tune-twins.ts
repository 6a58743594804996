// The CPU twins a tuner checks candidates against (src/tune/validate.ts), by tunable kernel name:
// each gives the output of the tunable's scratch inputs in float64 and, per entry, the same sum
// over absolute values (what a tolerance is relative to). Shapes are cut down first where the
// twin would be slow: a matmul to at most 40 rows (several 8- and 16-row blocks, a part of a 64-row
// tile), a conv to 1 image (its rows still span several tiles): 0.1–0.3 s of float64 per class here.
import type { ConvGeometry } from '../kernels/conv-shape';
import type { Twin } from '../tune/validate';
import { ACTIVATIONS } from '../kernels/activation';
import { biasGrad } from './bias-grad';
import { conv2d, conv2dTranspose, conv2dWeightGrad } from './conv2d';
import { gradNorm } from './grad-norm';
import { matmul } from './matmul';

type Shape = Readonly<Record<string, number | boolean>>;

const abs = (a: Float32Array): Float64Array => Float64Array.from(a, Math.abs);

/** A twin whose scale is the same function on absolute values (every sum of products). */
function bilinear(shape: ((s: Shape) => Shape) | undefined, f: (s: Shape, x: ArrayLike<number>, y: ArrayLike<number>) => Float64Array, names: [string, string]): Twin {
  return {
    shape,
    reference: (s, inputs) => {
      const [x, y] = names.map((n) => {
        const v = inputs[n];
        if (!v) throw new Error(`tune twin: input '${n}' missing; the tunable gave ${Object.keys(inputs).join(', ')}`);
        return v;
      });
      return { want: f(s, x, y), scale: f(s, abs(x), abs(y)) };
    },
  };
}

const geometry = (s: Shape) => ({ ...s }) as unknown as ConvGeometry;
const fewImages = (s: Shape): Shape => ({ ...s, batch: 1 });

export const TUNE_TWINS: Readonly<Record<string, Twin>> = {
  matmul: bilinear(
    (s) => ({ ...s, M: Math.min(Number(s.M), 40) }),
    (s, A, B) => matmul(A, B, null, { M: Number(s.M), N: Number(s.N), K: Number(s.K), transA: !!s.transA, transB: !!s.transB }),
    ['A', 'B'],
  ),
  conv2d: bilinear(fewImages, (s, x, w) => conv2d(x, w, null, geometry(s)), ['inSide', 'w']),
  conv2d_transpose: bilinear(fewImages, (s, g, w) => conv2dTranspose(g, w, null, geometry(s)), ['outSide', 'w']),
  conv2d_weight_grad: bilinear(fewImages, (s, x, g) => conv2dWeightGrad(x, g, geometry(s)), ['inSide', 'outSide']),
  // dBias = Σ_r dPre[r, ·] with dPre = dY ⊙ f'(Y) (the class's activation); its scale Σ_r |dPre[r, ·]|.
  bias_grad: {
    reference: (s, inputs) => {
      const rows = Number(s.rows), cols = Number(s.cols);
      const { dPre, dBias } = biasGrad(inputs.dY, inputs.Y, rows, cols, ACTIVATIONS[Number(s.act)] ?? 'identity');
      const scale = new Float64Array(cols);
      for (let i = 0; i < dPre.length; i++) scale[i % cols] += Math.abs(dPre[i]);
      return { want: dBias, scale };
    },
  },
  // [‖g‖, min(1, max_norm / (‖g‖ + 1e-6)), Σ g², non-finite flag]: every term of Σ g² is positive,
  // so it is its own scale (and the norm's and the clip scale's relative errors are at most it).
  grad_norm: {
    reference: (_s, inputs) => {
      const r = gradNorm(inputs.grads, inputs.maxNorm[0]);
      return { want: Float64Array.of(r.norm, r.scale, r.sumSquares, r.nonFinite ? 1 : 0), scale: Float64Array.of(r.norm, r.scale, r.sumSquares, 0) };
    },
  },
};

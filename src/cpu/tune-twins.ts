// The CPU twins a tuner checks candidates against (src/tune/validate.ts), by tunable kernel name:
// each gives the output of the tunable's scratch inputs in float64 and, per entry, the same sum
// over absolute values (what a tolerance is relative to). Shapes are cut down first where the
// twin would be slow: a matmul to at most 40 rows (several 8- and 16-row blocks, a part of a 64-row
// tile), a conv to 1 image (its rows still span several tiles): 0.1–0.3 s of float64 per class here.
import type { ConvGeometry } from '../kernels/conv-shape';
import type { Twin } from '../tune/validate';
import { ACTIVATIONS } from '../kernels/activation';
import { biasGrad } from './bias-grad';
import { elbo } from './elbo';
import { iwaeObjective } from './iwae-objective';
import { conv2d, conv2dTranspose, conv2dWeightGrad } from './conv2d';
import { gradNorm } from './grad-norm';
import { matmul } from './matmul';

type Shape = Readonly<Record<string, number | boolean>>;

const abs = (a: Float32Array): Float64Array => Float64Array.from(a, Math.abs);

const input = (inputs: Readonly<Record<string, Float32Array>>, n: string): Float32Array => {
  const v = inputs[n];
  if (!v) throw new Error(`tune twin: input '${n}' missing; the tunable gave ${Object.keys(inputs).join(', ')}`);
  return v;
};

/** A batch of at most 300 examples: past 256, so the batch mean's strided loop runs; the twin stays cheap. */
const fewExamples = (s: Shape): Shape => ({ ...s, batch: Math.min(Number(s.batch), 300) });

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
  // Per-example (rec_b, kl_b), then (loss, mean rec, mean kl, 0), Bernoulli likelihood, β = 1. Every
  // term is ≥ 0 (Bernoulli −log p, and −½(1 + lv − μ² − e^lv) as e^lv ≥ 1 + lv): each sum is its own scale.
  elbo: {
    shape: fewExamples,
    reference: (s, inputs) => {
      const r = elbo(input(inputs, 'logits'), input(inputs, 'x'), input(inputs, 'stats'), { batch: Number(s.batch), dim: Number(s.dim), latent: Number(s.latent) });
      const want = Float64Array.from([...r.perExample, r.loss, r.rec, r.kl, 0]);
      return { want, scale: want.map(Math.abs) };
    },
  },
  // Per-example (−L_b, mean rec, mean kl, ESS), then their batch means, then ŵ (Bernoulli, β = 1).
  // The scales come from each sample's S_r = rec_r + Σ_j |kl_rj| (rec_r ≥ 0): an error δ_r ≤ rel·S_r
  // in log w_r moves −L_b by at most max_r δ_r, ŵ_r by ŵ_r·2·max δ, the ESS by ESS·4·max δ.
  iwae_objective: {
    shape: fewExamples,
    reference: (s, inputs) => {
      const B = Number(s.batch), K = Number(s.samples), D = Number(s.dim), Z = Number(s.latent);
      const stats = input(inputs, 'stats'), eps = input(inputs, 'eps');
      const r = iwaeObjective(input(inputs, 'logits'), input(inputs, 'x'), stats, eps, { batch: B, samples: K, dim: D, latent: Z });
      const rowScale = new Float64Array(4 * B), wScale = new Float64Array(B * K);
      for (let b = 0; b < B; b++) {
        let worst = 0, recAbs = 0, klAbs = 0;
        for (let i = 0; i < K; i++) {
          const row = b * K + i;
          let kl = 0;
          for (let j = 0; j < Z; j++) {
            const lv = stats[b * 2 * Z + Z + j], e = eps[row * Z + j], zz = stats[b * 2 * Z + j] + Math.exp(0.5 * lv) * e;
            kl += Math.abs(-0.5 * e * e - 0.5 * lv + 0.5 * zz * zz);
          }
          const rec = -r.logW[row] - sampledKl(stats, eps, b, row, Z);
          recAbs += Math.abs(rec);
          klAbs += kl;
          worst = Math.max(worst, Math.abs(rec) + kl);
        }
        rowScale.set([Math.abs(r.perExample[4 * b]) + worst, recAbs / K, klAbs / K, 4 * r.perExample[4 * b + 3] * worst], 4 * b);
        for (let i = 0; i < K; i++) wScale[b * K + i] = 2 * r.weights[b * K + i] * worst;
      }
      const mean = [0, 1, 2, 3].map((q) => rowScale.filter((_, i) => i % 4 === q).reduce((a, v) => a + v, 0) / B);
      return { want: Float64Array.from([...r.perExample, r.loss, r.rec, r.kl, r.ess, ...r.weights]), scale: Float64Array.from([...rowScale, ...mean, ...wScale]) };
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

/** The sampled KL of row `row` (example b), log q − log p, as the objective computes it. */
function sampledKl(stats: ArrayLike<number>, eps: ArrayLike<number>, b: number, row: number, Z: number): number {
  let kl = 0;
  for (let j = 0; j < Z; j++) {
    const lv = stats[b * 2 * Z + Z + j], e = eps[row * Z + j], zz = stats[b * 2 * Z + j] + Math.exp(0.5 * lv) * e;
    kl += -0.5 * e * e - 0.5 * lv + 0.5 * zz * zz;
  }
  return kl;
}

// The conv CPU path in float64: every backward rule of the conv and transposed-conv layers (dx, dW,
// db through each activation) against central finite differences; the transposed conv as the
// adjoint of the conv (⟨conv(x), y⟩ = ⟨x, convᵀ(y)⟩, two independently written loops); output sizes.
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS } from '../../src/kernels/activation';
import { conv2dGeometry, convTranspose2dGeometry, type ConvTranspose2dShape } from '../../src/kernels/conv-shape';
import { conv2d, conv2dTranspose } from '../../src/cpu/conv2d';
import { convBackward, convForward, convTransposeBackward, convTransposeForward } from '../../src/cpu/conv-layer';
import { randoms, numericGrad } from '../util/finite-diff';

function expectGrad(label: string, analytic: ArrayLike<number>, numeric: ArrayLike<number>, tol = 1e-6) {
  expect(analytic.length, `${label}: length`).toBe(numeric.length);
  let worst = 0;
  for (let i = 0; i < numeric.length; i++) worst = Math.max(worst, Math.abs(analytic[i] - numeric[i]) / (1 + Math.abs(numeric[i])));
  console.info(`${label}: worst relative gradient error ${worst.toExponential(2)}`);
  expect(worst).toBeLessThan(tol);
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

// Small shapes that still have every feature: stride 2 with padding (the preset's), a kernel larger
// than the stride, odd sizes, output padding, a kernel smaller than the stride, rectangular ones.
const CONVS: ConvTranspose2dShape[] = [
  { batch: 2, inH: 6, inW: 6, inC: 2, outC: 3, kernel: 4, stride: 2, padding: 1 },
  { batch: 1, inH: 7, inW: 5, inC: 1, outC: 2, kernel: 3, stride: [2, 1], padding: [0, 1] },
];
const CONVTS: ConvTranspose2dShape[] = [
  { batch: 2, inH: 3, inW: 3, inC: 3, outC: 2, kernel: 4, stride: 2, padding: 1 },
  { batch: 1, inH: 3, inW: 2, inC: 2, outC: 3, kernel: 3, stride: 2, padding: 1, outputPadding: 1 },
  { batch: 1, inH: 2, inW: 3, inC: 1, outC: 2, kernel: [2, 3], stride: [3, 2], padding: 0, outputPadding: [2, 0] },
];

describe('finite-difference checks of the conv backward rules (float64)', () => {
  for (const [kind, shapes] of [['conv', CONVS], ['convT', CONVTS]] as const) {
    shapes.forEach((base, si) => {
      for (const act of ACTIVATIONS) {
        it(`${kind} #${si} + ${act}`, () => {
          const s = { ...base, activation: act };
          const g = kind === 'conv' ? conv2dGeometry('t', s) : convTranspose2dGeometry('t', s);
          const [xn, yn, bn] = kind === 'conv'
            ? [g.batch * g.inH * g.inW * g.inC, g.batch * g.outH * g.outW * g.outC, g.outC]
            : [g.batch * g.outH * g.outW * g.outC, g.batch * g.inH * g.inW * g.inC, g.inC];
          const x = randoms(xn, 1 + si), W = randoms(g.kH * g.kW * g.inC * g.outC, 2 + si), b = randoms(bn, 3 + si), w = randoms(yn, 4 + si);
          const forward = () => (kind === 'conv' ? convForward(x, W, b, s) : convTransposeForward(x, W, b, s));
          const loss = () => dot(forward(), w);
          const y = forward();
          expect(y.length).toBe(yn);
          // ReLU's kink: keep pre-activations away from 0 so the difference quotient is valid.
          if (act === 'relu') for (const v of y) expect(v === 0 || v > 1e-4).toBe(true);
          const grads = kind === 'conv' ? convBackward(x, W, y, w, s) : convTransposeBackward(x, W, y, w, s);
          expectGrad(`${kind} #${si} ${act} dx`, grads.dx, numericGrad(loss, x));
          expectGrad(`${kind} #${si} ${act} dW`, grads.dW, numericGrad(loss, W));
          expectGrad(`${kind} #${si} ${act} db`, grads.db, numericGrad(loss, b));
        });
      }
    });
  }

  it('the transposed conv is the adjoint of the conv', () => {
    for (const s of [...CONVS, ...CONVTS]) {
      const g = conv2dGeometry('t', s);
      const x = randoms(g.batch * g.inH * g.inW * g.inC, 7), y = randoms(g.batch * g.outH * g.outW * g.outC, 8), W = randoms(g.kH * g.kW * g.inC * g.outC, 9);
      const lhs = dot(conv2d(x, W, null, g), y), rhs = dot(x, conv2dTranspose(y, W, null, g));
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-12 * (1 + Math.abs(lhs)));
    }
  });

  it('output sizes follow the PyTorch formulas', () => {
    const c1 = conv2dGeometry('t', { batch: 1, inH: 28, inW: 28, inC: 1, outC: 32, kernel: 4, stride: 2, padding: 1 });
    expect([c1.outH, c1.outW]).toEqual([14, 14]);
    expect(conv2dGeometry('t', { batch: 1, inH: 14, inW: 14, inC: 32, outC: 64, kernel: 4, stride: 2, padding: 1 }).outH).toBe(7);
    // Keras VAE: Conv 3×3 stride 2 "same" on 28 → 14 is padding 1 in PyTorch terms (floor((28 + 2 − 3)/2) + 1).
    expect(conv2dGeometry('t', { batch: 1, inH: 28, inW: 28, inC: 1, outC: 32, kernel: 3, stride: 2, padding: 1 }).outH).toBe(14);
    const t1 = convTranspose2dGeometry('t', { batch: 1, inH: 7, inW: 7, inC: 64, outC: 32, kernel: 4, stride: 2, padding: 1 });
    expect([t1.inH, t1.inW, t1.inC, t1.outH, t1.outC]).toEqual([14, 14, 32, 7, 64]);
    const t2 = convTranspose2dGeometry('t', { batch: 1, inH: 7, inW: 7, inC: 64, outC: 32, kernel: 3, stride: 2, padding: 1, outputPadding: 1 });
    expect(t2.inH).toBe(14);
  });
});

// CPU reference of a linear layer with activation, forward and backward, composed from the CPU twins.
// Shapes: x is B×I, W is I×O (so y = act(x·W + b) needs no transpose), b is O, y and dy are B×O.
//   backward: dPre = dy ⊙ f'(y);  db = Σ_rows dPre;  dW = xᵀ·dPre;  dx = dPre·Wᵀ.
import type { Activation } from '../kernels/activation';
import { biasGrad } from './bias-grad';
import { matmul } from './matmul';

export function linearForward(x: ArrayLike<number>, W: ArrayLike<number>, b: ArrayLike<number>, B: number, I: number, O: number, act: Activation): Float64Array {
  return matmul(x, W, b, { M: B, N: O, K: I, activation: act });
}

export function linearBackward(
  x: ArrayLike<number>,
  W: ArrayLike<number>,
  y: ArrayLike<number>,
  dy: ArrayLike<number>,
  B: number,
  I: number,
  O: number,
  act: Activation,
  needInputGrad = true,
): { dx: Float64Array | null; dW: Float64Array; db: Float64Array } {
  const { dPre, dBias } = biasGrad(dy, y, B, O, act);
  const dW = matmul(x, dPre, null, { M: I, N: O, K: B, transA: true });
  const dx = needInputGrad ? matmul(dPre, W, null, { M: B, N: I, K: O, transB: true }) : null;
  return { dx, dW, db: dBias };
}

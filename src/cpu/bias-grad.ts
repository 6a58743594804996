// CPU twin of shaders/bias_grad.wgsl: dPre = dY ⊙ f'(pre) taken from the output Y, and the bias
// gradient as column sums of dPre (float64). Shapes: dY, Y rows×cols; dBias cols.
import type { Activation } from '../kernels/activation';
import { derivativeAtOutput } from './activation';

export function biasGrad(
  dY: ArrayLike<number>,
  Y: ArrayLike<number> | null,
  rows: number,
  cols: number,
  activation: Activation = 'identity',
): { dPre: Float64Array; dBias: Float64Array } {
  const dPre = new Float64Array(rows * cols);
  const dBias = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      const g = activation === 'identity' ? dY[i] : dY[i] * derivativeAtOutput(activation, Y![i]);
      dPre[i] = g;
      dBias[c] += g;
    }
  }
  return { dPre, dBias };
}

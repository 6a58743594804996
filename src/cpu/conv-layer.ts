// CPU reference of the conv and transposed-conv layers with activation, forward and backward,
// composed from the CPU twins (NHWC activations, HWIO weights; see src/kernels/conv-shape.ts).
//   conv:   y = act(conv(x, W) + b);  dPre = dy ⊙ f'(y);  db = Σ_{n,h,w} dPre;
//           dx = convᵀ(dPre, W);  dW = weightGrad(x, dPre)
//   convT:  y = act(convᵀ(x, W) + b); dPre as above;  dx = conv(dPre, W);  dW = weightGrad(dPre, x)
import type { Activation } from '../kernels/activation';
import { conv2dGeometry, convTranspose2dGeometry, type Conv2dShape, type ConvTranspose2dShape } from '../kernels/conv-shape';
import { biasGrad } from './bias-grad';
import { conv2d, conv2dTranspose, conv2dWeightGrad } from './conv2d';

export interface LayerGrads {
  dx: Float64Array;
  dW: Float64Array;
  db: Float64Array;
}

const act = (s: Conv2dShape): Activation => s.activation ?? 'identity';

export function convForward(x: ArrayLike<number>, W: ArrayLike<number>, b: ArrayLike<number>, s: Conv2dShape): Float64Array {
  return conv2d(x, W, b, conv2dGeometry('cpu conv', s), act(s));
}

export function convBackward(x: ArrayLike<number>, W: ArrayLike<number>, y: ArrayLike<number>, dy: ArrayLike<number>, s: Conv2dShape): LayerGrads {
  const g = conv2dGeometry('cpu conv', s);
  const { dPre, dBias } = biasGrad(dy, y, g.batch * g.outH * g.outW, g.outC, act(s));
  return { dx: conv2dTranspose(dPre, W, null, g), dW: conv2dWeightGrad(x, dPre, g), db: dBias };
}

export function convTransposeForward(x: ArrayLike<number>, W: ArrayLike<number>, b: ArrayLike<number>, s: ConvTranspose2dShape): Float64Array {
  return conv2dTranspose(x, W, b, convTranspose2dGeometry('cpu convT', s), act(s));
}

export function convTransposeBackward(x: ArrayLike<number>, W: ArrayLike<number>, y: ArrayLike<number>, dy: ArrayLike<number>, s: ConvTranspose2dShape): LayerGrads {
  const g = convTranspose2dGeometry('cpu convT', s);
  const { dPre, dBias } = biasGrad(dy, y, g.batch * g.inH * g.inW, g.inC, act(s));
  return { dx: conv2d(dPre, W, null, g), dW: conv2dWeightGrad(dPre, x, g), db: dBias };
}

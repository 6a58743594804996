// CPU twin of the activations (float64): the function and its derivative from the output, which is
// what the GPU backward uses since it never stores the input.
import type { Activation } from '../kernels/activation';

export function activate(a: Activation, x: number): number {
  switch (a) {
    case 'identity': return x;
    case 'relu': return x > 0 ? x : 0;
    case 'tanh': return Math.tanh(x);
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'softplus': return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }
}

/** f'(x) written as a function of y = f(x); exact for these five activations. */
export function derivativeAtOutput(a: Activation, y: number): number {
  switch (a) {
    case 'identity': return 1;
    case 'relu': return y > 0 ? 1 : 0;
    case 'tanh': return 1 - y * y;
    case 'sigmoid': return y * (1 - y);
    // softplus: y = log(1 + eˣ) so σ(x) = 1 − e^(−y).
    case 'softplus': return -Math.expm1(-y);
  }
}

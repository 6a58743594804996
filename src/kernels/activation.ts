// The activations the matmul epilogue and the fused activation backward know, with their shader codes.
export const ACTIVATIONS = ['identity', 'relu', 'tanh', 'sigmoid', 'softplus'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** The value of the `ACT` override in matmul.wgsl and bias_grad.wgsl. */
export function activationCode(a: Activation): number {
  const code = ACTIVATIONS.indexOf(a);
  if (code < 0) throw new Error(`unknown activation '${String(a)}'; expected one of ${ACTIVATIONS.join(', ')}`);
  return code;
}

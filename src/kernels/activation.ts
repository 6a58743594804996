// The activations the matmul epilogue and the fused activation backward know: the one list of them,
// whose index is the shader code, and the WGSL preamble (the ACT override, an ACT_* constant per code,
// shaders/activation.wgsl) prepended to every shader that uses them.
import snippet from '../../shaders/activation.wgsl?raw';
import { ACTIVATIONS, type Activation } from '../base/words';

export { ACTIVATIONS, type Activation };

/** The value of the `ACT` override in matmul.wgsl, matmul_vec4.wgsl and bias_grad.wgsl. */
export function activationCode(a: Activation): number {
  const code = ACTIVATIONS.indexOf(a);
  if (code < 0) throw new Error(`unknown activation '${String(a)}'; expected one of ${ACTIVATIONS.join(', ')}`);
  return code;
}

/** `source` with the activation preamble in front of it. */
export function withActivations(source: string): string {
  const codes = ACTIVATIONS.map((a, i) => `const ACT_${a.toUpperCase()}: u32 = ${i}u;`).join('\n');
  return `override ACT: u32 = 0u;\n${codes}\n${snippet}\n${source}`;
}

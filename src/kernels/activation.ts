// The activations the matmul and conv epilogues and the fused activation backward know: the one list
// of them (src/base/words.ts), whose index is the shader code. shaders/lib/activation.wgsl declares an
// ACT_* constant per code; this module reads them and refuses to load if the shader and the list disagree.
import snippet from '../../shaders/lib/activation.wgsl?raw';
import { ACTIVATIONS, type Activation } from '../base/words';

export { ACTIVATIONS, type Activation };

/** The ACT_* constants of lib/activation.wgsl, by lower-case name. */
export function shaderActivationCodes(source: string = snippet): Map<string, number> {
  const codes = new Map<string, number>();
  for (const m of source.matchAll(/^const ACT_([A-Z0-9_]+): u32 = (\d+)u;/gm)) codes.set(m[1].toLowerCase(), Number(m[2]));
  return codes;
}

const shaderCodes = shaderActivationCodes();
const drift = ACTIVATIONS.map((a, i) => [a, i, shaderCodes.get(a)] as const).filter(([, i, c]) => c !== i);
if (drift.length > 0 || shaderCodes.size !== ACTIVATIONS.length) {
  throw new Error(
    `shaders/lib/activation.wgsl's ACT_* codes (${[...shaderCodes].map(([a, c]) => `${a}=${c}`).join(', ')}) ` +
      `differ from src/kernels/activation.ts's list (${ACTIVATIONS.map((a, i) => `${a}=${i}`).join(', ')})`,
  );
}

/** The value of the `ACT` override in the kernels that include lib/activation. */
export function activationCode(a: Activation): number {
  const code = ACTIVATIONS.indexOf(a);
  if (code < 0) throw new Error(`unknown activation '${String(a)}'; expected one of ${ACTIVATIONS.join(', ')}`);
  return code;
}

// How big a config's model is, from the graph alone (nothing allocated): its parameter count and
// the activation floats one example needs. Entry points check these before they build a model, so
// an enormous config is refused by name instead of failing inside a typed-array allocation.
import { buildVaeGraph } from './vae-graph';
import { describeConfig, type VaeConfig } from './config';

/** Parameters a run may have: 2^27 (512 MiB per float32 arena; a model keeps four). */
export const MAX_PARAMETERS = 2 ** 27;

export function parameterCount(c: VaeConfig): number {
  return buildVaeGraph(c).arenaSize;
}

/** Activation floats per example (every tensor of the graph, forward values and gradients). */
export function activationFloatsPerExample(c: VaeConfig): number {
  return 2 * buildVaeGraph(c).tensors.reduce((s, t) => s + t.width, 0);
}

/** A message when the model is over `max` parameters, else null. */
export function modelSizeProblem(c: VaeConfig, max = MAX_PARAMETERS): string | null {
  const n = parameterCount(c);
  if (n <= max) return null;
  return `the model ${describeConfig(c)} would have ${n.toLocaleString('en-US')} parameters, more than the ${max.toLocaleString('en-US')} allowed here; use narrower or fewer hidden layers`;
}

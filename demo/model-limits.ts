// How large a model the page makes or loads: a bound on parameters and on GPU memory (parameters,
// gradients and Adam's moments, plus a batch of activations), checked before anything is allocated.
// Without it ?hidden=4096,4096,4096,4096 spent ~30 s initialising 107 M parameters on the main
// thread. The URL parser, the controls and the checkpoint loader all use this one check, so every
// URL the page writes (after loading a checkpoint too) is one it accepts. Pure: no DOM.
import { activationFloatsPerExample, parameterCount } from '../src/model/model-size';
import { describeConfig, type VaeConfig } from '../src/model/config';
import { parseObjective } from '../src/model/vae-graph';

/** 2^22 parameters: 6× the default 784-400-20 model (652 k), e.g. hidden 1024,1024 fits. */
export const DEMO_MAX_PARAMETERS = 2 ** 22;
/** GPU memory a model may plan: 256 MiB. */
export const DEMO_MAX_GPU_BYTES = 256 * 2 ** 20;

/** Estimated GPU bytes: four parameter-sized arenas and `batch` examples of activations and gradients. */
export function estimatedGpuBytes(c: VaeConfig, batch: number): number {
  // An importance-weighted objective puts k rows per example through the decoder (counted for the whole model: an over-estimate).
  const { kind, attrs } = parseObjective(c);
  const samples = kind.samples?.(attrs) ?? 1;
  return 4 * (4 * parameterCount(c) + batch * samples * activationFloatsPerExample(c));
}

/** Why the page will not make this model, or null. */
export function demoModelProblem(c: VaeConfig, batch: number): string | null {
  const params = parameterCount(c);
  if (params > DEMO_MAX_PARAMETERS) {
    return `the model ${describeConfig(c)} has ${params.toLocaleString('en-US')} parameters, more than the ${DEMO_MAX_PARAMETERS.toLocaleString('en-US')} this page trains; use narrower or fewer hidden layers`;
  }
  const bytes = estimatedGpuBytes(c, batch);
  if (bytes > DEMO_MAX_GPU_BYTES) {
    return `the model ${describeConfig(c)} at batch ${batch} needs about ${(bytes / 2 ** 20).toFixed(0)} MiB of GPU memory, more than the ${DEMO_MAX_GPU_BYTES / 2 ** 20} MiB this page uses; use a smaller batch or narrower layers`;
  }
  return null;
}

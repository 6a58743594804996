// The FMA-loop kernel (bench/shaders/fma.wgsl) as data: the peak FLOP/s ceiling both the suite
// (ceilings.ts) and the GPU run (gpu-measure.ts) measure, and the FLOP each of its entry points does.
import fmaSource from './shaders/fma.wgsl?raw';
import type { KernelDecl } from '../src/gpu/kernel';

export const FMA: KernelDecl = {
  name: 'bench/fma',
  source: fmaSource,
  entryPoints: ['main', 'main_scalar'],
  bindings: [
    { binding: 0, name: 'params', type: 'uniform', fields: [['mul', 'f32'], ['add', 'f32'], ['_pad0', 'f32'], ['_pad1', 'f32']] },
    { binding: 1, name: 'out', type: 'storage' },
  ],
  overrides: ['ITERS', 'WG'],
  workgroupSize: [64, 1],
};

/** The two forms: 8 vec4 chains (64 FLOP per iteration) and 16 scalar chains (32). */
export const FMA_FORMS = [{ form: 'vec4×8', entry: 'main', flopsPerIter: 64 }, { form: 'f32×16', entry: 'main_scalar', flopsPerIter: 32 }] as const;

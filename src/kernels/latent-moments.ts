// The latent-moments kernel as data (shaders/latent_moments.wgsl) and its wrapper: folds chunks of
// encoder means into per-latent (N, mean, M2) on the GPU for the active-unit count (Burda et al.).
import source from '../../shaders/latent_moments.wgsl?raw';
import type { BufferArg, KernelDecl } from '../gpu/kernel';
import type { Dispatch, Runtime } from '../gpu/runtime';
import { requireFloats, requirePositiveInt } from './checks';
import { shader } from './shader-lib';

export const LATENT_MOMENTS: KernelDecl = {
  name: 'latent_moments',
  source: shader('latent_moments', source),
  entryPoints: ['accumulate'],
  bindings: [
    { binding: 0, name: 'params', type: 'uniform', fields: [['rows', 'u32'], ['Z', 'u32'], ['stride', 'u32'], ['reset', 'u32']] },
    { binding: 1, name: 'stats', type: 'read-only-storage' },
    { binding: 2, name: 'moments', type: 'storage' },
  ],
  overrides: [],
  workgroupSize: [64, 1],
};

export interface PreparedLatentMoments {
  /** Folds a chunk into the moments, starting them over first. */
  first: Dispatch;
  /** Folds a later chunk in. */
  next: Dispatch;
  destroy(): void;
}

/**
 * Row r's μ_u is stats[r·stride + u]; stride defaults to 2Z (the encoder's μ | logvar head).
 * moments holds Z vec4s (N, mean, M2, 0); A_u = M2 / N after the last chunk.
 */
export function prepareLatentMoments(
  rt: Runtime,
  shape: { rows: number; latent: number; stride?: number },
  buf: { stats: BufferArg; moments: BufferArg },
  label = 'latent_moments',
): PreparedLatentMoments {
  const { rows, latent: Z } = shape;
  const stride = shape.stride ?? 2 * Z;
  requirePositiveInt(label, 'rows', rows);
  requirePositiveInt(label, 'latent', Z);
  requirePositiveInt(label, 'stride', stride);
  if (stride < Z) throw new Error(`${label}: stride ${stride} is less than the latent size ${Z}`);
  requireFloats(label, 'stats', buf.stats, (rows - 1) * stride + Z, `${rows} rows of stride ${stride}`);
  requireFloats(label, 'moments', buf.moments, 4 * Z, `Z×4 = ${Z}×4`);
  const uniform = (reset: boolean) => rt.uniformBlock(LATENT_MOMENTS, 'params', { rows, Z, stride, reset: reset ? 1 : 0 }, `${label} params`).buffer;
  const pFirst = uniform(true);
  const pNext = uniform(false);
  const pipeline = rt.pipeline(LATENT_MOMENTS, 'accumulate');
  const workgroups = rt.grid(Math.ceil(Z / 64));
  return {
    first: { label: `${label} first`, pipeline, bindGroup: rt.bindGroup(LATENT_MOMENTS, { params: pFirst, ...buf }), workgroups },
    next: { label: `${label} next`, pipeline, bindGroup: rt.bindGroup(LATENT_MOMENTS, { params: pNext, ...buf }), workgroups },
    destroy() {
      pFirst.destroy();
      pNext.destroy();
    },
  };
}

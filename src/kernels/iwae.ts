// The importance-weighted bound kernel as data (shaders/iwae.wgsl) and its wrapper.
import source from '../../shaders/iwae.wgsl?raw';
import type { BufferArg, KernelDecl } from '../gpu/kernel';
import type { Dispatch, Runtime } from '../gpu/runtime';
import { requireFloats, requirePositiveInt } from './checks';
import { shader } from './shader-lib';

export const IWAE: KernelDecl = {
  name: 'iwae',
  source: shader('iwae', source),
  entryPoints: ['accumulate', 'finish'],
  bindings: [
    { binding: 0, name: 'params', type: 'uniform', fields: [['B', 'u32'], ['Z', 'u32'], ['first', 'u32'], ['_pad', 'u32'], ['log_k', 'f32'], ['_pad1', 'f32'], ['_pad2', 'f32'], ['_pad3', 'f32']] },
    { binding: 1, name: 'terms', type: 'read-only-storage' },
    { binding: 2, name: 'stats', type: 'read-only-storage' },
    { binding: 3, name: 'z', type: 'read-only-storage' },
    { binding: 4, name: 'run', type: 'storage' },
    { binding: 5, name: 'totals', type: 'storage' },
  ],
  overrides: [],
  workgroupSize: [256, 1],
};

export interface IwaeBuffers {
  /** B×2 per-example (rec, kl) of the current sample, from the ELBO kernel. */
  terms: BufferArg;
  stats: BufferArg;
  z: BufferArg;
  /** B×2 running (max log w, Σ exp(log w − max)). */
  run: BufferArg;
  /** 4 floats: L_k sums go to [0] and example counts to [3]. */
  totals: BufferArg;
}

export interface PreparedIwae {
  /** Folds the first sample in (resets the running sums). */
  first: Dispatch;
  /** Folds a later sample in. */
  next: Dispatch;
  /** Adds Σ_b L_k into totals. */
  finish: Dispatch;
  destroy(): void;
}

export function prepareIwae(rt: Runtime, shape: { batch: number; latent: number; k: number }, buf: IwaeBuffers, label = 'iwae'): PreparedIwae {
  const { batch: B, latent: Z, k } = shape;
  requirePositiveInt(label, 'batch', B);
  requirePositiveInt(label, 'latent', Z);
  requirePositiveInt(label, 'k', k);
  requireFloats(label, 'terms', buf.terms, 2 * B, `B×2 = ${B}×2`);
  requireFloats(label, 'stats', buf.stats, 2 * B * Z, `B×2Z = ${B}×${2 * Z}`);
  requireFloats(label, 'z', buf.z, B * Z, `B×Z = ${B}×${Z}`);
  requireFloats(label, 'run', buf.run, 2 * B, `B×2 = ${B}×2`);
  requireFloats(label, 'totals', buf.totals, 4, '4');
  const uniform = (first: boolean) => rt.uniformBlock(IWAE, 'params', { B, Z, first: first ? 1 : 0, log_k: Math.log(k) }, `${label} params`).buffer;
  const pFirst = uniform(true);
  const pNext = uniform(false);
  const group = (params: GPUBuffer) => rt.bindGroup(IWAE, { params, terms: buf.terms, stats: buf.stats, z: buf.z, run: buf.run, totals: buf.totals });
  const gFirst = group(pFirst);
  const gNext = group(pNext);
  const accumulate = rt.pipeline(IWAE, 'accumulate');
  const workgroups = rt.grid(Math.ceil(B / 256));
  return {
    first: { label: `${label} first`, pipeline: accumulate, bindGroup: gFirst, workgroups },
    next: { label: `${label} next`, pipeline: accumulate, bindGroup: gNext, workgroups },
    finish: { label: `${label} finish`, pipeline: rt.pipeline(IWAE, 'finish'), bindGroup: gNext, workgroups: [1, 1, 1] },
    destroy() {
      pFirst.destroy();
      pNext.destroy();
    },
  };
}

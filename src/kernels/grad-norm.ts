// The global gradient-norm kernel as data (shaders/grad_norm.wgsl) and its wrapper: ‖g‖₂ over the
// whole parameter-gradient arena and the clip scale min(1, max_norm / (‖g‖ + 1e-6)), written to a
// 4-float GPU buffer [norm, scale, Σ g², non-finite flag] that an optimizer update can read.
import source from '../../shaders/grad_norm.wgsl?raw';
import subgroupSource from '../../shaders/grad_norm_subgroup.wgsl?raw';
import type { BufferArg, KernelDecl } from '../gpu/kernel';
import type { Runtime } from '../gpu/runtime';
import { requireFinite, requireFloats, requirePositiveInt } from './checks';
import { reductionSchedule, type SubgroupReductionSchedule } from './bias-grad';
import { sizeBucket, type PreparedOp } from './matmul';
import { shader } from './shader-lib';

export const GRAD_NORM: KernelDecl = {
  name: 'grad_norm',
  source: shader('grad_norm', source),
  entryPoints: ['partial_sums', 'partial_sums_serial', 'finish', 'finish_serial'],
  bindings: [
    { binding: 0, name: 'params', type: 'uniform', fields: [['count4', 'u32'], ['partials', 'u32'], ['chunk', 'u32'], ['_pad0', 'u32'], ['max_norm', 'f32'], ['_pad1', 'f32'], ['_pad2', 'f32'], ['_pad3', 'f32']] },
    { binding: 1, name: 'grad', type: 'read-only-storage' },
    { binding: 2, name: 'partials', type: 'storage' },
    { binding: 3, name: 'clip', type: 'storage' },
  ],
  overrides: [],
  workgroupSize: [256, 1],
  entryWorkgroupSizes: { partial_sums_serial: [64, 1], finish_serial: [1, 1] },
};

/** grad_norm.wgsl's two stages with subgroup sums for its trees (devices with the subgroups feature only). */
export const GRAD_NORM_SUBGROUP: KernelDecl = {
  ...GRAD_NORM, name: 'grad_norm_subgroup', source: shader('grad_norm_subgroup', subgroupSource), entryPoints: ['partial_sums', 'finish'], entryWorkgroupSizes: {},
};

/** How many partial sums the first stage writes for `count` floats (the partials buffer's length). */
export function gradNormPartials(count: number): number {
  return Math.min(Math.ceil(Math.ceil(count / 4) / 256), 256);
}

export interface GradNormBuffers {
  /** The gradient arena: count floats padded to a multiple of 4 (as Adam's). */
  grads: BufferArg;
  /** gradNormPartials(count) floats of scratch. */
  partials: BufferArg;
  /** 4 floats out: [‖g‖, clip scale, Σ g², 1 if ‖g‖ is not finite else 0]. */
  clip: BufferArg;
}

export function prepareGradNorm(
  rt: Runtime,
  shape: { count: number; maxNorm: number; schedule?: SubgroupReductionSchedule },
  buf: GradNormBuffers,
  label = 'grad_norm',
): PreparedOp {
  const { count, maxNorm } = shape;
  requirePositiveInt(label, 'count', count);
  requireFinite(label, 'maxNorm', maxNorm, { min: 0, open: true });
  const count4 = Math.ceil(count / 4);
  const P = gradNormPartials(count);
  requireFloats(label, 'grads', buf.grads, count4 * 4, `${count} floats padded to ${count4 * 4}`);
  requireFloats(label, 'partials', buf.partials, P, `${P} partial sums`);
  requireFloats(label, 'clip', buf.clip, 4, '4');
  const params = rt.uniformBlock(GRAD_NORM, 'params', { count4, partials: P, chunk: Math.ceil(count4 / P), max_norm: maxNorm }, `${label} params`);
  const schedule = reductionSchedule(rt, 'grad_norm', label, shape.schedule, `n${sizeBucket(count)}`, { count, maxNorm });
  const serial = schedule === 'serial';
  const kernel = schedule === 'subgroup' ? GRAD_NORM_SUBGROUP : GRAD_NORM;
  const bindGroup = rt.bindGroup(kernel, { params: params.buffer, grad: buf.grads, partials: buf.partials, clip: buf.clip });
  return {
    dispatches: [
      serial
        ? { label: `${label} partial sums`, pipeline: rt.pipeline(kernel, 'partial_sums_serial'), bindGroup, workgroups: [Math.ceil(P / 64), 1, 1] }
        : { label: `${label} partial sums`, pipeline: rt.pipeline(kernel, 'partial_sums'), bindGroup, workgroups: [P, 1, 1] },
      { label: `${label} finish`, pipeline: rt.pipeline(kernel, serial ? 'finish_serial' : 'finish'), bindGroup, workgroups: [1, 1, 1] },
    ],
    destroy: () => params.destroy(),
  };
}

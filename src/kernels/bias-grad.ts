// The fused activation backward + bias gradient kernel as data (shaders/bias_grad.wgsl) and its wrapper.
import source from '../../shaders/bias_grad.wgsl?raw';
import subgroupSource from '../../shaders/bias_grad_subgroup.wgsl?raw';
import type { BufferArg, KernelDecl, ReductionSchedule } from '../gpu/kernel';
import type { Runtime } from '../gpu/runtime';
import { activationCode, type Activation } from './activation';
import { requireFloats, requirePositiveInt } from './checks';
import { sizeBucket, type PreparedOp } from './matmul';
import { shader } from './shader-lib';

export const BIAS_GRAD: KernelDecl = {
  name: 'bias_grad',
  source: shader('bias_grad', source),
  entryPoints: ['main', 'main_serial'],
  bindings: [
    { binding: 0, name: 'dims', type: 'uniform', fields: [['rows', 'u32'], ['cols', 'u32'], ['_pad0', 'u32'], ['_pad1', 'u32']] },
    { binding: 1, name: 'dY', type: 'read-only-storage' },
    { binding: 2, name: 'Y', type: 'read-only-storage' },
    { binding: 3, name: 'dPre', type: 'storage' },
    { binding: 4, name: 'dBias', type: 'storage' },
  ],
  overrides: ['ACT'],
  workgroupSize: [16, 16],
  entryWorkgroupSizes: { main_serial: [16, 1] },
};

/** bias_grad.wgsl's GPU schedule with subgroup shuffles for its tree (devices with the subgroups feature only). */
export const BIAS_GRAD_SUBGROUP: KernelDecl = {
  ...BIAS_GRAD, name: 'bias_grad_subgroup', source: shader('bias_grad_subgroup', subgroupSource), entryPoints: ['main'], workgroupSize: [256, 1], entryWorkgroupSizes: {},
};

/** Whether the runtime's device has subgroup operations (the subgroups feature). */
export const hasSubgroups = (rt: Runtime): boolean => rt.device.features?.has('subgroups') === true;

/** A reduction's schedules: ReductionSchedule's, or 'subgroup' (subgroup sums; a tuner candidate where the device has them). */
export type SubgroupReductionSchedule = ReductionSchedule | 'subgroup';

/**
 * The schedules of bias_grad and grad_norm a tuner may pick from: 'tree' (workgroup memory),
 * 'serial' (CPU adapters' rule) and, on devices with subgroups, 'subgroup'. The rule's ('serial' on
 * CPU adapters, else 'tree') is first.
 */
export function reductionCandidates(rt: Runtime): string[] {
  const rule = rt.serial() ? 'serial' : 'tree';
  return [rule, rule === 'serial' ? 'tree' : 'serial', ...(hasSubgroups(rt) ? ['subgroup'] : [])];
}

/** The schedule a reduction runs: the one asked for, else (with 'auto') the tuner's choice for its class or the rule's. */
export function reductionSchedule(rt: Runtime, kernel: string, label: string, asked: SubgroupReductionSchedule | undefined, shapeClass: string, shape: Record<string, number>): 'tree' | 'serial' | 'subgroup' {
  const s = asked ?? 'auto';
  if (s === 'subgroup' && !hasSubgroups(rt)) throw new Error(`${label}: the subgroup schedule needs a device with the subgroups feature; this one lacks it (use 'tree' or 'serial')`);
  if (s !== 'auto') return s;
  const candidates = reductionCandidates(rt);
  return rt.schedule({ kernel, shapeClass, rule: candidates[0], candidates, shape }) as 'tree' | 'serial' | 'subgroup';
}

export interface BiasGradBuffers {
  /** Gradient w.r.t. the layer's output, rows×cols. */
  dY: BufferArg;
  /** The layer's output (after the activation); needed unless the activation is identity. */
  y?: BufferArg;
  /** Receives dY ⊙ f'(pre); needed unless the activation is identity. */
  dPre?: BufferArg;
  dBias: BufferArg;
}

export function prepareBiasGrad(
  rt: Runtime,
  shape: { rows: number; cols: number; activation?: Activation; schedule?: SubgroupReductionSchedule },
  buf: BiasGradBuffers,
  label = 'bias_grad',
): PreparedOp {
  const { rows, cols } = shape;
  const act = shape.activation ?? 'identity';
  requirePositiveInt(label, 'rows', rows);
  requirePositiveInt(label, 'cols', cols);
  const dims2 = `rows×cols = ${rows}×${cols}`;
  requireFloats(label, 'dY', buf.dY, rows * cols, dims2);
  requireFloats(label, 'dBias', buf.dBias, cols, `cols = ${cols}`);
  if (act !== 'identity') {
    if (!buf.y || !buf.dPre) throw new Error(`${label}: activation '${act}' needs the layer output y and a dPre buffer`);
    requireFloats(label, 'y', buf.y, rows * cols, dims2);
    requireFloats(label, 'dPre', buf.dPre, rows * cols, dims2);
  }
  const dims = rt.uniformBlock(BIAS_GRAD, 'dims', { rows, cols }, `${label} dims`);
  const code = activationCode(act);
  const schedule = reductionSchedule(rt, 'bias_grad', label, shape.schedule, `R${sizeBucket(rows)} C${sizeBucket(cols)} act${code}`, { rows, cols, act: code });
  const serial = schedule === 'serial';
  const kernel = schedule === 'subgroup' ? BIAS_GRAD_SUBGROUP : BIAS_GRAD;
  const pipeline = rt.pipeline(kernel, serial ? 'main_serial' : 'main', { ACT: code });
  const identity = act === 'identity';
  const bindGroup = rt.bindGroup(kernel, {
    dims: dims.buffer,
    dY: buf.dY,
    Y: identity ? rt.placeholder : buf.y!,
    dPre: identity ? rt.writablePlaceholder : buf.dPre!,
    dBias: buf.dBias,
  });
  return {
    dispatches: [{ label, pipeline, bindGroup, workgroups: serial ? rt.grid(Math.ceil(Math.ceil(cols / 4) / 16)) : [Math.ceil(cols / 16), 1, 1] }],
    destroy: () => dims.destroy(),
  };
}

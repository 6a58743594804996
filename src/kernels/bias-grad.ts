// The fused activation backward + bias gradient kernel as data (shaders/bias_grad.wgsl) and its wrapper.
import source from '../../shaders/bias_grad.wgsl?raw';
import type { BufferArg, KernelDecl, ReductionSchedule } from '../gpu/kernel';
import type { Runtime } from '../gpu/runtime';
import { activationCode, type Activation } from './activation';
import { requireFloats, requirePositiveInt } from './checks';
import type { PreparedOp } from './matmul';
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
  entryWorkgroupSizes: { main_serial: [64, 1] },
};

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
  shape: { rows: number; cols: number; activation?: Activation; schedule?: ReductionSchedule },
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
  const serial = rt.serial(shape.schedule);
  const pipeline = rt.pipeline(BIAS_GRAD, serial ? 'main_serial' : 'main', { ACT: activationCode(act) });
  const identity = act === 'identity';
  const bindGroup = rt.bindGroup(BIAS_GRAD, {
    dims: dims.buffer,
    dY: buf.dY,
    Y: identity ? rt.placeholder : buf.y!,
    dPre: identity ? rt.writablePlaceholder : buf.dPre!,
    dBias: buf.dBias,
  });
  return {
    dispatches: [{ label, pipeline, bindGroup, workgroups: serial ? rt.grid(Math.ceil(cols / 64)) : [Math.ceil(cols / 16), 1, 1] }],
    destroy: () => dims.destroy(),
  };
}

// The gradient of the batch loss w.r.t. a likelihood's learned per-channel log-scales as data
// (shaders/likelihood_scale_grad.wgsl) and its wrapper: one workgroup per channel reduces
// w_r·∂(−log p)/∂s_c over the rows and the channel's values, w_r = 1 (ELBO) or ŵ_r (IWAE).
import source from '../../shaders/likelihood_scale_grad.wgsl?raw';
import type { BufferArg, KernelDecl } from '../gpu/kernel';
import type { Dispatch, Runtime } from '../gpu/runtime';
import { requireFloats, requirePositiveInts } from './checks';
import { likelihoodSetup, scaleBinding, type LikelihoodShape } from './likelihood';
import { shader } from './shader-lib';

export const LIKELIHOOD_SCALE_GRAD: KernelDecl = {
  name: 'likelihood_scale_grad',
  source: shader('likelihood_scale_grad', source),
  entryPoints: ['per_channel'],
  bindings: [
    { binding: 0, name: 'params', type: 'uniform', fields: [['B', 'u32'], ['K', 'u32'], ['D', 'u32'], ['C', 'u32'], ['weighted', 'u32'], ['inv_batch', 'f32'], ['_pad0', 'u32'], ['_pad1', 'u32']] },
    { binding: 1, name: 'logits', type: 'read-only-storage' },
    { binding: 2, name: 'x', type: 'read-only-storage' },
    { binding: 3, name: 'weights', type: 'read-only-storage' },
    { binding: 4, name: 'dscale', type: 'storage' },
    { binding: 5, name: 'log_scale', type: 'uniform', fields: [], vec4s: 16 },
  ],
  overrides: ['GAUSSIAN', 'LOGISTIC', 'LEARNED'],
  workgroupSize: [256, 1],
};

export interface ScaleGradShape extends LikelihoodShape {
  batch: number;
  /** Rows per example (k importance samples; 1 for the ELBO): rows r = b·k + i. */
  samples?: number;
  /** Values per example (D), a multiple of the channels. */
  dim: number;
}

export interface ScaleGradBuffers {
  /** (B·k)×D decoder outputs. */
  logits: BufferArg;
  /** B×D targets. */
  x: BufferArg;
  /** B·k normalised importance weights ŵ (absent: every row weighs 1). */
  weights?: BufferArg;
  /** C floats, overwritten with ∂loss/∂s_c. */
  dscale: BufferArg;
  /** The log-scales (≥ 256 bytes with UNIFORM usage). */
  logScale: BufferArg;
}

export interface PreparedScaleGrad {
  dispatch: Dispatch;
  destroy(): void;
}

export function prepareScaleGrad(rt: Runtime, shape: ScaleGradShape, buf: ScaleGradBuffers, label = 'likelihood_scale_grad'): PreparedScaleGrad {
  const { batch: B, dim: D } = shape;
  const K = shape.samples ?? 1;
  requirePositiveInts(label, { batch: B, samples: K, dim: D });
  const lik = likelihoodSetup(label, shape, D);
  if (!lik.learned) throw new Error(`${label}: the ${lik.likelihood} likelihood${lik.likelihood === 'gaussian' ? ' with a fixed σ' : ''} has no learned scales`);
  const C = lik.channels;
  requireFloats(label, 'logits', buf.logits, B * K * D, `(B·k)×D = ${B * K}×${D}`);
  requireFloats(label, 'x', buf.x, B * D, `B×D = ${B}×${D}`);
  if (buf.weights) requireFloats(label, 'weights', buf.weights, B * K, `B·k = ${B * K}`);
  else if (K !== 1) throw new Error(`${label}: ${K} samples per example need their weights ŵ`);
  requireFloats(label, 'dscale', buf.dscale, C, `C = ${C}`);
  const scales = scaleBinding(rt, label, lik, buf.logScale);
  const params = rt.uniformBlock(LIKELIHOOD_SCALE_GRAD, 'params', { B, K, D, C, weighted: buf.weights ? 1 : 0, inv_batch: 1 / B }, `${label} params`);
  const bindGroup = rt.bindGroup(LIKELIHOOD_SCALE_GRAD, {
    params: params.buffer, logits: buf.logits, x: buf.x, weights: buf.weights ?? rt.placeholder, dscale: buf.dscale, log_scale: scales.arg,
  });
  return {
    dispatch: { label, pipeline: rt.pipeline(LIKELIHOOD_SCALE_GRAD, 'per_channel', lik.overrides), bindGroup, workgroups: [C, 1, 1] },
    destroy: () => {
      params.destroy();
      scales.destroy();
    },
  };
}

// The Adam kernel as data (shaders/adam.wgsl) and its wrapper. Bias corrections and 1 − β are computed
// here in double precision: in float32 on the GPU, 1 − β2ᵗ at t = 1 would be off by ~1e-5 relative.
import source from '../../shaders/adam.wgsl?raw';
import type { BufferArg, KernelDecl } from '../gpu/kernel';
import { storageFrom } from '../gpu/buffers';
import type { Dispatch, Runtime } from '../gpu/runtime';
import { requireFinite, requireFloats, requirePositiveInt } from './checks';
import { shader } from './shader-lib';

export const ADAM: KernelDecl = {
  name: 'adam',
  source: shader('adam', source),
  entryPoints: ['main'],
  bindings: [
    { binding: 0, name: 'params', type: 'uniform', fields: [['count4', 'u32'], ['decoupled', 'u32'], ['fast_begin4', 'u32'], ['fast_end4', 'u32'], ['lr', 'f32'], ['beta1', 'f32'], ['beta2', 'f32'], ['eps', 'f32'], ['weight_decay', 'f32'], ['bc1', 'f32'], ['bc2', 'f32'], ['one_minus_beta1', 'f32'], ['one_minus_beta2', 'f32'], ['fast_lr_scale', 'f32'], ['_pad3', 'f32'], ['_pad4', 'f32']] },
    { binding: 1, name: 'p', type: 'storage' },
    { binding: 2, name: 'grad', type: 'read-only-storage' },
    { binding: 3, name: 'm', type: 'storage' },
    { binding: 4, name: 'v', type: 'storage' },
    { binding: 5, name: 'clip', type: 'read-only-storage' },
  ],
  overrides: [],
  workgroupSize: [256, 1],
};

export interface AdamConfig {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** AdamW: weight decay applied to the weights directly instead of added to the gradient. */
  decoupled?: boolean;
}

export type AdamHyper = Required<AdamConfig>;

export function resolveAdam(c: AdamConfig, label = 'adam'): AdamHyper {
  const h: AdamHyper = {
    lr: c.lr,
    beta1: c.beta1 ?? 0.9,
    beta2: c.beta2 ?? 0.999,
    eps: c.eps ?? 1e-8,
    weightDecay: c.weightDecay ?? 0,
    decoupled: c.decoupled ?? false,
  };
  requireFinite(label, 'lr', h.lr, { min: 0, open: true });
  requireFinite(label, 'beta1', h.beta1, { min: 0 });
  requireFinite(label, 'beta2', h.beta2, { min: 0 });
  if (h.beta1 >= 1) throw new Error(`${label}: beta1 must be < 1, got ${h.beta1}`);
  if (h.beta2 >= 1) throw new Error(`${label}: beta2 must be < 1, got ${h.beta2}`);
  requireFinite(label, 'eps', h.eps, { min: 0, open: true });
  requireFinite(label, 'weightDecay', h.weightDecay, { min: 0 });
  return h;
}

export interface AdamBuffers {
  params: BufferArg;
  grads: BufferArg;
  m: BufferArg;
  v: BufferArg;
  /** Floats [begin, end) (multiples of 4) whose learning rate is lr · scale (a likelihood's log-scales). */
  fast?: { begin: number; end: number; scale: number };
  /** [‖g‖, scale, …] from grad_norm: the gradient is multiplied by scale (default: a buffer holding scale 1). */
  clip?: BufferArg;
}

export interface PreparedAdam {
  dispatch: Dispatch;
  /** Writes the bias corrections for step t ≥ 1 and, if given, this step's learning rate (queued; takes effect for the next submit). */
  setStep(t: number, lr?: number): void;
  destroy(): void;
}

/** Adam over `count` floats; every buffer must hold count rounded up to a multiple of 4. */
export function prepareAdam(rt: Runtime, count: number, config: AdamConfig, buf: AdamBuffers, label = 'adam'): PreparedAdam {
  requirePositiveInt(label, 'count', count);
  const h = resolveAdam(config, label);
  const count4 = Math.ceil(count / 4);
  const shape = `${count} floats padded to ${count4 * 4}`;
  const { clip, fast, ...arenas } = buf;
  if (fast) {
    const { begin, end, scale } = fast;
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin % 4 || end % 4 || begin < 0 || end < begin || end > count4 * 4) {
      throw new Error(`${label}: fast range [${begin}, ${end}) must be multiples of 4 within the ${count4 * 4} floats`);
    }
    requireFinite(label, 'fast.scale', scale, { min: 0, open: true });
  }
  for (const [name, b] of Object.entries(arenas)) requireFloats(label, name, b, count4 * 4, shape);
  if (clip) requireFloats(label, 'clip', clip, 4, '4 ([norm, scale, Σg², flag])');
  const ones = clip ? undefined : storageFrom(rt.device, [0, 1, 0, 0], `${label} clip scale 1`);
  const step = (t: number, lr = h.lr) => ({ lr, bc1: 1 - Math.pow(h.beta1, t), bc2: 1 - Math.pow(h.beta2, t) });
  const params = rt.uniformBlock(ADAM, 'params', {
    count4, decoupled: h.decoupled ? 1 : 0, beta1: h.beta1, beta2: h.beta2, eps: h.eps,
    weight_decay: h.weightDecay, one_minus_beta1: 1 - h.beta1, one_minus_beta2: 1 - h.beta2, ...step(1),
    fast_begin4: fast ? fast.begin / 4 : 0, fast_end4: fast ? fast.end / 4 : 0, fast_lr_scale: fast?.scale ?? 1,
  }, `${label} params`);
  const bindGroup = rt.bindGroup(ADAM, { params: params.buffer, p: buf.params, grad: buf.grads, m: buf.m, v: buf.v, clip: clip ?? ones! });
  return {
    dispatch: { label, pipeline: rt.pipeline(ADAM, 'main'), bindGroup, workgroups: rt.grid(Math.ceil(count4 / 256)) },
    setStep(t: number, lr?: number) {
      if (!Number.isInteger(t) || t < 1) throw new Error(`${label}: step must be an integer ≥ 1, got ${t}`);
      if (lr !== undefined) requireFinite(label, 'lr', lr, { min: 0 });
      params.set(step(t, lr));
    },
    destroy: () => {
      params.destroy();
      ones?.destroy();
    },
  };
}

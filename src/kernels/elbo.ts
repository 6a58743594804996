// The fused ELBO kernel as data (shaders/elbo.wgsl) and its wrapper: loss and gradients of the batch
// −ELBO in nats per example from decoder outputs, targets and the encoder's μ | logvar.
import source from '../../shaders/elbo.wgsl?raw';
import type { BufferArg, KernelDecl } from '../gpu/kernel';
import type { Runtime, UniformBlock } from '../gpu/runtime';
import { requireFinite, requireFloats, requirePositiveInts } from './checks';
import { likelihoodSetup, scaleBinding, type Likelihood, type LikelihoodShape } from './likelihood';
import { reductionSchedule, type SubgroupReductionSchedule } from './bias-grad';
import { sizeBucket, type PreparedOp } from './matmul';
import { shader, shaderSubgroup } from './shader-lib';

export const ELBO: KernelDecl = {
  name: 'elbo',
  source: shader('elbo', source),
  entryPoints: ['per_example', 'per_example_serial', 'batch_mean', 'batch_mean_serial'],
  bindings: [
    { binding: 0, name: 'params', type: 'uniform', fields: [['B', 'u32'], ['D', 'u32'], ['Z', 'u32'], ['track', 'u32'], ['beta', 'f32'], ['inv_batch', 'f32'], ['inv_var', 'f32'], ['log_norm', 'f32'], ['C', 'u32'], ['_pad0', 'u32'], ['_pad1', 'u32'], ['_pad2', 'u32']] },
    { binding: 1, name: 'logits', type: 'read-only-storage' },
    { binding: 2, name: 'x', type: 'read-only-storage' },
    { binding: 3, name: 'stats', type: 'read-only-storage' },
    { binding: 4, name: 'dlogits', type: 'storage' },
    { binding: 5, name: 'dstats', type: 'storage' },
    { binding: 6, name: 'terms', type: 'storage' },
    { binding: 7, name: 'loss', type: 'storage' },
    { binding: 8, name: 'totals', type: 'storage' },
    { binding: 9, name: 'health', type: 'storage' },
    { binding: 10, name: 'log_scale', type: 'uniform', fields: [], vec4s: 16 },
  ],
  overrides: ['GAUSSIAN', 'LOGISTIC', 'LEARNED'],
  workgroupSize: [256, 1],
  entryWorkgroupSizes: { per_example_serial: [16, 1], batch_mean_serial: [1, 1] },
};

/** elbo.wgsl with subgroup sums for its tree entries' reductions (devices with the subgroups feature only; its serial entries are the plain ones). */
export const ELBO_SUBGROUP: KernelDecl = {
  ...ELBO, name: 'elbo_subgroup', source: shaderSubgroup('elbo', source),
};

export type { Likelihood };

export interface ElboShape extends LikelihoodShape {
  batch: number;
  /** Pixels per example (D). */
  dim: number;
  latent: number;
  /** Weight of the KL term (1 is the ELBO). */
  beta?: number;
  /** A training pass: count steps and record the first non-finite loss in `health`. */
  track?: boolean;
  /**
   * Per-example and batch reductions: 'auto' takes the tuner's choice for the shape's class, else the
   * rule's ('serial' on CPU-backed adapters, else 'tree'); 'subgroup' (subgroup sums) needs the
   * subgroups feature.
   */
  schedule?: SubgroupReductionSchedule;
}

export interface ElboBuffers {
  logits: BufferArg;
  x: BufferArg;
  stats: BufferArg;
  dlogits: BufferArg;
  dstats: BufferArg;
  /** B×2: reconstruction and KL of each example. */
  perExample: BufferArg;
  /** 4 floats: loss, mean reconstruction, mean KL, 0. */
  loss: BufferArg;
  /** 4 floats the batch adds into: Σ (rec + β·kl), Σ rec, Σ kl, number of examples. */
  totals: BufferArg;
  /** 2 u32: [steps taken, first step with a non-finite loss or 0]; needed when tracking. */
  health?: BufferArg;
  /** The learned per-channel log-scales (≥ 256 bytes with UNIFORM usage); needed when the likelihood learns them. */
  logScale?: BufferArg;
}

/** The prepared ELBO; setBeta rewrites its uniform's β for the next submit, e.g. during a KL warm-up. */
export type PreparedElbo = PreparedOp & { setBeta(beta: number): void };

export function prepareElbo(rt: Runtime, shape: ElboShape, buf: ElboBuffers, label = 'elbo'): PreparedElbo {
  const { batch: B, dim: D, latent: Z } = shape;
  const beta = shape.beta ?? 1;
  requirePositiveInts(label, { batch: B, dim: D, latent: Z });
  requireFinite(label, 'beta', beta, { min: 0 });
  const lik = likelihoodSetup(label, shape, D);
  const bd = `B×D = ${B}×${D}`;
  const bz = `B×2Z = ${B}×${2 * Z}`;
  requireFloats(label, 'logits', buf.logits, B * D, bd);
  requireFloats(label, 'x', buf.x, B * D, bd);
  requireFloats(label, 'dlogits', buf.dlogits, B * D, bd);
  requireFloats(label, 'stats', buf.stats, 2 * B * Z, bz);
  requireFloats(label, 'dstats', buf.dstats, 2 * B * Z, bz);
  requireFloats(label, 'perExample', buf.perExample, 2 * B, `B×2 = ${B}×2`);
  requireFloats(label, 'loss', buf.loss, 4, '4');
  requireFloats(label, 'totals', buf.totals, 4, '4');
  if (shape.track && !buf.health) throw new Error(`${label}: a tracked (training) pass needs a health buffer`);
  if (buf.health) requireFloats(label, 'health', buf.health, 2, '2 u32');
  const params = rt.uniformBlock(ELBO, 'params', {
    B, D, Z, track: shape.track ? 1 : 0,
    beta, inv_batch: 1 / B, ...lik.uniforms,
  }, `${label} params`);
  const scales = scaleBinding(rt, label, lik, buf.logScale);
  const schedule = objectiveSchedule(rt, 'elbo', label, shape.schedule, { batch: B, dim: D, latent: Z });
  const kernel = schedule === 'subgroup' ? ELBO_SUBGROUP : ELBO;
  const bindGroup = rt.bindGroup(kernel, {
    params: params.buffer, logits: buf.logits, x: buf.x, stats: buf.stats, dlogits: buf.dlogits, dstats: buf.dstats,
    terms: buf.perExample, loss: buf.loss, totals: buf.totals, health: buf.health ?? rt.writablePlaceholder, log_scale: scales.arg,
  });
  return objectivePass(rt, kernel, { label, batch: B, schedule, overrides: lik.overrides, bindGroup, params, owned: [scales] });
}

/**
 * The reduction schedule of a fused objective (ELBO, IWAE): the one asked for, else the tuner's
 * choice for the class of its batch and dimensions, else the rule's. The likelihood changes each
 * term's arithmetic, not the reduction, so it is not part of the class (the tuner times and checks
 * the Bernoulli one).
 */
export function objectiveSchedule(rt: Runtime, kernel: string, label: string, asked: SubgroupReductionSchedule | undefined, shape: Record<string, number>): 'tree' | 'serial' | 'subgroup' {
  const cls = Object.entries(shape).map(([k, v]) => `${k}${sizeBucket(v)}`).join(' ');
  return reductionSchedule(rt, kernel, label, asked, cls, shape);
}

/**
 * The two dispatches every fused objective kernel (ELBO, IWAE) runs: per-example terms (one
 * workgroup per example, or 16 examples per invocation on the serial schedule), then the batch mean;
 * and the β setter, which writes the uniform's `beta` field by name. `kernel` is the schedule's
 * (its subgroup variant for 'subgroup').
 */
export function objectivePass(rt: Runtime, kernel: KernelDecl, o: {
  label: string; batch: number; schedule: 'tree' | 'serial' | 'subgroup'; overrides: Record<string, boolean>;
  bindGroup: GPUBindGroup; params: UniformBlock;
  /** Resources the op made that die with it (e.g. a zero log-scale uniform). */
  owned?: { destroy(): void }[];
}): PreparedElbo {
  const { label, bindGroup, overrides } = o;
  const serial = o.schedule === 'serial';
  const perExample = serial
    ? { label: `${label} per example`, pipeline: rt.pipeline(kernel, 'per_example_serial', overrides), bindGroup, workgroups: rt.grid(Math.ceil(o.batch / 16)) }
    : { label: `${label} per example`, pipeline: rt.pipeline(kernel, 'per_example', overrides), bindGroup, workgroups: rt.grid(o.batch) };
  return {
    dispatches: [
      perExample,
      { label: `${label} batch mean`, pipeline: rt.pipeline(kernel, serial ? 'batch_mean_serial' : 'batch_mean', overrides), bindGroup, workgroups: [1, 1, 1] },
    ],
    setBeta: (b: number) => {
      requireFinite(label, 'beta', b, { min: 0 });
      o.params.set({ beta: b });
    },
    destroy: () => {
      o.params.destroy();
      for (const r of o.owned ?? []) r.destroy();
    },
  };
}

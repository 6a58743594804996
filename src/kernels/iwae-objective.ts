// The fused importance-weighted training objective as data (shaders/iwae_objective.wgsl) and its
// wrapper: the batch −L_k in nats per example, with k samples per example in rows r = b·k + i, the
// normalised weights ŵ and the gradient w.r.t. the decoder's logits.
//
// The gradient, with z_r = μ_b + σ_b ε_r and loss = −(1/B) Σ_b log (1/k) Σ_i w_{b,i}:
//   through the decoder: dlogits_r = (ŵ_r/B)·∂rec_r/∂l (this kernel); the decoder's backward turns
//     it into dz_r; reparameterize.wgsl's weighted backward adds the latent side from ŵ, stats and ε:
//   IWAE: log q(z_r|x) = Σ_j (−½ε² − ½ logvar − ½ log 2π) with ε fixed, so q reaches the encoder
//     only as a direct dlogvar = −β/(2B) (Σ_i ŵ_i = 1), and the prior adds ŵ_r β z_r / B to dz_r:
//     g_r = dz_r + ŵ_r β z_r / B,  dμ_b = Σ_i g_r,  dlogvar_b = Σ_i g_r ε_r σ_b/2 − β/(2B):
//     the exact gradient of the loss.
//   DReG (Tucker et al. 2019): log q written in z with the encoder's parameters held (the score
//     term ∂ log q/∂φ|_z dropped), every path term weighted by c_r = (1 − β)ŵ_r + βŵ_r² instead of
//     ŵ_r (ŵ² at β = 1): the decoder's dz_r, made from ŵ-weighted dlogits, is scaled per row by
//     s_r = c_r/ŵ_r = (1 − β) + βŵ_r, and the prior and q add c_r β (z_r − ε_r/σ_b)/B; no direct
//     dμ, dlogvar. Unbiased for the same gradient; the decoder's gradient is IWAE's (same dlogits).
// K = 1: ŵ = 1, −L_1 = rec + β·(log q − log p), the ELBO with the KL sampled instead of analytic
// (same expectation, and with the noise fixed the same gradient as that sampled-KL ELBO).
import source from '../../shaders/iwae_objective.wgsl?raw';
import type { BufferArg, KernelDecl } from '../gpu/kernel';
import type { Runtime } from '../gpu/runtime';
import { requireFinite, requireFloats, requirePositiveInts } from './checks';
import type { SubgroupReductionSchedule } from './bias-grad';
import { objectivePass, objectiveSchedule } from './elbo';
import { likelihoodSetup, scaleBinding, type LikelihoodShape } from './likelihood';
import type { PreparedOp } from './matmul';
import { shader, shaderSubgroup } from './shader-lib';

export const IWAE_OBJECTIVE: KernelDecl = {
  name: 'iwae_objective',
  source: shader('iwae_objective', source),
  entryPoints: ['per_example', 'per_example_serial', 'batch_mean', 'batch_mean_serial'],
  bindings: [
    {
      binding: 0, name: 'params', type: 'uniform',
      fields: [
        ['B', 'u32'], ['K', 'u32'], ['D', 'u32'], ['Z', 'u32'], ['track', 'u32'], ['C', 'u32'], ['_pad1', 'u32'], ['_pad2', 'u32'],
        ['beta', 'f32'], ['inv_batch', 'f32'], ['inv_var', 'f32'], ['log_norm', 'f32'], ['log_k', 'f32'], ['inv_k', 'f32'], ['_pad3', 'f32'], ['_pad4', 'f32'],
      ],
    },
    { binding: 1, name: 'logits', type: 'read-only-storage' },
    { binding: 2, name: 'x', type: 'read-only-storage' },
    { binding: 3, name: 'stats', type: 'read-only-storage' },
    { binding: 4, name: 'eps', type: 'read-only-storage' },
    { binding: 5, name: 'dlogits', type: 'storage' },
    { binding: 6, name: 'weights', type: 'storage' },
    { binding: 7, name: 'terms', type: 'storage' },
    { binding: 8, name: 'loss', type: 'storage' },
    { binding: 9, name: 'totals', type: 'storage' },
    { binding: 10, name: 'health', type: 'storage' },
    { binding: 11, name: 'log_scale', type: 'uniform', fields: [], vec4s: 16 },
  ],
  overrides: ['GAUSSIAN', 'LOGISTIC', 'LEARNED'],
  workgroupSize: [256, 1],
  entryWorkgroupSizes: { per_example_serial: [16, 1], batch_mean_serial: [1, 1] },
};

/** iwae_objective.wgsl's tree entries with subgroup sums and maxima for their trees (devices with the subgroups feature only). */
export const IWAE_OBJECTIVE_SUBGROUP: KernelDecl = {
  ...IWAE_OBJECTIVE, name: 'iwae_objective_subgroup', source: shaderSubgroup('iwae_objective', source),
};

/** The estimator lives in the samples backward (the objective kernel is the same for both). */
export type { IwaeEstimator } from './reparameterize';

export interface IwaeObjectiveShape extends LikelihoodShape {
  batch: number;
  /** Importance samples per example (k); rows are batch × samples, row r = b·k + i. */
  samples: number;
  /** Pixels per example (D). */
  dim: number;
  latent: number;
  /** Weight of log p(z) − log q(z|x) inside log w (1 is the bound; less for a KL warm-up). */
  beta?: number;
  /** A training pass: count steps and record the first non-finite loss in `health`. */
  track?: boolean;
  /** As ElboShape's: 'auto' (the tuner's choice, else serial on CPU-backed adapters, tree elsewhere), 'tree', 'serial' or 'subgroup'. */
  schedule?: SubgroupReductionSchedule;
}

export interface IwaeObjectiveBuffers {
  /** (B·k)×D decoder outputs, row b·k + i for sample i of example b. */
  logits: BufferArg;
  /** B×D targets (one row per example, shared by its k samples). */
  x: BufferArg;
  /** B×2Z: μ then logvar per example. */
  stats: BufferArg;
  /** (B·k)×Z: the standard normal noise each sample's z was made from. */
  eps: BufferArg;
  dlogits: BufferArg;
  /** B·k: the normalised weights ŵ on return. */
  weights: BufferArg;
  /** B×4: −L_b, mean rec, mean sampled KL, effective sample size. */
  perExample: BufferArg;
  /** 4 floats: the batch means of perExample's columns (loss = [0]). */
  loss: BufferArg;
  /** 4 floats the batch adds into: Σ −L_b, Σ rec, Σ kl, number of examples. */
  totals: BufferArg;
  /** 2 u32: [steps taken, first step with a non-finite loss or 0]; needed when tracking. */
  health?: BufferArg;
  /** The learned per-channel log-scales (≥ 256 bytes with UNIFORM usage); needed when the likelihood learns them. */
  logScale?: BufferArg;
}

/** The storage buffers the objective binds at once (WebGPU's default limit is 8; Chromium's SwiftShader allows 10). */
export const IWAE_OBJECTIVE_STORAGE_BUFFERS = IWAE_OBJECTIVE.bindings.filter((b) => b.type !== 'uniform').length;

/** setBeta rewrites the uniform's β for the next submit, e.g. during a KL warm-up. */
export function prepareIwaeObjective(rt: Runtime, shape: IwaeObjectiveShape, buf: IwaeObjectiveBuffers, label = 'iwae_objective'): PreparedOp & { setBeta(beta: number): void } {
  const { batch: B, samples: K, dim: D, latent: Z } = shape;
  const beta = shape.beta ?? 1;
  requirePositiveInts(label, { batch: B, samples: K, dim: D, latent: Z });
  requireFinite(label, 'beta', beta, { min: 0 });
  const lik = likelihoodSetup(label, shape, D);
  const have = rt.limits.maxStorageBuffersPerShaderStage;
  if (have < IWAE_OBJECTIVE_STORAGE_BUFFERS) {
    throw new Error(`${label}: needs ${IWAE_OBJECTIVE_STORAGE_BUFFERS} storage buffers per shader stage; this device allows ${have}`);
  }
  const R = B * K;
  const rd = `(B·k)×D = ${R}×${D}`;
  const rz = `(B·k)×Z = ${R}×${Z}`;
  requireFloats(label, 'logits', buf.logits, R * D, rd);
  requireFloats(label, 'x', buf.x, B * D, `B×D = ${B}×${D}`);
  requireFloats(label, 'stats', buf.stats, 2 * B * Z, `B×2Z = ${B}×${2 * Z}`);
  requireFloats(label, 'eps', buf.eps, R * Z, rz);
  requireFloats(label, 'dlogits', buf.dlogits, R * D, rd);
  requireFloats(label, 'weights', buf.weights, R, `B·k = ${R}`);
  requireFloats(label, 'perExample', buf.perExample, 4 * B, `B×4 = ${B}×4`);
  requireFloats(label, 'loss', buf.loss, 4, '4');
  requireFloats(label, 'totals', buf.totals, 4, '4');
  if (shape.track && !buf.health) throw new Error(`${label}: a tracked (training) pass needs a health buffer`);
  if (buf.health) requireFloats(label, 'health', buf.health, 2, '2 u32');
  const params = rt.uniformBlock(IWAE_OBJECTIVE, 'params', {
    B, K, D, Z, track: shape.track ? 1 : 0,
    beta, inv_batch: 1 / B, ...lik.uniforms, log_k: Math.log(K), inv_k: 1 / K,
  }, `${label} params`);
  const scales = scaleBinding(rt, label, lik, buf.logScale);
  const schedule = objectiveSchedule(rt, 'iwae_objective', label, shape.schedule, { batch: B, samples: K, dim: D, latent: Z });
  const kernel = schedule === 'subgroup' ? IWAE_OBJECTIVE_SUBGROUP : IWAE_OBJECTIVE;
  const bindGroup = rt.bindGroup(kernel, {
    params: params.buffer, logits: buf.logits, x: buf.x, stats: buf.stats, eps: buf.eps, dlogits: buf.dlogits,
    weights: buf.weights, terms: buf.perExample, loss: buf.loss, totals: buf.totals, health: buf.health ?? rt.writablePlaceholder, log_scale: scales.arg,
  });
  return objectivePass(rt, kernel, { label, batch: B, schedule, overrides: lik.overrides, bindGroup, params, owned: [scales] });
}

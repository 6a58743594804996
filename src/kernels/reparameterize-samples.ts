// The k-samples reparameterization as data (shaders/reparameterize_samples.wgsl) and its wrapper:
// z for rows r = b·k + i from μ_b, logvar_b and stored noise ε_r, and the backward that joins the
// k samples' dz (scaled per row for DReG) and the objective's latent-side terms (the prior, q for
// DReG, IWAE's direct dlogvar) into dstats, from the normalised weights ŵ.
import source from '../../shaders/reparameterize_samples.wgsl?raw';
import type { BufferArg, KernelDecl } from '../gpu/kernel';
import { packUniform, type Dispatch, type Runtime } from '../gpu/runtime';
import { requireFinite, requireFloats, requirePositiveInt } from './checks';

export const REPARAMETERIZE_SAMPLES: KernelDecl = {
  name: 'reparameterize_samples',
  source,
  entryPoints: ['forward', 'backward'],
  bindings: [
    { binding: 0, name: 'params', type: 'uniform' },
    { binding: 1, name: 'stats', type: 'read-only-storage' },
    { binding: 2, name: 'eps', type: 'read-only-storage' },
    { binding: 3, name: 'z', type: 'storage' },
    { binding: 4, name: 'dz', type: 'read-only-storage' },
    { binding: 5, name: 'weights', type: 'read-only-storage' },
    { binding: 6, name: 'dstats', type: 'storage' },
  ],
  overrides: ['DREG'],
  workgroupSize: [256, 1],
};

/** The gradient estimator: IWAE's own, or the doubly reparameterized one (DReG) for the encoder. */
export type IwaeEstimator = 'iwae' | 'dreg';

export interface SamplesShape {
  batch: number;
  /** Samples per example (k). */
  samples: number;
  latent: number;
  /** The objective's β (as given to the IWAE objective). */
  beta?: number;
  estimator?: IwaeEstimator;
}

export interface SamplesBuffers {
  /** B×2Z: μ then logvar per example. */
  stats: BufferArg;
  /** (B·k)×Z standard normal noise. */
  eps: BufferArg;
  /** (B·k)×Z output of the forward. */
  z: BufferArg;
  /** Backward only: (B·k)×Z gradient w.r.t. z from the decoder's backward. */
  dz?: BufferArg;
  /** Backward only: B·k normalised weights ŵ from the IWAE objective (read for DReG). */
  weights?: BufferArg;
  /** Backward only: B×2Z gradient w.r.t. μ | logvar (written). */
  dstats?: BufferArg;
}

export interface PreparedSamples {
  forward: Dispatch;
  /** Present when dz, weights and dstats were given. */
  backward?: Dispatch;
  /** Rewrites β (byte 16 of the uniform) for the next submit, e.g. during a KL warm-up. */
  setBeta(beta: number): void;
  destroy(): void;
}

export function prepareReparameterizeSamples(rt: Runtime, shape: SamplesShape, buf: SamplesBuffers, label = 'reparameterize_samples'): PreparedSamples {
  const { batch: B, samples: K, latent: Z } = shape;
  const beta = shape.beta ?? 1;
  const estimator = shape.estimator ?? 'iwae';
  requirePositiveInt(label, 'batch', B);
  requirePositiveInt(label, 'samples', K);
  requirePositiveInt(label, 'latent', Z);
  requireFinite(label, 'beta', beta, { min: 0 });
  if (estimator !== 'iwae' && estimator !== 'dreg') throw new Error(`${label}: estimator must be 'iwae' or 'dreg', got '${String(estimator)}'`);
  const R = B * K;
  const rz = `(B·k)×Z = ${R}×${Z}`;
  requireFloats(label, 'stats', buf.stats, 2 * B * Z, `B×2Z = ${B}×${2 * Z}`);
  requireFloats(label, 'eps', buf.eps, R * Z, rz);
  requireFloats(label, 'z', buf.z, R * Z, rz);
  const given = [buf.dz, buf.weights, buf.dstats].filter(Boolean).length;
  if (given !== 0 && given !== 3) throw new Error(`${label}: the backward needs dz, weights and dstats together`);
  if (buf.dz) requireFloats(label, 'dz', buf.dz, R * Z, rz);
  if (buf.weights) requireFloats(label, 'weights', buf.weights, R, `B·k = ${R}`);
  if (buf.dstats) requireFloats(label, 'dstats', buf.dstats, 2 * B * Z, `B×2Z = ${B}×${2 * Z}`);
  const params = rt.uniform(
    `${label} params`,
    packUniform([['u32', B], ['u32', K], ['u32', Z], ['u32', 0], ['f32', beta], ['f32', 1 / B], ['f32', 0], ['f32', 0]]),
  );
  const bindGroup = rt.bindGroup(REPARAMETERIZE_SAMPLES, {
    params,
    stats: buf.stats,
    eps: buf.eps,
    z: buf.z,
    dz: buf.dz ?? rt.placeholder,
    weights: buf.weights ?? rt.placeholder,
    dstats: buf.dstats ?? rt.writablePlaceholder,
  });
  const overrides = { DREG: estimator === 'dreg' };
  return {
    forward: { label: `${label} forward`, pipeline: rt.pipeline(REPARAMETERIZE_SAMPLES, 'forward', overrides), bindGroup, workgroups: rt.grid(Math.ceil((R * Z) / 256)) },
    backward: buf.dz
      ? { label: `${label} backward`, pipeline: rt.pipeline(REPARAMETERIZE_SAMPLES, 'backward', overrides), bindGroup, workgroups: rt.grid(Math.ceil((B * Z) / 256)) }
      : undefined,
    setBeta: (b: number) => {
      requireFinite(label, 'beta', b, { min: 0 });
      rt.device.queue.writeBuffer(params, 16, Float32Array.of(b));
    },
    destroy: () => params.destroy(),
  };
}

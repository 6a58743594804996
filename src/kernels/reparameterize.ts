// The reparameterization kernel as data (shaders/reparameterize.wgsl) and its wrapper: z for S
// samples per example (rows r = b·S + s) from μ, logvar and the Philox noise, ε itself kept where a
// k-sample objective reads it, and the backward of either objective: the ELBO's (one sample, added
// into dstats) or the importance-weighted one's (from ŵ, IWAE or DReG, written). The noise is a pure
// function of (seed, step, stream, index), so only the step changes between training steps.
import source from '../../shaders/reparameterize.wgsl?raw';
import type { BufferArg, KernelDecl } from '../gpu/kernel';
import type { Dispatch, Runtime } from '../gpu/runtime';
import { requireFinite, requireFloats, requireOneOf, requirePositiveInts } from './checks';
import { shader } from './shader-lib';
import { seedKey } from '../base/words';

export const REPARAMETERIZE: KernelDecl = {
  name: 'reparameterize',
  source: shader('reparameterize', source),
  entryPoints: ['forward', 'backward', 'backward_weighted'],
  bindings: [
    {
      binding: 0, name: 'params', type: 'uniform',
      fields: [
        ['count', 'u32'], ['Z', 'u32'], ['seed_lo', 'u32'], ['seed_hi', 'u32'], ['step', 'u32'], ['stream', 'u32'], ['samples', 'u32'], ['_pad0', 'u32'],
        ['beta', 'f32'], ['inv_batch', 'f32'], ['_pad1', 'f32'], ['_pad2', 'f32'],
      ],
    },
    { binding: 1, name: 'stats', type: 'read-only-storage' },
    { binding: 2, name: 'z', type: 'storage' },
    { binding: 3, name: 'dz', type: 'read-only-storage' },
    { binding: 4, name: 'dstats', type: 'storage' },
    { binding: 5, name: 'eps', type: 'storage' },
    { binding: 6, name: 'weights', type: 'read-only-storage' },
  ],
  overrides: ['KEEP_EPS', 'DREG'],
  workgroupSize: [256, 1],
};

export interface NoiseKey {
  /** Non-negative integer below 2^53; split into two 32-bit key words. */
  seed: number;
  /** Separates independent uses of one seed (training noise, evaluation samples, ...). */
  stream: number;
}

/** The importance-weighted backward's gradient estimator: IWAE's own, or the doubly reparameterized one (DReG). */
export type IwaeEstimator = 'iwae' | 'dreg';

export interface ReparamShape {
  batch: number;
  latent: number;
  /** Samples per example (S, default 1); z has batch × samples rows. */
  samples?: number;
  /** The weighted backward: the objective's β (default 1). */
  beta?: number;
  /** The weighted backward's estimator (default 'iwae'). */
  estimator?: IwaeEstimator;
}

/** The shape the CPU twin's sample functions take (every field given). */
export type SamplesShape = Required<Pick<ReparamShape, 'batch' | 'samples' | 'latent'>> & Pick<ReparamShape, 'beta' | 'estimator'>;

export interface ReparamBuffers {
  /** B×2Z: μ then logvar per example. */
  stats: BufferArg;
  /** (B·S)×Z output. */
  z: BufferArg;
  /** (B·S)×Z: the noise itself, written by the forward when given (the weighted backward reads it). */
  eps?: BufferArg;
  /** Backward: (B·S)×Z gradient w.r.t. z. */
  dz?: BufferArg;
  /** Backward: B×2Z gradient w.r.t. stats, added into (one sample) or written (weighted). */
  dstats?: BufferArg;
  /** The weighted backward: B·S normalised weights ŵ from the importance-weighted objective. */
  weights?: BufferArg;
}

export interface PreparedReparam {
  forward: Dispatch;
  /** Present when dz and dstats were given: the ELBO's backward, or with weights (and eps) the weighted one. */
  backward?: Dispatch;
  /** Sets the step (and optionally stream) words of the noise counter (queued; takes effect for the next submit). */
  setStep(step: number, stream?: number): void;
  /** Rewrites the weighted backward's β for the next submit, e.g. during a KL warm-up. */
  setBeta(beta: number): void;
  destroy(): void;
}

export function prepareReparameterize(rt: Runtime, shape: ReparamShape, buf: ReparamBuffers, noise: NoiseKey, label = 'reparameterize'): PreparedReparam {
  const { batch: B, latent: Z } = shape;
  const S = shape.samples ?? 1;
  const beta = shape.beta ?? 1;
  const estimator = shape.estimator ?? 'iwae';
  requirePositiveInts(label, { batch: B, latent: Z, samples: S });
  requireFinite(label, 'beta', beta, { min: 0 });
  requireOneOf(label, 'estimator', estimator, ['iwae', 'dreg']);
  const count = B * S * Z;
  const rz = S === 1 ? `B×Z = ${B}×${Z}` : `(B·S)×Z = ${B * S}×${Z}`;
  const bz = `B×2Z = ${B}×${2 * Z}`;
  requireFloats(label, 'stats', buf.stats, 2 * B * Z, bz);
  requireFloats(label, 'z', buf.z, count, rz);
  if (buf.eps) requireFloats(label, 'eps', buf.eps, count, rz);
  if (!!buf.dz !== !!buf.dstats) throw new Error(`${label}: the backward needs both dz and dstats`);
  if (buf.dz) requireFloats(label, 'dz', buf.dz, count, rz);
  if (buf.dstats) requireFloats(label, 'dstats', buf.dstats, 2 * B * Z, bz);
  const weighted = !!buf.weights;
  if (weighted) {
    if (!buf.dz || !buf.eps) throw new Error(`${label}: the weighted backward needs dz, dstats and eps beside the weights`);
    requireFloats(label, 'weights', buf.weights!, B * S, `B·S = ${B * S}`);
  } else if (buf.dz && S !== 1) {
    throw new Error(`${label}: the backward without weights takes one sample per example (the ELBO's), got ${S}; a k-sample objective's backward needs its weights ŵ`);
  }
  const [seedLo, seedHi] = seedKey(noise.seed);
  const word = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`${label}: ${name} must be a 32-bit unsigned integer, got ${v}`);
    return v;
  };
  const params = rt.uniformBlock(REPARAMETERIZE, 'params', {
    count, Z, seed_lo: seedLo, seed_hi: seedHi, step: 0, stream: word('stream', noise.stream), samples: S, beta, inv_batch: 1 / B,
  }, `${label} params`);
  const bindGroup = rt.bindGroup(REPARAMETERIZE, {
    params: params.buffer,
    stats: buf.stats,
    z: buf.z,
    dz: buf.dz ?? rt.placeholder,
    dstats: buf.dstats ?? rt.writableSpare(0),
    eps: buf.eps ?? rt.writableSpare(1),
    weights: buf.weights ?? rt.placeholder,
  });
  // One invocation per group of four elements (one Philox call gives their four normals).
  const groups = rt.grid(Math.ceil(Math.ceil(count / 4) / 256));
  const forward: Dispatch = { label: `${label} forward`, pipeline: rt.pipeline(REPARAMETERIZE, 'forward', { KEEP_EPS: !!buf.eps }), bindGroup, workgroups: groups };
  // The ELBO's backward: the groups of four again; the weighted one: an invocation per stats element.
  const backward: Dispatch | undefined = !buf.dz
    ? undefined
    : weighted
      ? { label: `${label} backward`, pipeline: rt.pipeline(REPARAMETERIZE, 'backward_weighted', { DREG: estimator === 'dreg' }), bindGroup, workgroups: rt.grid(Math.ceil((B * Z) / 256)) }
      : { label: `${label} backward`, pipeline: rt.pipeline(REPARAMETERIZE, 'backward'), bindGroup, workgroups: groups };
  return {
    forward,
    backward,
    setStep(step: number, stream = noise.stream) {
      params.set({ step: word('step', step), stream: word('stream', stream) });
    },
    setBeta(b: number) {
      requireFinite(label, 'beta', b, { min: 0 });
      params.set({ beta: b });
    },
    destroy: () => params.destroy(),
  };
}

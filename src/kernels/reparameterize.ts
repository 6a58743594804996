// The reparameterization kernel as data (shaders/reparameterize.wgsl) and its wrapper. The noise is
// a pure function of (seed, step, stream, index), so only the step changes between training steps.
// One invocation handles four elements: the four normals of one Philox call.
import source from '../../shaders/reparameterize.wgsl?raw';
import type { BufferArg, KernelDecl } from '../gpu/kernel';
import { packFields, type Dispatch, type Runtime } from '../gpu/runtime';
import { requireFloats, requirePositiveInt } from './checks';
import { seedKey } from '../base/words';

export const REPARAMETERIZE: KernelDecl = {
  name: 'reparameterize',
  source,
  entryPoints: ['forward', 'backward', 'backward_samples'],
  bindings: [
    { binding: 0, name: 'params', type: 'uniform', fields: [['count', 'u32'], ['Z', 'u32'], ['seed_lo', 'u32'], ['seed_hi', 'u32'], ['step', 'u32'], ['stream', 'u32'], ['samples', 'u32'], ['_pad0', 'u32']] },
    { binding: 1, name: 'stats', type: 'read-only-storage' },
    { binding: 2, name: 'z', type: 'storage' },
    { binding: 3, name: 'dz', type: 'read-only-storage' },
    { binding: 4, name: 'dstats', type: 'storage' },
  ],
  overrides: [],
  workgroupSize: [256, 1],
};

export interface NoiseKey {
  /** Non-negative integer below 2^53; split into two 32-bit key words. */
  seed: number;
  /** Separates independent uses of one seed (training noise, evaluation samples, ...). */
  stream: number;
}


export interface ReparamBuffers {
  /** B×2Z: μ then logvar per row. */
  stats: BufferArg;
  /** B×Z output. */
  z: BufferArg;
  /** B×Z gradient w.r.t. z (backward only). */
  dz?: BufferArg;
  /** B×2Z gradient w.r.t. stats, accumulated into (backward only). */
  dstats?: BufferArg;
}

export interface PreparedReparam {
  forward: Dispatch;
  /** Present when dz and dstats were given. */
  backward?: Dispatch;
  /** Sets the step (and optionally stream) words of the noise counter (queued; takes effect for the next submit). */
  setStep(step: number, stream?: number): void;
  destroy(): void;
}

export function prepareReparameterize(
  rt: Runtime,
  shape: { batch: number; latent: number; samples?: number },
  buf: ReparamBuffers,
  noise: NoiseKey,
  label = 'reparameterize',
): PreparedReparam {
  const { batch, latent } = shape;
  const samples = shape.samples ?? 1;
  requirePositiveInt(label, 'batch', batch);
  requirePositiveInt(label, 'latent', latent);
  requirePositiveInt(label, 'samples', samples);
  const stat = batch * latent;
  const count = stat * samples;
  const zShape = samples === 1 ? `B×Z = ${batch}×${latent}` : `B·S×Z = ${batch}·${samples}×${latent}`;
  requireFloats(label, 'stats', buf.stats, 2 * stat, `B×2Z = ${batch}×${2 * latent}`);
  requireFloats(label, 'z', buf.z, count, zShape);
  if (!!buf.dz !== !!buf.dstats) throw new Error(`${label}: the backward needs both dz and dstats`);
  if (buf.dz) requireFloats(label, 'dz', buf.dz, count, zShape);
  if (buf.dstats) requireFloats(label, 'dstats', buf.dstats, 2 * stat, `B×2Z = ${batch}×${2 * latent}`);
  const [seedLo, seedHi] = seedKey(noise.seed);
  const word = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`${label}: ${name} must be a 32-bit unsigned integer, got ${v}`);
    return v;
  };
  word('stream', noise.stream);
  const fields = (step: number, stream: number) =>
    packFields(REPARAMETERIZE, 'params', { count, Z: latent, seed_lo: seedLo, seed_hi: seedHi, step, stream, samples });
  const params = rt.uniform(`${label} params`, fields(0, noise.stream));
  const bindGroup = rt.bindGroup(REPARAMETERIZE, {
    params,
    stats: buf.stats,
    z: buf.z,
    dz: buf.dz ?? rt.placeholder,
    dstats: buf.dstats ?? rt.writablePlaceholder,
  });
  // One invocation per group of four elements (one Philox call gives their four normals).
  const workgroups = rt.grid(Math.ceil(Math.ceil(count / 4) / 256));
  const forward: Dispatch = { label: `${label} forward`, pipeline: rt.pipeline(REPARAMETERIZE, 'forward'), bindGroup, workgroups };
  // One sample per example: the backward of each group of four; more: one invocation per stats element.
  const backward: Dispatch | undefined = !buf.dz
    ? undefined
    : samples === 1
      ? { label: `${label} backward`, pipeline: rt.pipeline(REPARAMETERIZE, 'backward'), bindGroup, workgroups }
      : { label: `${label} backward`, pipeline: rt.pipeline(REPARAMETERIZE, 'backward_samples'), bindGroup, workgroups: rt.grid(Math.ceil(stat / 256)) };
  return {
    forward,
    backward,
    setStep(step: number, stream = noise.stream) {
      rt.device.queue.writeBuffer(params, 0, fields(word('step', step), word('stream', stream)));
    },
    destroy: () => params.destroy(),
  };
}

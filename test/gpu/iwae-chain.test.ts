// The importance-weighted kernels composed on the GPU in one submit, against the same chain of CPU
// twins: k samples from reparameterize.wgsl (ε kept) → linear decoder (matmul) → iwae_objective →
// decoder backward (matmul, Wᵀ) → reparameterize.wgsl's weighted backward, for both estimators; and
// K = 1 beside the ELBO path on the same noise.
import { describe, expect, it } from 'vitest';
import { readFloats, storageBuffer, storageFrom } from '../../src/gpu/buffers';
import type { Runtime } from '../../src/gpu/runtime';
import { prepareElbo } from '../../src/kernels/elbo';
import { prepareIwaeObjective } from '../../src/kernels/iwae-objective';
import { prepareMatmul } from '../../src/kernels/matmul';
import { prepareReparameterize, type IwaeEstimator } from '../../src/kernels/reparameterize';
import { iwaeObjective } from '../../src/cpu/iwae-objective';
import { matmul } from '../../src/cpu/matmul';
import { samplesBackward, samplesForward } from '../../src/cpu/reparameterize';
import { expectClose } from '../util/compare';
import { uniformArray } from '../util/random';
import { poisoned, scoped, submit, useGpu } from './harness';

const gpu = useGpu();
const NOISE = { seed: 123456789, step: 17, stream: 2 };

interface Chain {
  B: number;
  K: number;
  D: number;
  Z: number;
  beta: number;
  estimator: IwaeEstimator;
}

function inputs(c: Chain) {
  return {
    x: uniformArray(c.B * c.D, 3, 0, 1),
    stats: uniformArray(c.B * 2 * c.Z, 4, -1.5, 1.5),
    W: uniformArray(c.Z * c.D, 5, -1, 1),
    bias: uniformArray(c.D, 6, -0.5, 0.5),
  };
}

/** Runs the chain in one submit; returns ε, logits, the objective's loss and dlogits, and dstats. */
async function gpuChain(device: GPUDevice, rt: Runtime, c: Chain, withElbo: boolean) {
  const { B, K, D, Z } = c;
  const R = B * K;
  const inp = inputs(c);
  return scoped(device, async () => {
    const buf = {
      x: storageFrom(device, inp.x, 'x'), stats: storageFrom(device, inp.stats, 'stats'), W: storageFrom(device, inp.W, 'W'),
      bias: storageFrom(device, inp.bias, 'bias'),
      eps: poisoned(device, R * Z, 'eps'), z: poisoned(device, R * Z, 'z'), logits: poisoned(device, R * D, 'logits'),
      dlogits: poisoned(device, R * D, 'dlogits'), weights: poisoned(device, R, 'weights'),
      perExample: poisoned(device, 4 * B, 'per example'), loss: poisoned(device, 4, 'loss'), totals: storageBuffer(device, 4, 'totals'),
      dz: poisoned(device, R * Z, 'dz'), dstats: poisoned(device, B * 2 * Z, 'dstats'),
      // The ELBO path on the same noise (K = 1 only).
      ez: poisoned(device, B * Z, 'elbo z'), elogits: poisoned(device, B * D, 'elbo logits'), edlogits: poisoned(device, B * D, 'elbo dlogits'),
      edstats: poisoned(device, B * 2 * Z, 'elbo dstats'), eterms: poisoned(device, 2 * B, 'elbo terms'), eloss: poisoned(device, 4, 'elbo loss'),
      etotals: storageBuffer(device, 4, 'elbo totals'), edz: poisoned(device, B * Z, 'elbo dz'),
    };
    const samples = prepareReparameterize(rt, { batch: B, samples: K, latent: Z, beta: c.beta, estimator: c.estimator }, buf, { seed: NOISE.seed, stream: NOISE.stream });
    samples.setStep(NOISE.step);
    const decode = prepareMatmul(rt, { M: R, N: D, K: Z }, { a: buf.z, b: buf.W, bias: buf.bias, c: buf.logits });
    const objective = prepareIwaeObjective(rt, { batch: B, samples: K, dim: D, latent: Z, beta: c.beta }, buf);
    const decodeBack = prepareMatmul(rt, { M: R, N: Z, K: D, transB: true }, { a: buf.dlogits, b: buf.W, c: buf.dz });
    const ops = [samples, decode, objective, decodeBack];
    const dispatches = [samples.forward, ...decode.dispatches, ...objective.dispatches, ...decodeBack.dispatches, samples.backward!];
    if (withElbo) {
      const reparam = prepareReparameterize(rt, { batch: B, latent: Z }, { stats: buf.stats, z: buf.ez, dz: buf.edz, dstats: buf.edstats }, { seed: NOISE.seed, stream: NOISE.stream });
      reparam.setStep(NOISE.step);
      const eDecode = prepareMatmul(rt, { M: B, N: D, K: Z }, { a: buf.ez, b: buf.W, bias: buf.bias, c: buf.elogits });
      const elbo = prepareElbo(rt, { batch: B, dim: D, latent: Z, beta: c.beta }, {
        logits: buf.elogits, x: buf.x, stats: buf.stats, dlogits: buf.edlogits, dstats: buf.edstats, perExample: buf.eterms, loss: buf.eloss, totals: buf.etotals,
      });
      const eBack = prepareMatmul(rt, { M: B, N: Z, K: D, transB: true }, { a: buf.edlogits, b: buf.W, c: buf.edz });
      ops.push(reparam, eDecode, elbo, eBack);
      dispatches.push(reparam.forward, ...eDecode.dispatches, ...elbo.dispatches, ...eBack.dispatches, reparam.backward!);
    }
    await submit(device, dispatches);
    const read = (b: GPUBuffer, n: number) => readFloats(device, b, n);
    const out = {
      inp, eps: await read(buf.eps, R * Z), logits: await read(buf.logits, R * D), loss: await read(buf.loss, 4),
      dlogits: await read(buf.dlogits, R * D), dstats: await read(buf.dstats, B * 2 * Z),
      elbo: withElbo ? { loss: await read(buf.eloss, 4), dlogits: await read(buf.edlogits, B * D), dstats: await read(buf.edstats, B * 2 * Z) } : undefined,
    };
    ops.forEach((op) => op.destroy());
    Object.values(buf).forEach((b) => b.destroy());
    return out;
  });
}

describe('IWAE kernels composed on the GPU', () => {
  for (const estimator of ['iwae', 'dreg'] as const) {
    it(`one submit from noise to dstats matches the CPU chain (${estimator}, B=5 k=5 D=37 Z=6 β=0.8)`, async () => {
      const { device, rt } = gpu();
      const c: Chain = { B: 5, K: 5, D: 37, Z: 6, beta: 0.8, estimator };
      const g = await gpuChain(device, rt, c, false);
      // The CPU chain on the GPU's ε and logits (each kernel's own error is judged in its own test).
      const s = { batch: c.B, samples: c.K, dim: c.D, latent: c.Z, beta: c.beta, estimator };
      const z = samplesForward(g.inp.stats, g.eps, s);
      const logits = matmul(z, g.inp.W, g.inp.bias, { M: c.B * c.K, N: c.D, K: c.Z });
      expectClose(`chain ${estimator} logits`, g.logits, logits, 1e-5, 1e-5);
      const o = iwaeObjective(g.logits, g.inp.x, g.inp.stats, g.eps, s);
      const dz = matmul(o.dlogits, g.inp.W, null, { M: c.B * c.K, N: c.Z, K: c.D, transB: true });
      const dstats = samplesBackward(g.inp.stats, g.eps, dz, o.weights, s);
      expectClose(`chain ${estimator} loss`, g.loss, [o.loss, o.rec, o.kl, o.ess], 1e-4, 1e-5);
      expectClose(`chain ${estimator} dlogits`, g.dlogits, o.dlogits, 1e-8, 1e-4);
      expectClose(`chain ${estimator} dstats`, g.dstats, dstats, 1e-6, 1e-4);
    });
  }

  it('K = 1 beside the ELBO on the same noise: the same dlogits and reconstruction, the KL sampled', async () => {
    const { device, rt } = gpu();
    const c: Chain = { B: 7, K: 1, D: 37, Z: 6, beta: 0.8, estimator: 'iwae' };
    const g = await gpuChain(device, rt, c, true);
    const e = g.elbo!;
    expectClose('K=1 dlogits vs elbo dlogits', g.dlogits, e.dlogits, 1e-8, 1e-5);
    expectClose('K=1 mean rec vs elbo mean rec', [g.loss[1]], [e.loss[1]], 1e-5, 1e-5);
    // −L_1 = rec + β·(sampled KL); −ELBO = rec + β·(analytic KL).
    expectClose('K=1 −L_1 = rec + β·sampled KL', [g.loss[0]], [g.loss[1] + c.beta * g.loss[2]], 1e-5, 1e-5);
    expect(Math.abs(g.loss[2] - e.loss[2]), 'sampled and analytic KL differ on one draw').toBeGreaterThan(1e-3);
  });
});

// Importance-weighted training through the op registry (src/ops/iwae.ts): 20 GPU steps with k = 5
// against the float64 CPU reference (same weights, batches, noise), both estimators; K = 1 beside the
// ELBO objective on the same weights and noise (same reconstruction, the KL sampled: same gradient in
// expectation, and the decoder's gradient identical); L_k of an IWAE model in chunks, GPU against CPU.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import type { Dataset } from '../../src/data/dataset';
import { GpuVae } from '../../src/vae/gpu-vae';
import { CpuVae } from '../../src/model/cpu-vae';
import { CpuBackend } from '../../src/train/cpu-backend';
import { buildVaeGraph } from '../../src/model/vae-graph';
import { resolveConfig } from '../../src/model/config';
import { expectClose } from '../util/compare';
import { trainSideBySide } from '../util/train-agreement';
import { scoped, useGpu } from '../gpu/harness';

const gpu = useGpu();
let train: Dataset;
beforeAll(async () => {
  train = (await loadEmbeddedMnist()).train;
});

const D = 784;
const batchAt = (start: number, b: number) => train.images.subarray(start * D, (start + b) * D);

describe('IWAE training objective (k samples per example in one submit)', () => {
  for (const objective of ['iwae', 'iwae-dreg'] as const) {
    it(`GPU agrees with the CPU reference over 20 steps (${objective}, k = 5)`, async () => {
      const config = { encoderHidden: [48], decoderHidden: [40], latent: 5, seed: 7, objective, kTrain: 5, adam: { lr: 3e-3 } };
      const { device, rt } = gpu();
      const B = 12;
      const cpu = new CpuVae(config);
      expect(cpu.trainSamples).toBe(5);
      await scoped(device, async () => {
        const vae = new GpuVae(rt, config, { maxBatch: B });
        const worst = await trainSideBySide(vae, cpu, { steps: 20, batch: B, short: 5, batchAt });
        console.info(`${objective} k=5 training agreement: worst relative loss/rec/kl difference over 20 steps ${worst.toExponential(2)}`);
        // Parameters: Adam divides each gradient by its own scale, so a weight whose gradient is near 0
        // (an input pixel almost never on) may move by up to ±lr a step on f32 rounding alone; all but
        // such a handful agree within (2e-5, 1e-3), and every one within 20 steps × lr.
        const got = await vae.readParams();
        let off = 0, worstP = 0;
        for (let i = 0; i < got.length; i++) {
          const d = Math.abs(got[i] - cpu.params[i]);
          worstP = Math.max(worstP, d);
          if (d > 2e-5 + 1e-3 * Math.abs(cpu.params[i])) off++;
        }
        console.info(`${objective} parameters after 20 steps: ${off} of ${got.length} outside (2e-5, 1e-3), worst |Δ| ${worstP.toExponential(2)}`);
        expect(off / got.length).toBeLessThan(1e-4);
        expect(worstP).toBeLessThan(20 * 3e-3);
        vae.dispose();
      });
    });
  }

  it('K = 1 against the ELBO objective: same rec and decoder gradient on the same noise, the KL sampled', () => {
    const base = { encoderHidden: [24], decoderHidden: [20], latent: 4, seed: 2 };
    const elbo = new CpuVae(base);
    const iw = new CpuVae({ ...base, objective: 'iwae', kTrain: 1 }, Float32Array.from(elbo.params));
    const b = 9, x = batchAt(100, b);
    const [, recE, klE] = elbo.trainStep(x, b);
    const [lossI, recI, klI] = iw.trainStep(x, b);
    // Same ε (the sampler draws the default stream's noise), so the same z and reconstruction.
    expect(Math.abs(recI - recE) / recE, `rec ${recI} vs ${recE}`).toBeLessThan(1e-12);
    expect(Math.abs(lossI - (recI + klI))).toBeLessThan(1e-9);
    expect(Math.abs(klI - klE), 'the sampled KL differs from the analytic one on one draw').toBeGreaterThan(1e-4);
    // The decoder's gradients depend only on dlogits = ∂rec/∂l: identical; the encoder's differ by the KL's estimator.
    const g = buildVaeGraph(resolveConfig(base));
    for (const p of g.params.filter((q) => q.name.startsWith('decoder'))) {
      expectClose(`K=1 ${p.name} gradient`, iw.grads.subarray(p.offset, p.offset + p.size), elbo.grads.subarray(p.offset, p.offset + p.size), 1e-12, 1e-9);
    }
  });

  it('K = 1: the encoder gradient of the sampled KL averages to the analytic one', () => {
    // Over many noise steps, with the parameters all but fixed (lr 1e-12), mean IWAE(K=1) encoder grads ≈ ELBO's.
    const base = { encoderHidden: [8], decoderHidden: [8], latent: 2, seed: 4, adam: { lr: 1e-12 } };
    const elbo = new CpuVae(base);
    const iw = new CpuVae({ ...base, objective: 'iwae', kTrain: 1 }, Float32Array.from(elbo.params));
    const b = 4, x = batchAt(300, b), N = 400;
    const enc = buildVaeGraph(resolveConfig(base)).params.filter((q) => q.name.startsWith('encoder.head'));
    const sum = (m: CpuVae, acc: Float64Array[]) => enc.forEach((p, i) => { const g = m.grads.subarray(p.offset, p.offset + p.size); for (let j = 0; j < g.length; j++) acc[i][j] += g[j] / N; });
    const accE = enc.map((p) => new Float64Array(p.size)), accI = enc.map((p) => new Float64Array(p.size));
    for (let s = 0; s < N; s++) {
      elbo.trainStep(x, b); iw.trainStep(x, b);
      sum(elbo, accE); sum(iw, accI);
    }
    let worst = 0, scale = 0;
    accE.forEach((a, i) => a.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - accI[i][j])); scale = Math.max(scale, Math.abs(v)); }));
    console.info(`K=1 vs ELBO: mean encoder-head gradient over ${N} draws, worst |Δ| ${worst.toExponential(2)} (largest |g| ${scale.toExponential(2)})`);
    expect(worst / scale).toBeLessThan(0.1);
  });

  it('L_k of an IWAE model in chunks of k_train samples: GPU against CPU, and −L_k ≤ the sampled −ELBO', async () => {
    const config = { encoderHidden: [32], decoderHidden: [32], latent: 4, seed: 5, objective: 'iwae', kTrain: 4 };
    const { device, rt } = gpu();
    const n = 21, maxBatch = 8, k = 11;
    const x = batchAt(700, n);
    const cpu = new CpuBackend(config, undefined, maxBatch);
    const want = await cpu.evaluateLk(x, n, k);
    await scoped(device, async () => {
      const vae = new GpuVae(rt, config, { maxBatch });
      const got = await vae.evaluateLk(x, n, k);
      const test = await vae.evaluate(x, n);
      vae.dispose();
      console.info(`IWAE model L_${k} in chunks of 4: gpu ${got} cpu ${want}`);
      expect(Math.abs(got - want) / Math.abs(want)).toBeLessThan(1e-5);
      // −L_k, a loss: positive, and below the −ELBO of the same samples.
      expect(got).toBeGreaterThan(0);
      expect(got).toBeLessThan(test.parts.rec + test.parts.kl);
    });
  });
});

// The whole training step, GPU against the CPU reference: same config, initial weights, batches and
// noise stream; 20 steps' loss trajectories within a relative 1e-4 and the parameters close. Then the
// evaluation paths: test −ELBO and the importance-weighted bound L_k against the CPU computation.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import type { Dataset } from '../../src/data/dataset';
import { GpuVae } from '../../src/vae/gpu-vae';
import { CpuVae } from '../../src/model/cpu-vae';
import { STREAMS } from '../../src/model/init';
import { logImportanceWeight, logMeanExp } from '../../src/cpu/iwae';
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

describe('GPU training step against the CPU reference', () => {
  for (const config of [
    { encoderHidden: [64], decoderHidden: [48], latent: 5, activation: 'relu' as const, seed: 3 },
    { encoderHidden: [40, 24], decoderHidden: [32], latent: 3, activation: 'tanh' as const, beta: 0.5, seed: 11, adam: { lr: 3e-3 } },
  ]) {
    it(`agrees over 20 steps: ${JSON.stringify(config)}`, async () => {
      const { device, rt } = gpu();
      const B = 24;
      const cpu = new CpuVae(config);
      await scoped(device, async () => {
        const vae = new GpuVae(rt, config, { maxBatch: B });
        const worst = await trainSideBySide(vae, cpu, { steps: 20, batch: B, short: 13, batchAt });
        console.info(`training agreement ${JSON.stringify(config)}: worst relative loss/rec/kl difference over 20 steps ${worst.toExponential(2)}`);
        const params = await vae.readParams();
        // 20 Adam steps move a weight by at most 20·lr; f32 rounding shifts it by far less.
        expectClose('parameters after 20 steps', params, cpu.params, 2e-5, 1e-3);
        const { m, v } = await vae.readOptimizer();
        expectClose('adam m after 20 steps', m, cpu.m, 1e-6, 1e-3);
        expectClose('adam v after 20 steps', v, cpu.v, 1e-9, 1e-3);
        vae.dispose();
      });
    });
  }

  it('evaluates test −ELBO and L_k like the CPU reference', async () => {
    const { device, rt } = gpu();
    const config = { encoderHidden: [32], decoderHidden: [32], latent: 4, seed: 5 };
    const cpu = new CpuVae(config);
    const n = 37, maxBatch = 16, k = 6;
    const x = batchAt(500, n);
    await scoped(device, async () => {
      const vae = new GpuVae(rt, config, { maxBatch });
      const got = await vae.evaluate(x, n);
      const negLk = await vae.evaluateLk(x, n, k);
      vae.dispose();
      // CPU: the same batches, the same noise words.
      let sumLoss = 0, sumRec = 0, sumKl = 0, sumLk = 0;
      const Z = config.latent;
      for (let start = 0, index = 0; start < n; start += maxBatch, index++) {
        const b = Math.min(maxBatch, n - start);
        const xb = x.subarray(start * D, (start + b) * D);
        const r = cpu.evaluateBatch(xb, b, index);
        const [rec, kl] = r.parts;
        sumLoss += r.loss * b; sumRec += rec * b; sumKl += kl * b;
        const logW: number[][] = Array.from({ length: b }, () => []);
        for (let s = 0; s < k; s++) {
          const acts = cpu.forwardActivations(xb, b, index, STREAMS.iwaeBase + s);
          const res = cpu.forwardResult(xb, b, index, STREAMS.iwaeBase + s);
          const stats = acts.get('stats')!, z = acts.get('z')!;
          for (let e = 0; e < b; e++) {
            const st = Array.from(stats).slice(e * 2 * Z, (e + 1) * 2 * Z);
            logW[e].push(logImportanceWeight(res.perExample[2 * e], Array.from(z).slice(e * Z, (e + 1) * Z), st.slice(0, Z), st.slice(Z)));
          }
        }
        for (const w of logW) sumLk += logMeanExp(w);
      }
      expectClose('test −ELBO (loss, rec, kl)', [got.loss, got.parts.rec, got.parts.kl], [sumLoss / n, sumRec / n, sumKl / n], 1e-3, 1e-5);
      expect(got.examples).toBe(n);
      // evaluateLk gives −L_k, the sign of evaluate's −ELBO.
      expectClose('−L_k (k = 6)', [negLk], [-sumLk / n], 2e-3, 1e-5);
      expect(negLk).toBeGreaterThan(0);
      // L_k ≥ ELBO on average for k ≥ 1 (Burda et al.), up to noise: here with the same model.
      expect(negLk).toBeLessThan(got.loss + 1);
    });
  });
});

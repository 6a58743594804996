// Learning-rate schedules and the KL warm-up (src/train/schedule.ts): their shape, the GPU step against the CPU reference
// with a cosine schedule and warm-up on, and an exact resume from a checkpoint (the schedule rides in
// the config) for an IWAE model: bit-identical to the uninterrupted run.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import { subset, type Dataset } from '../../src/data/dataset';
import { GpuVae } from '../../src/vae/gpu-vae';
import { CpuVae } from '../../src/model/cpu-vae';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/model/checkpoint';
import { snapshotState, train } from '../../src/train/trainer';
import { betaAt, checkSchedule, lrAt } from '../../src/optim/schedule';
import { scoped, useGpu } from '../gpu/harness';

const gpu = useGpu();
let data: { train: Dataset; test: Dataset };
beforeAll(async () => {
  const d = await loadEmbeddedMnist();
  data = { train: subset(d.train, Array.from({ length: 192 }, (_, i) => i)), test: subset(d.test, Array.from({ length: 64 }, (_, i) => i)) };
});

describe('learning-rate schedules', () => {
  it('warm up linearly, then follow constant, step or cosine; β warms up from β/W', () => {
    expect([0, 1, 3, 4, 9].map((st) => betaAt({ klWarmup: 4 }, 2, st))).toEqual([0.5, 1, 2, 2, 2]);
    expect(betaAt(undefined, 0.5, 0)).toBe(0.5);
    expect(lrAt(undefined, 1e-3, 5)).toBe(1e-3);
    const w = { lr: 'constant' as const, lrWarmup: 4 };
    expect([0, 1, 2, 3, 4, 100].map((s) => lrAt(w, 1, s))).toEqual([0.25, 0.5, 0.75, 1, 1, 1]);
    const st = { lr: 'step' as const, horizon: 100 };
    expect([0, 49, 50, 74, 75, 99].map((s) => lrAt(st, 1, s))).toEqual([1, 1, 0.1, 0.1, 0.01, 0.01]);
    const cos = { lr: 'cosine' as const, horizon: 100 };
    expect(lrAt(cos, 2, 0)).toBe(2);
    expect(lrAt(cos, 2, 50)).toBeCloseTo(1, 12);
    expect(lrAt(cos, 2, 100)).toBeCloseTo(0, 12);
    expect(() => checkSchedule({ lr: 'cosine' })).toThrow(/needs a horizon/);
    expect(() => checkSchedule({ lr: 'linear' as never, horizon: 3 })).toThrow(/lr must be one of constant, step, cosine/);
  });

  for (const objective of ['elbo', 'iwae'] as const) it(`GPU against CPU over 20 steps with lr and KL warm-up, a cosine schedule and clipping (${objective})`, async () => {
    const config = { encoderHidden: [32], decoderHidden: [32], latent: 4, seed: 6, objective, kTrain: objective === 'iwae' ? 4 : undefined, adam: { lr: 3e-3 }, schedule: { lr: 'cosine' as const, lrWarmup: 5, horizon: 20, klWarmup: 12, clipGrad: 20 } };
    const { device, rt } = gpu();
    const cpu = new CpuVae(config);
    // The same run without clipping, to show that clipping changes the result beyond the GPU's error.
    const unclipped = new CpuVae({ ...config, schedule: { ...config.schedule, clipGrad: undefined } });
    await scoped(device, async () => {
      const vae = new GpuVae(rt, config, { maxBatch: 16 });
      let clipped = 0;
      for (let step = 0; step < 20; step++) {
        // Every third step a batch of 9: its own prepared pass, whose β must follow the warm-up too.
        const b = step % 3 === 2 ? 9 : 16;
        const x = data.train.images.subarray(step * 16 * 784 % (192 * 784), (step * 16 * 784 % (192 * 784)) + b * 784);
        const want = cpu.trainStep(x, b);
        unclipped.trainStep(x, b);
        // After clipping the gradient's norm is the limit (clipped) or below it.
        const norm = Math.sqrt(cpu.grads.reduce((a, g) => a + g * g, 0));
        expect(norm).toBeLessThan(20 * (1 + 1e-9));
        if (Math.abs(norm - 20) < 1e-6) clipped++;
        vae.trainStep(x);
        const got = await vae.readLoss();
        expect(Math.abs(got[0] - want[0]) / want[0], `step ${step}`).toBeLessThan(1e-4);
      }
      const p = await vae.readParams();
      let worst = 0;
      for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i] - cpu.params[i]));
      console.info(`${objective} cosine + lr and KL warm-up + clip 20 (clipped on ${clipped} of 20 steps): worst parameter |Δ| after 20 steps ${worst.toExponential(2)}`);
      expect(clipped, 'steps on which clipping acted').toBeGreaterThan(5);
      let effect = 0;
      for (let i = 0; i < p.length; i++) effect = Math.max(effect, Math.abs(unclipped.params[i] - cpu.params[i]));
      console.info(`${objective}: clipping moves the parameters by up to ${effect.toExponential(2)}`);
      expect(effect).toBeGreaterThan(20 * worst);
      expect(worst).toBeLessThan(1e-4);
      vae.dispose();
    });
  });

  it('an IWAE model with lr and KL warm-up, a step schedule and clipping resumes bit-exactly from a checkpoint', async () => {
    const config = { encoderHidden: [24], decoderHidden: [24], latent: 3, seed: 8, objective: 'iwae', kTrain: 3, schedule: { lr: 'step' as const, lrWarmup: 7, horizon: 24, klWarmup: 30, clipGrad: 10 } };
    const { device, rt } = gpu();
    const opts = { batch: 32, train: data.train, test: data.test, readEvery: 2 };
    await scoped(device, async () => {
      const straight = new GpuVae(rt, config, { maxBatch: 32 });
      await train(straight, { ...opts, epochs: 4 });
      const want = await straight.readParams();
      straight.dispose();
      const first = new GpuVae(rt, config, { maxBatch: 32 });
      await train(first, { ...opts, epochs: 2 });
      const state = decodeCheckpoint(encodeCheckpoint(await snapshotState(first)));
      first.dispose();
      expect(state.config.schedule).toEqual(config.schedule);
      const resumed = new GpuVae(rt, state.config, { maxBatch: 32, params: state.params });
      resumed.writeOptimizer(state.adam!.m, state.adam!.v, state.step);
      // train() counts epochs from the model's step: two more.
      await train(resumed, { ...opts, epochs: 2 });
      const got = await resumed.readParams();
      resumed.dispose();
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), 'bit-identical parameters').toBe(true);
    });
  });
});

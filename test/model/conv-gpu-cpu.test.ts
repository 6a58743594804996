// A conv VAE's whole training step on the GPU against the CPU reference (same config, weights,
// batches, noise): 20 steps' losses within a relative 1e-4 and the parameters close; and the Keras
// VAE example's layer list (3×3 kernels, Dense 16, three transposed convs) trained a few steps.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import type { Dataset } from '../../src/data/dataset';
import { GpuVae } from '../../src/vae/gpu-vae';
import { CpuVae } from '../../src/model/cpu-vae';
import { convLayers, kerasLayers } from '../../src/model/presets';
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

describe('conv VAE: GPU training against the CPU reference', () => {
  it('a small conv VAE (the conv preset with 3 and 4 channels) agrees over 20 steps', async () => {
    const { device, rt } = gpu();
    const config = { ...convLayers({ latent: 3, channels: [3, 4] }), latent: 3, seed: 7, adam: { lr: 3e-3 } };
    const B = 4;
    const cpu = new CpuVae(config);
    await scoped(device, async () => {
      const vae = new GpuVae(rt, config, { maxBatch: B });
      const worst = await trainSideBySide(vae, cpu, { steps: 20, batch: B, short: 3, batchAt });
      console.info(`conv training agreement: worst relative loss/rec/kl difference over 20 steps ${worst.toExponential(2)}`);
      expectClose('conv parameters after 20 steps', await vae.readParams(), cpu.params, 2e-5, 1e-3);
      vae.dispose();
    });
  });

  it('the Keras VAE example (tiny channels) trains: GPU and CPU agree over 3 steps and the loss falls', async () => {
    const { device, rt } = gpu();
    const config = { ...kerasLayers({ latent: 2, channels: [2, 3] }), latent: 2, seed: 1, adam: { lr: 1e-2 } };
    const B = 2;
    const cpu = new CpuVae(config);
    await scoped(device, async () => {
      const vae = new GpuVae(rt, config, { maxBatch: B });
      const losses: number[] = [];
      for (let step = 0; step < 3; step++) {
        const x = batchAt(0, B);
        const want = cpu.trainStep(x, B);
        vae.trainStep(x);
        const got = await vae.readLoss();
        expect(Math.abs(got[0] - want[0]) / want[0], `step ${step}: gpu ${got[0]} cpu ${want[0]}`).toBeLessThan(1e-4);
        losses.push(got[0]);
      }
      // The same batch three times with a large step: the loss must fall.
      expect(losses[2]).toBeLessThan(losses[0]);
      vae.dispose();
    });
  });
});

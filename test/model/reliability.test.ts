// Failures lose nothing: a diverging run is caught on the GPU and stopped at the exact first step whose
// loss is not finite (the same step a per-step readback finds), with no readback per step; a device
// lost mid-training stops the loop with a clear message, the last checkpoint stays loadable, and
// training resumes from it on a new device.
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireDevice } from '../../src/gpu/device';
import { Runtime } from '../../src/gpu/runtime';
import { GpuVae } from '../../src/vae/gpu-vae';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/model/checkpoint';
import { train, TrainingStopped } from '../../src/train/trainer';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import { subset, type Dataset } from '../../src/data/dataset';
import { useGpu } from '../gpu/harness';

const gpu = useGpu();
let data: { train: Dataset; test: Dataset };
beforeAll(async () => {
  const all = await loadEmbeddedMnist();
  const pick = (ds: Dataset, n: number) => subset(ds, Array.from({ length: n }, (_, i) => Math.floor((i * ds.count) / n)));
  data = { train: pick(all.train, 640), test: pick(all.test, 64) };
});

const small = { encoderHidden: [32], decoderHidden: [32], latent: 4, seed: 2 };

async function stopStep(rt: Runtime, readEvery: number): Promise<TrainingStopped> {
  const vae = new GpuVae(rt, { ...small, adam: { lr: 1e4 } }, { maxBatch: 32 });
  try {
    await train(vae, { epochs: 10, batch: 32, train: data.train, test: data.test, readEvery });
  } catch (e) {
    return e as TrainingStopped;
  } finally {
    vae.dispose();
  }
  throw new Error('training with lr 1e4 did not diverge');
}

describe('divergence', () => {
  it('is caught on the GPU and named at its exact step without a readback per step', async () => {
    const { rt } = gpu();
    const everyStep = await stopStep(rt, 1);
    const rarely = await stopStep(rt, 50);
    expect(everyStep).toBeInstanceOf(TrainingStopped);
    expect(rarely).toBeInstanceOf(TrainingStopped);
    console.info(`diverged at step ${everyStep.step}; with readback every 50 steps: ${rarely.message}`);
    expect(rarely.step).toBe(everyStep.step);
    expect([everyStep.reason, rarely.reason]).toEqual(['non-finite', 'non-finite']);
    expect(rarely.message).toMatch(new RegExp(`at step ${everyStep.step} \\(caught on the GPU, read back at step \\d+\\)`));
  });
});

describe('device loss', () => {
  it('stops with a clear message, keeps the checkpoint, and resumes on a new device', async () => {
    const ctx = await acquireDevice();
    const rt = Runtime.forContext(ctx);
    const vae = new GpuVae(rt, small, { maxBatch: 32 });
    let checkpoint: Uint8Array | undefined;
    let error: unknown;
    try {
      await train(vae, {
        epochs: 3, batch: 32, train: data.train, test: data.test, readEvery: 5,
        onEpoch: async (_m, state) => { checkpoint = encodeCheckpoint(await state()); },
        // Mid-way through the second epoch (20 steps per epoch), the device goes.
        onProgress: (p) => { if (p.step >= 30) ctx.device.destroy(); },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainingStopped);
    expect((error as TrainingStopped).reason).toBe('device-lost');
    expect((error as Error).message).toMatch(/the GPU device was lost \(destroyed.*\).*--resume continues from it on a new device/);
    expect(checkpoint).toBeDefined();
    const state = decodeCheckpoint(checkpoint!);
    expect(state.step).toBe(20);

    // A new device: load and finish the run.
    const { rt: rt2 } = gpu();
    const resumed = GpuVae.load(rt2, checkpoint!, { maxBatch: 32 });
    // train() counts epochs from the model's step: the two still to do of the three.
    const metrics = await train(resumed, { epochs: 2, batch: 32, train: data.train, test: data.test });
    expect(metrics.map((m) => m.epoch)).toEqual([2, 3]);
    expect(resumed.step).toBe(60);
    expect(Number.isFinite(metrics[1].test.elbo)).toBe(true);
    resumed.dispose();
  });
});

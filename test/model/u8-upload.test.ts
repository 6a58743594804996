// Training on uint8 pixels uploaded as packed bytes (GpuVae.trainStepBytes, unpacked on the GPU by
// shaders/unpack_u8.wgsl) against the float upload of the same images: bit for bit the same losses
// and parameters, on the embedded digits as uint8 (k = round(255·v), read as k / 255) with the MLP, and
// on a 5×7×3 set whose batches are not whole words (9 × 105 bytes) with a partial last batch; the
// bytes written to the GPU are a quarter (plus the padding to a word).
import { beforeAll, describe, expect, it } from 'vitest';
import { datasetView, type Dataset } from '../../src/data/dataset';
import { makeImageSet } from '../../src/data/image-set';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import { StepDriver } from '../../src/train/driver';
import { train } from '../../src/train/trainer';
import { GpuVae } from '../../src/vae/gpu-vae';
import { rng } from '../util/random';
import { scoped, useGpu } from '../gpu/harness';

const gpu = useGpu();
let digits: Uint8Array;
beforeAll(async () => {
  const d = (await loadEmbeddedMnist()).train;
  digits = Uint8Array.from(d.images.subarray(0, 300 * 784), (v) => Math.round(v * 255));
});

const view = (pixels: Uint8Array, height: number, width: number, channels: number): Dataset =>
  datasetView(makeImageSet({ count: pixels.length / (height * width * channels), shape: { height, width, channels }, pixels, source: 'test bytes' }));

/** Trains the same model twice, bytes then floats; returns both models' losses, parameters and upload counts. */
async function bothWays(data: Dataset, test: Dataset, config: object, batch: number, epochs: number) {
  const { device, rt } = gpu();
  return scoped(device, async () => {
    const runs = [];
    for (const upload of ['bytes', 'floats'] as const) {
      const vae = new GpuVae(rt, config, { maxBatch: batch });
      expect(new StepDriver(vae, data, batch, { upload }).uploadsBytes).toBe(upload === 'bytes');
      const epochsRun = await train(vae, { epochs, batch, train: data, test, readEvery: 1, upload });
      runs.push({ metrics: epochsRun.map((e) => [e.train, e.test]), params: await vae.readParams(), uploaded: vae.inputBytesUploaded, steps: vae.step });
      vae.dispose();
    }
    return runs;
  });
}

function expectSameBits(a: Float32Array, b: Float32Array) {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const bad = x.findIndex((v, i) => v !== y[i]);
  expect(bad, `parameter ${bad}: bytes ${a[bad]} floats ${b[bad]}`).toBe(-1);
}

describe('uint8 batches uploaded as bytes', () => {
  it('the embedded digits as uint8 (MLP, 2 epochs of 300, batch 64 with a partial last batch): the same bits as the float upload', async () => {
    const data = view(digits, 28, 28, 1), test = view(digits.slice(0, 50 * 784), 28, 28, 1);
    const [bytes, floats] = await bothWays(data, test, { encoderHidden: [40], decoderHidden: [40], latent: 4, seed: 3 }, 64, 2);
    expect(bytes.steps).toBe(10);
    expect(bytes.metrics).toEqual(floats.metrics);
    expectSameBits(bytes.params, floats.params);
    // 2 epochs × 300 images × 784 values: 4 bytes each as floats, 1 as bytes (784 is whole words).
    expect([bytes.uploaded, floats.uploaded]).toEqual([2 * 300 * 784, 4 * 2 * 300 * 784]);
    console.info(`digits as uint8: ${bytes.uploaded} input bytes uploaded over ${bytes.steps} steps, against ${floats.uploaded} as floats; parameters and losses identical`);
  });

  it('a 5×7×3 colour set whose batches are not whole words (9 × 105 bytes; 40 images, a last batch of 4)', async () => {
    const r = rng(5);
    const pixels = Uint8Array.from({ length: 40 * 105 }, () => Math.floor(r() * 256));
    const data = view(pixels, 5, 7, 3), test = view(pixels.slice(0, 10 * 105), 5, 7, 3);
    const [bytes, floats] = await bothWays(data, test, { inputDim: 105, image: { height: 5, width: 7, channels: 3 }, encoderHidden: [12], decoderHidden: [10], latent: 2, seed: 1 }, 9, 2);
    expect(bytes.metrics).toEqual(floats.metrics);
    expectSameBits(bytes.params, floats.params);
    // Per epoch 4 batches of 945 bytes (padded to 948) and one of 420: floats 4 × 4200.
    expect([bytes.uploaded, floats.uploaded]).toEqual([2 * (4 * 948 + 420), 2 * 4 * 4200]);
  });

  it('binarized batches and float data stay on the float upload; bad byte batches are refused', async () => {
    const { rt } = gpu();
    const vae = new GpuVae(rt, { encoderHidden: [8], decoderHidden: [8], latent: 2 }, { maxBatch: 4 });
    const data = view(digits.slice(0, 10 * 784), 28, 28, 1);
    expect(new StepDriver(vae, data, 4, { binarize: true }).uploadsBytes).toBe(false);
    expect(new StepDriver(vae, { ...data, images: data.images }, 4).uploadsBytes).toBe(false);
    expect(() => vae.trainStepBytes(new Uint8Array(785))).toThrow(/trainStepBytes: 785 bytes is not a whole number of 784-pixel examples/);
    expect(() => vae.trainStepBytes(new Uint8Array(5 * 784))).toThrow(/batch of 5 examples exceeds maxBatch 4/);
    expect(() => vae.trainStepBytes(new Float32Array(784) as unknown as Uint8Array)).toThrow(/expected a Uint8Array of batch × 784 8-bit pixels/);
    // An unaligned view of the caller's bytes is copied to whole words, not refused.
    const odd = new Uint8Array(784 + 1).subarray(1);
    await vae.trainStepBytes(odd, true);
    expect(vae.step).toBe(1);
    vae.dispose();
  });
});

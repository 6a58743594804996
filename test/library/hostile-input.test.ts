// The library refusing what it must not trust (issue 11): fit() on data whose sizes disagree or whose
// pixels the Bernoulli likelihood cannot take, two fit() calls at once on one model, any use of a
// model after dispose(), kernels run on destroyed or foreign-device buffers, and checkpoints whose
// metadata lies (enormous layers, a step like "-5" or "1e3"). Each rejects with an Error naming the
// problem; nothing trains on a stale buffer and nothing returns a valid-looking result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, GpuVae, decodeCheckpoint, encodeSafetensors, decodeSafetensors, prepareMatmul, runDispatches, storageBuffer, storageFrom, subset, type Dataset } from '../../src/index';
import { acquireDevice, type GpuContext } from '../../src/gpu/device';
import { Runtime } from '../../src/gpu/runtime';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import { parseRunMetadata } from '../../src/model/run-metadata';
import { useGpu } from '../gpu/harness';

const gpu = useGpu();
let data: { train: Dataset; test: Dataset };
beforeAll(async () => {
  const all = await loadEmbeddedMnist();
  data = { train: subset(all.train, Array.from({ length: 12 }, (_, i) => i)), test: subset(all.test, [0, 1, 2]) };
});

const small = { encoderHidden: [8], decoderHidden: [8], latent: 2 };

describe('fit() refuses data it cannot train on', () => {
  it('pixel count other than count × dim, Bernoulli pixels outside [0, 1]', async () => {
    const { rt } = gpu();
    const vae = new GpuVae(rt, small, { maxBatch: 4 });
    const short = { ...data.train, images: data.train.images.subarray(0, 5 * 784) };
    await expect(vae.fit({ epochs: 1, batch: 4, train: short, test: data.test })).rejects.toThrow(/train: the training set: dataset images has 3920 values; expected count × dim = 12 × 784 = 9408/);
    const bytes = { ...data.test, images: data.test.images.map((v) => v * 255) };
    await expect(vae.fit({ epochs: 1, batch: 4, train: data.train, test: bytes })).rejects.toThrow(/train: the test set: dataset pixel at index \d+ .* bernoulli likelihood expects values in \[0, 1\]/);
    expect(vae.step).toBe(0);
    // Gaussian takes any finite value: the same pixels train.
    const g = new GpuVae(rt, { ...small, likelihood: 'gaussian' }, { maxBatch: 4 });
    const m = await g.fit({ epochs: 1, batch: 4, train: { ...data.train, images: data.train.images.map((v) => v * 255) }, test: bytes });
    expect(m[0].step).toBe(3);
    vae.dispose();
    g.dispose();
  });

  it('a second fit() while one runs rejects; the first finishes with finite losses', async () => {
    const { rt } = gpu();
    const vae = new GpuVae(rt, small, { maxBatch: 4 });
    const first = vae.fit({ epochs: 2, batch: 4, train: data.train, test: data.test });
    await expect(vae.fit({ epochs: 2, batch: 4, train: data.train, test: data.test })).rejects.toThrow(/already training \(another fit\(\) has not finished\)/);
    const metrics = await first;
    expect(metrics.map((m) => m.step)).toEqual([3, 6]);
    for (const m of metrics) expect(Number.isFinite(m.train.elbo) && Number.isFinite(m.test.elbo)).toBe(true);
    // Once it is done, fitting again is fine.
    // fit() continues: one more epoch.
    const more = await vae.fit({ epochs: 1, batch: 4, train: data.train, test: data.test });
    expect(more.map((m) => m.step)).toEqual([9]);
    vae.dispose();
  });
});

describe('a disposed model refuses every use', () => {
  it('save, reads, writes, evaluation, pictures and fit all reject or throw', async () => {
    const { rt } = gpu();
    const vae = new GpuVae(rt, small, { maxBatch: 4 });
    const arena = await vae.readParams();
    vae.dispose();
    const used = /used after dispose\(\)/;
    await expect(vae.save()).rejects.toThrow(used);
    await expect(vae.readParams()).rejects.toThrow(used);
    await expect(vae.readOptimizer()).rejects.toThrow(used);
    await expect(vae.readTotals()).rejects.toThrow(used);
    await expect(vae.readLoss()).rejects.toThrow(used);
    await expect(vae.evaluate(data.test.images, 3)).rejects.toThrow(used);
    await expect(vae.evaluateLk(data.test.images, 3, 2)).rejects.toThrow(used);
    await expect(vae.encode(data.test.images.subarray(0, 784))).rejects.toThrow(used);
    await expect(vae.decode(new Float32Array(2))).rejects.toThrow(used);
    await expect(vae.reconstruct(data.test.images.subarray(0, 784))).rejects.toThrow(used);
    await expect(vae.sample(2)).rejects.toThrow(used);
    await expect(vae.fit({ epochs: 1, batch: 4, train: data.train, test: data.test })).rejects.toThrow(used);
    await expect(vae.precompile()).rejects.toThrow(used);
    expect(() => vae.trainStep(data.train.images.subarray(0, 784))).toThrow(used);
    expect(() => vae.writeParams(arena)).toThrow(used);
    expect(() => vae.writeOptimizer(arena, arena, 1)).toThrow(used);
    expect(() => vae.resetTotals()).toThrow(used);
    expect(() => { vae.step = 3; }).toThrow(used);
    vae.dispose(); // twice is harmless
  });
});

describe('kernels on buffers they cannot use reject', () => {
  // Devices of their own: the shared harness treats any uncaptured error as a failure, and the
  // foreign-buffer case makes one at prepare time by design.
  let a: GpuContext, b: GpuContext;
  beforeAll(async () => {
    a = await acquireDevice();
    b = await acquireDevice();
  });
  afterAll(() => {
    a?.destroy();
    b?.destroy();
  });

  const shape = { M: 8, N: 8, K: 8, variant: 'tiled' as const };

  it('a destroyed operand', async () => {
    const rt = new Runtime(a.device);
    const A = storageFrom(a.device, new Float32Array(64).fill(1), 'A'), B = storageFrom(a.device, new Float32Array(64).fill(1), 'B');
    const C = storageBuffer(a.device, 64 * 4, 'C');
    const op = prepareMatmul(rt, shape, { a: A, b: B, c: C });
    await runDispatches(a.device, op.dispatches); // alive: runs
    A.destroy();
    await expect(runDispatches(a.device, op.dispatches)).rejects.toThrow(/runDispatches: WebGPU refused the work \(matmul\): .*destroyed.*; check that every buffer is alive/is);
    op.destroy();
    B.destroy();
    C.destroy();
    rt.destroy();
  });

  it('an operand made on another device', async () => {
    const rt = new Runtime(a.device);
    const A = storageFrom(b.device, new Float32Array(64).fill(1), 'A on device b');
    const B = storageFrom(a.device, new Float32Array(64).fill(1), 'B'), C = storageBuffer(a.device, 64 * 4, 'C');
    const op = prepareMatmul(rt, shape, { a: A, b: B, c: C });
    await expect(runDispatches(a.device, op.dispatches)).rejects.toThrow(/runDispatches: WebGPU refused the work \(matmul\)/);
    op.destroy();
    A.destroy();
    B.destroy();
    C.destroy();
    rt.destroy();
  });
});

describe('checkpoints whose metadata lies', () => {
  it('a config claiming enormous layers is a named CheckpointError, not a typed-array failure', async () => {
    const { rt } = gpu();
    const vae = new GpuVae(rt, small, { maxBatch: 4 });
    const { tensors, metadata } = decodeSafetensors(await vae.save());
    const huge = encodeSafetensors(tensors, { ...metadata, config: JSON.stringify({ ...JSON.parse(metadata.config!), encoderHidden: [65536, 65536, 65536], decoderHidden: [65536, 65536] }) });
    expect(() => decodeCheckpoint(huge, undefined, 'huge.safetensors')).toThrow(CheckpointError);
    expect(() => GpuVae.load(rt, huge)).toThrow(/its config metadata describes the model 784-65536-65536-65536-2 .* with \d+ parameters, but the file's F32 tensors hold only \d+ values/);
    for (const step of ['-5', '1e3', '', '2.5', ' 7', '99999999999']) {
      const bad = encodeSafetensors(tensors, { ...metadata, step });
      expect(() => GpuVae.load(rt, bad), step).toThrow(/step metadata .* is not an integer from 0 to 2\^32 − 1/);
    }
    for (const batch of ['-5', '0', '1.5', '1e3', 'abc', '']) {
      expect(() => parseRunMetadata({ batch }, 'x.safetensors'), batch).toThrow(/x\.safetensors: metadata batch is .*; expected an integer from 1 to 2147483647/);
    }
    expect(parseRunMetadata({ batch: '32', binarize: 'true', backend: 'cpu' })).toEqual({ batch: 32, binarize: true, backend: 'cpu' });
    vae.dispose();
  });
});

// The model API a program builds on (issue 24): an inference-only load (weights and the forward's
// buffers, evaluating exactly as the training model does), inference and evaluation of any count in
// chunks of maxBatch, fresh samples per call unless seeded, one sign for every loss, fit() that
// continues, TrainingStopped's reason, AbortSignals on the long calls, and hostile input refused
// with messages naming the argument before any GPU work.
import { beforeAll, describe, expect, it } from 'vitest';
import { GpuVae, TrainingStopped, prepareMatmul, storageBuffer, storageFrom, subset, type Dataset } from '../../src/index';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import { priorLatents } from '../../src/cli/run-images';
import { scoped, useGpu } from '../gpu/harness';

const gpu = useGpu();
let data: { train: Dataset; test: Dataset };
beforeAll(async () => {
  const all = await loadEmbeddedMnist();
  data = { train: subset(all.train, Array.from({ length: 96 }, (_, i) => i * 37)), test: subset(all.test, Array.from({ length: 40 }, (_, i) => i * 13)) };
});

const small = { encoderHidden: [32], decoderHidden: [32], latent: 4, seed: 3 };
const D = 784;

describe('an inference-only model', () => {
  it('holds the weights and the forward alone, and evaluates, encodes and samples as the training model does', async () => {
    const { device, rt } = gpu();
    await scoped(device, async () => {
      const vae = new GpuVae(rt, small, { maxBatch: 16 });
      await vae.fit({ epochs: 1, batch: 16, train: data.train, test: data.test });
      const bytes = await vae.save();
      const lean = GpuVae.load(rt, bytes, { maxBatch: 16, inference: true });
      const x = data.test.images.subarray(0, 20 * D);
      const [a, b] = [await vae.evaluate(data.test.images, 40), await lean.evaluate(data.test.images, 40)];
      expect(b).toEqual(a);
      expect((await lean.encode(x)).mu).toEqual((await vae.encode(x)).mu);
      expect(await lean.sample(5, { seed: 9 })).toEqual(await vae.sample(5, { seed: 9 }));
      expect(await lean.evaluateLk(data.test.images, 40, 3)).toBe(await vae.evaluateLk(data.test.images, 40, 3));
      console.info(`inference-only plan ${lean.bytes} bytes, training plan ${vae.bytes} bytes (${((100 * lean.bytes) / vae.bytes).toFixed(1)}%)`);
      expect(lean.bytes).toBeLessThan(0.4 * vae.bytes);
      expect(lean.inference).toBe(true);
      expect(lean.step).toBe(vae.step);
      // Training refuses, naming the call; saving gives the weights and step alone, which load again.
      expect(() => lean.trainStep(x.subarray(0, 16 * D))).toThrow(/trainStep: this model was made for inference only .* load it without \{ inference: true \}/);
      await expect(lean.fit({ epochs: 1, batch: 16, train: data.train, test: data.test })).rejects.toThrow(/fit: this model was made for inference only/);
      await expect(lean.readOptimizer()).rejects.toThrow(/readOptimizer: this model was made for inference only/);
      const again = GpuVae.load(rt, await lean.save(), { maxBatch: 16 });
      expect(await again.readParams()).toEqual(await vae.readParams());
      expect(again.step).toBe(vae.step);
      for (const m of [vae, lean, again]) m.dispose();
    });
  });
});

describe('an inference-only IWAE model', () => {
  it('evaluates the loss and L_k (in chunks of its k) as the training model does', async () => {
    const { device, rt } = gpu();
    await scoped(device, async () => {
      const vae = new GpuVae(rt, { ...small, objective: { kind: 'iwae', k: 3 } }, { maxBatch: 8 });
      const lean = GpuVae.load(rt, await vae.save(), { maxBatch: 8, inference: true });
      expect(await lean.evaluate(data.test.images, 20)).toEqual(await vae.evaluate(data.test.images, 20));
      expect(await lean.evaluateLk(data.test.images, 20, 7)).toBe(await vae.evaluateLk(data.test.images, 20, 7));
      console.info(`IWAE k=3, maxBatch 8: inference-only ${lean.bytes} bytes, training ${vae.bytes} bytes`);
      expect(lean.bytes).toBeLessThan(vae.bytes);
      vae.dispose();
      lean.dispose();
    });
  });
});

describe('inference and evaluation of any count', () => {
  it('encode, decode, reconstruct and sample run maxBatch rows at a time, the rows as one call of each chunk gives them', async () => {
    const { device, rt } = gpu();
    await scoped(device, async () => {
      const vae = new GpuVae(rt, small, { maxBatch: 8 });
      const x = data.test.images.subarray(0, 21 * D);
      const { mu, logvar } = await vae.encode(x);
      expect([mu.length, logvar.length]).toEqual([21 * 4, 21 * 4]);
      const tail = await vae.encode(x.subarray(16 * D));
      expect(mu.subarray(16 * 4)).toEqual(tail.mu);
      const images = await vae.decode(mu);
      expect(images.subarray(16 * D)).toEqual(await vae.decode(tail.mu));
      expect(await vae.reconstruct(x)).toEqual(images);
      // 1,000 samples with maxBatch 8; two calls differ, seeded calls repeat (the CLI's samples.png z).
      const [s1, s2] = [await vae.sample(1000), await vae.sample(1000)];
      expect(s1.length).toBe(1000 * D);
      expect(s1.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(s1).not.toEqual(s2);
      const seeded = await vae.sample(64, { seed: small.seed });
      expect(await vae.sample(64, small.seed)).toEqual(seeded);
      expect(seeded).toEqual(await vae.decode(priorLatents(vae.config, 64)));
      vae.dispose();
    });
  });

  it('every evaluation is a loss in nats of the negated bound: −ELBO and −L_k both positive, −L_k below', async () => {
    const { device, rt } = gpu();
    await scoped(device, async () => {
      const vae = new GpuVae(rt, small, { maxBatch: 16 });
      const elbo = await vae.evaluate(data.test.images, 40);
      const lk = await vae.evaluateLk(data.test.images, 40, 20);
      console.info(`untrained: test −ELBO ${elbo.loss.toFixed(3)}, −L_20 ${lk.toFixed(3)} nats`);
      expect(elbo.loss).toBeGreaterThan(0);
      expect(lk).toBeGreaterThan(0);
      expect(lk).toBeLessThan(elbo.loss);
      vae.dispose();
    });
  });
});

describe('fit', () => {
  it('continues: fit 1 epoch twice lands on the weights of fit 2 epochs, and a batch over maxBatch is refused before a step', async () => {
    const { device, rt } = gpu();
    await scoped(device, async () => {
      const opts = { batch: 16, train: data.train, test: data.test };
      const straight = new GpuVae(rt, small, { maxBatch: 16 });
      const two = await straight.fit({ ...opts, epochs: 2 });
      const stepwise = new GpuVae(rt, small, { maxBatch: 16 });
      const first = await stepwise.fit({ ...opts, epochs: 1 });
      const second = await stepwise.fit({ ...opts, epochs: 1 });
      expect([...first, ...second].map((m) => [m.epoch, m.step, m.test.elbo])).toEqual(two.map((m) => [m.epoch, m.step, m.test.elbo]));
      expect(await stepwise.readParams()).toEqual(await straight.readParams());
      await expect(stepwise.fit({ ...opts, batch: 17, epochs: 1 })).rejects.toThrow(/train: batch 17 exceeds the model's maxBatch 16/);
      expect(stepwise.step).toBe(12);
      straight.dispose();
      stepwise.dispose();
    });
  });

  it('stops with TrainingStopped, reason aborted and the signal’s reason as cause; fit again finishes the epoch', async () => {
    const { device, rt } = gpu();
    await scoped(device, async () => {
      const vae = new GpuVae(rt, small, { maxBatch: 16 });
      const stop = new AbortController();
      const why = new Error('user pressed stop');
      const e = await vae.fit({ epochs: 3, batch: 16, train: data.train, test: data.test, readEvery: 1, signal: stop.signal,
        onProgress: (p) => { if (p.step >= 3) stop.abort(why); } }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(TrainingStopped);
      const stopped = e as TrainingStopped;
      expect([stopped.reason, stopped.cause, stopped.step]).toEqual(['aborted', why, vae.step]);
      expect(stopped.message).toMatch(/training cancelled at step \d+/);
      // The stopped epoch is finished as the first of the next fit's epochs.
      const more = await vae.fit({ epochs: 1, batch: 16, train: data.train, test: data.test });
      expect(more.map((m) => [m.epoch, m.step])).toEqual([[1, 6]]);
      vae.dispose();
    });
  });
});

describe('cancellation of the long calls', () => {
  it('evaluate, evaluateLk, activeUnits, encode, sample and precompile reject with the signal’s reason', async () => {
    const { device, rt } = gpu();
    await scoped(device, async () => {
      const vae = new GpuVae(rt, small, { maxBatch: 4 });
      const done = new AbortController();
      done.abort(new Error('gone'));
      const signal = done.signal;
      await expect(vae.evaluate(data.test.images, 40, { signal })).rejects.toThrow('gone');
      await expect(vae.evaluateLk(data.test.images, 40, 5, { signal })).rejects.toThrow('gone');
      await expect(vae.activeUnits(data.test.images, 40, { signal })).rejects.toThrow('gone');
      await expect(vae.encode(data.test.images, { signal })).rejects.toThrow('gone');
      await expect(vae.sample(100, { signal })).rejects.toThrow('gone');
      await expect(vae.precompile({ signal })).rejects.toThrow('gone');
      // Aborted part-way: L_k stops at the next batch.
      const mid = new AbortController();
      let last = 0;
      await expect(vae.evaluateLk(data.test.images, 40, 5, { signal: mid.signal, onProgress: (d) => { last = d; if (d >= 10) mid.abort(new Error('enough')); } })).rejects.toThrow('enough');
      expect(last).toBeLessThan(50);
      await expect(vae.evaluate(data.test.images, 40, { signal: 'no' as unknown as AbortSignal })).rejects.toThrow(/evaluate: options.signal must be an AbortSignal/);
      // The model still works after all that.
      expect(Number.isFinite((await vae.evaluate(data.test.images, 40)).loss)).toBe(true);
      vae.dispose();
    });
  });
});

describe('hostile input is refused, naming the argument', () => {
  it('NaN and Inf pixels or latents, wrong lengths, aliased buffers, a disposed model', async () => {
    const { device, rt } = gpu();
    await scoped(device, async () => {
      const vae = new GpuVae(rt, small, { maxBatch: 4 });
      const x = data.test.images.slice(0, 3 * D);
      x[D + 5] = NaN;
      await expect(vae.encode(x)).rejects.toThrow(/encode: x holds NaN at index 789 \(row 1, pixel 5\); every value must be finite/);
      await expect(vae.reconstruct(x)).rejects.toThrow(/reconstruct: x holds NaN at index 789/);
      await expect(vae.evaluate(x, 3)).rejects.toThrow(/evaluate: images holds NaN at index 789 \(row 1, pixel 5\)/);
      await expect(vae.evaluateLk(x, 3, 2)).rejects.toThrow(/evaluateLk: images holds NaN/);
      await expect(vae.activeUnits(x, 3)).rejects.toThrow(/activeUnits: images holds NaN/);
      await expect(vae.decode(Float32Array.of(0, 1, Infinity, 0))).rejects.toThrow(/decode: z holds Infinity at index 2 \(row 0, latent 2\)/);
      await expect(vae.encode(new Float32Array(D + 1))).rejects.toThrow(/encode: x has 785 values, not a whole number \(≥ 1\) of rows of 784 pixels/);
      await expect(vae.encode([1, 2] as unknown as Float32Array)).rejects.toThrow(/encode: x must be a Float32Array of rows of 784 pixels, got Array/);
      await expect(vae.sample(0)).rejects.toThrow(/sample: n must be an integer from 1 to 1048576, got 0/);
      await expect(vae.sample(2, { seed: -1 })).rejects.toThrow(/sample: seed must be a non-negative integer, got -1/);
      // A matmul whose output is its input.
      const a = storageFrom(device, new Float32Array(16).fill(1), 'A'), b = storageFrom(device, new Float32Array(16).fill(1), 'B');
      expect(() => prepareMatmul(rt, { M: 4, N: 4, K: 4 }, { a, b, c: a })).toThrow(/matmul.*: 'c' \(written\) and 'a' \(read\) overlap in buffer 'A' \(bytes \[0, 64\) and \[0, 64\)\); an output may not alias another operand/i);
      const c = storageBuffer(device, 64, 'C');
      expect(() => prepareMatmul(rt, { M: 4, N: 4, K: 4 }, { a, b, c }).destroy()).not.toThrow();
      [a, b, c].forEach((t) => t.destroy());
      vae.dispose();
      const used = /used after dispose\(\)/;
      await expect(vae.activeUnits(data.test.images, 3)).rejects.toThrow(used);
      await expect(vae.sample(2, { seed: 1 })).rejects.toThrow(used);
      await expect(vae.evaluate(data.test.images, 3, {})).rejects.toThrow(used);
    });
  });
});

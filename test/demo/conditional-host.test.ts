// A conditional model through the page's model host (LocalHost over demo/service.ts, on the GPU in
// Node): made from the page's settings (?conditional=1: MNIST's 10 classes), trained a few steps
// (StepDriver gathers the batches' labels), and every host call given its class: decode of one z
// with two classes gives two images, each the CPU reference's (CpuBackend, float64) for that class;
// encode, the posterior (μ, decode(μ), the samples) and the one-digit bound take the class; the
// test-set calls (evaluateTest, evaluateLk, testMeans, activity) use the test digits' own labels and
// agree with the CPU's with those labels. A call without the class is refused, naming it; save/load
// keeps it conditional; a checkpoint of `npm run train -- --conditional` loads; unlabelled images
// refuse a conditional model. Tolerances: float32 GPU against the float64 twin, as
// test/model/conditional.test.ts states them (losses 1e-4 absolute + 1e-5 relative, images 1e-5
// absolute + 1e-4 relative); the same GPU plan twice (page and library, or before and after a load): exact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { loadEmbeddedMnist, type MnistSplit } from '../../src/data/mnist';
import { makeImageSet, splitImages } from '../../src/data/image-set';
import { decodeCheckpoint } from '../../src/model/checkpoint';
import { CpuBackend } from '../../src/train/cpu-backend';
import { GpuVae } from '../../src/vae/gpu-vae';
import { encodeNpy } from '../../src/data/npy';
import { LocalHost } from '../../demo/host';
import { initialTuneStatus } from '../../demo/tuning';
import { configFor, DEFAULT_SETTINGS, DEFAULT_TUNE, settingsFor, settingsFromUrl } from '../../demo/settings';
import { rowLabels } from '../../demo/session';
import { expectClose } from '../util/compare';
import { useGpu } from '../gpu/harness';
import { buildCli, runCli } from '../cli/cli-harness';

const gpu = useGpu();
let data: MnistSplit;
let dir: string;
beforeAll(async () => {
  data = await loadEmbeddedMnist();
  dir = await mkdtemp(join(tmpdir(), 'vae-demo-cond-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const settings = { ...settingsFromUrl('?latent=2&hidden=32&conditional=1&seed=3').settings };
const config = configFor(settings);
const B = 16;
const differ = (a: ArrayLike<number>, b: ArrayLike<number>, by = 1e-3) => Array.from(a).some((v, i) => Math.abs(v - b[i]!) > by);
const hostOn = () => {
  const { ctx, rt } = gpu();
  return { rt, host: new LocalHost(rt, ctx.adapterInfo, initialTuneStatus({ ...DEFAULT_TUNE, enabled: false })) };
};

describe('a conditional model in the page’s model host', () => {
  it('rowLabels spreads one class over the rows and names a bad one', () => {
    expect(Array.from(rowLabels(3, 4)!)).toEqual([3, 3, 3, 3]);
    expect(Array.from(rowLabels(Uint8Array.of(1, 7), 2)!)).toEqual([1, 7]);
    expect(rowLabels(null, 2)).toBeUndefined();
    expect(() => rowLabels(-1, 2)).toThrow(/class must be an integer ≥ 0, got -1/);
    expect(() => rowLabels([0, 2.5], 2)).toThrow(/class of row 1 must be an integer ≥ 0, got 2.5/);
  });

  it('trains with labels; every call takes its class and agrees with the CPU reference for it', async () => {
    expect(config.conditional).toEqual({ classes: 10 });
    const { rt, host } = hostOn();
    const stopped = new Promise<string>((resolve) => { host.listener = { onStop: (reason) => resolve(reason) }; });
    await host.call('setData', data);
    const info = await host.call('create', config, B);
    // The one-hot joins the encoder's input (784 + 10) and the decoder's latent (2 + 10).
    expect(info.params).toBe(794 * 32 + 32 + 32 * 4 + 4 + 12 * 32 + 32 + 32 * 784 + 784);
    await host.call('start', 40);
    expect(await stopped).toBe('budget');
    expect(host.view.test.at(-1)!.step).toBe(40);
    expect(host.view.test.at(-1)!.elbo).toBeLessThan(host.view.test[0]!.elbo);
    const saved = await host.call('save');
    const state = decodeCheckpoint(saved, undefined, 'page.safetensors');
    expect(state.config.conditional).toEqual({ classes: 10 });
    const cpu = new CpuBackend(state.config, state.params, B);
    const test = data.test;

    // decode: one z, two classes, two images, each the CPU's for its class.
    const z = Float32Array.of(0.3, -0.4, 0.3, -0.4);
    const two = await host.call('decode', z, Uint32Array.of(1, 7));
    const [one1, one7] = [two.subarray(0, 784), two.subarray(784)];
    expect(differ(one1, one7), 'class 1 and class 7 decode the same z differently').toBe(true);
    expectClose('decode class 1, 7', two, await cpu.decode(z, { labels: [1, 7] }), 1e-5, 1e-4);
    expectClose('one class for every row', await host.call('decode', z.subarray(0, 2), 7), one7, 0, 0);
    await expect(host.call('decode', z)).rejects.toThrow(/decode: this model is conditional on 10 classes; give a label/);
    await expect(host.call('decode', z.subarray(0, 2), 10)).rejects.toThrow(/label|class/);

    // encode and the posterior of one digit take its class.
    const x = test.images.slice(3 * 784, 4 * 784);
    const own = test.labels[3]!;
    const other = (own + 5) % 10;
    const e = await host.call('encode', x, own);
    const post = await host.call('posterior', x, 4, 1, own);
    expectClose('posterior μ = encode μ', post.mu, e.mu, 0, 0);
    expectClose('decode(μ) with its class', post.recon, await cpu.decode(post.mu, { labels: [own] }), 1e-5, 1e-4);
    const postOther = await host.call('posterior', x, 4, 1, other);
    expect(differ(post.mu, postOther.mu, 1e-5), 'another class, another posterior').toBe(true);
    expect(differ(post.samples, postOther.samples), 'and other samples').toBe(true);
    await expect(host.call('posterior', x, 4, 1)).rejects.toThrow(/conditional on 10 classes/);

    // The bound of one digit with its class: −L_1 ≈ its −ELBO; another class gives another bound.
    const b = await host.call('bound', x, 100, 2, own);
    expect(Math.abs(-b.lk[0]! - (b.rec + b.kl))).toBeLessThan(1);
    expect(b.lk.at(-1)!).toBeGreaterThanOrEqual(b.lk[0]! - 0.5);
    expect((await host.call('bound', x, 100, 2, other)).kl).not.toBeCloseTo(b.kl, 4);

    // The test-set calls: the test digits' own labels, as the CPU's with them.
    const labels = test.labels;
    const tp = await host.call('evaluateTest');
    const want = await cpu.evaluate(test.images, test.count, { labels });
    expectClose('test −ELBO (objective) with the true labels', [tp.objective], [want.loss], 1e-4, 1e-5);
    expectClose('−L_3 with the true labels', [-(await host.call('evaluateLk', 3))], [await cpu.evaluateLk(test.images, test.count, 3, { labels })], 1e-4, 1e-5);
    const means = await host.call('testMeans');
    const vae = GpuVae.load(rt, saved, { maxBatch: B });
    try {
      expectClose('testMeans = encode with the test labels', means, (await vae.encode(test.images, { labels })).mu, 0, 0);
      expectClose('activity with the test labels', await host.call('activity'), (await cpu.activeUnits(test.images, test.count, { labels })).variances, 1e-4, 1e-6);
    } finally {
      vae.dispose();
    }

    // Save → load keeps it conditional, and the page's settings say so.
    const loaded = await host.call('load', saved, 64, 'page.safetensors');
    expect(loaded.info.config.conditional).toEqual({ classes: 10 });
    expect(loaded.batchFrom).toBe('checkpoint');
    expect(settingsFor(loaded.info.config, loaded.info.batch, null).conditional).toBe(true);
    expectClose('decode after load', await host.call('decode', z, Uint32Array.of(1, 7)), two, 0, 0);
    await host.call('dispose');
  }, 240_000);

  it('loads the checkpoint of `npm run train -- --conditional` and decodes with a class', async () => {
    // 40 labelled digits, 4 of each class (so the model is conditional on MNIST's 10), in an .npz.
    const byClass = Array.from({ length: 10 }, (_, c) => Array.from(data.train.labels.keys()).filter((j) => data.train.labels[j] === c));
    const pick = (n: number, from: number) => {
      const idx = Array.from({ length: n }, (_, i) => byClass[i % 10]![from + Math.floor(i / 10)]!);
      const x = new Uint8Array(n * 784), y = new Uint8Array(n);
      idx.forEach((k, i) => {
        for (let p = 0; p < 784; p++) x[i * 784 + p] = Math.round(data.train.images[k * 784 + p]! * 255);
        y[i] = data.train.labels[k]!;
      });
      return { x, y };
    };
    const tr = pick(40, 0), te = pick(10, 50);
    await writeFile(join(dir, 'digits.npz'), zipSync({
      'x_train.npy': encodeNpy(tr.x, [40, 28, 28]), 'y_train.npy': encodeNpy(tr.y, [40]),
      'x_test.npy': encodeNpy(te.x, [10, 28, 28]), 'y_test.npy': encodeNpy(te.y, [10]),
    }));
    const bundle = await buildCli('webgpu-vae-demo-conditional-test');
    const run = join(dir, 'run');
    const r = await runCli(bundle, ['--hidden', '8', '--latent', '2', '--batch', '8', '--epochs', '1', '--eval-k', '2', '--no-tune', '--conditional', '--data', join(dir, 'digits.npz'), '--out', run]);
    expect(r.code, r.out).toBe(0);
    const bytes = new Uint8Array(await readFile(join(run, 'model.safetensors')));
    const { host } = hostOn();
    await host.call('setData', data);
    const loaded = await host.call('load', bytes, 64, 'run/model.safetensors');
    expect(loaded.info.config.conditional).toEqual({ classes: 10 });
    expect(loaded.step).toBe(5);
    expect(loaded.info.batch).toBe(8);
    const images = await host.call('decode', Float32Array.of(0, 0, 0, 0), Uint32Array.of(0, 8));
    expect(differ(images.subarray(0, 784), images.subarray(784))).toBe(true);
    expect((await host.call('evaluateTest')).elbo).toBeGreaterThan(0);
    await host.call('dispose');
  }, 240_000);

  it('own images without labels refuse a conditional model, naming why; labelled ones train it', async () => {
    const { host } = hostOn();
    const pixels = Uint8Array.from({ length: 30 * 16 }, (_, i) => (i * 37) % 256);
    const plain = makeImageSet({ count: 30, shape: { height: 4, width: 4, channels: 1 }, pixels, source: 'plain.npy' });
    const base = { ...config, inputDim: 16, image: { height: 4, width: 4, channels: 1 } };
    const c = configFor({ ...DEFAULT_SETTINGS, latent: 2, hidden: [8], conditional: true }, base, 3);
    let split = splitImages(plain, 0.1);
    await host.call('setImages', split.train, split.test);
    await expect(host.call('create', c, 8)).rejects.toThrow(/the training set \(plain\.npy\) has no labels, but a conditional model needs a label per image/);
    const labelled = makeImageSet({ count: 30, shape: plain.shape, pixels, labels: Uint8Array.from({ length: 30 }, (_, i) => i % 3), classNames: ['a', 'b', 'c'], source: 'abc' });
    split = splitImages(labelled, 0.1);
    await host.call('setImages', split.train, split.test);
    const stopped = new Promise<string>((resolve) => { host.listener = { onStop: (reason) => resolve(reason) }; });
    await host.call('create', c, 8);
    await host.call('start', 4);
    expect(await stopped).toBe('budget');
    expect(Number.isFinite(host.view.test.at(-1)!.elbo)).toBe(true);
    // A model of more classes than the labels hold is fine; of fewer, refused naming the label.
    await expect(host.call('create', configFor({ ...DEFAULT_SETTINGS, latent: 2, hidden: [8], conditional: true }, base, 2), 8)).rejects.toThrow(/has label 2, but the model is conditional on 2 classes/);
    await host.call('dispose');
  }, 120_000);
});

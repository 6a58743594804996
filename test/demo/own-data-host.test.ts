// The user's own images through the page's model service (demo/service.ts on the page's thread, on
// the GPU in Node): colour images read by the page's reader (demo/data-read.ts), split 0.1 by the
// fixed seed, handed over by setImages, and the preset the page picks for their shape
// (presetForShape) made with configFor: conv for 8×8×3 (its layers take H×W×C and give C channels
// back), trained to a step budget; a checkpoint of it names the data and the image shape; the
// service's encode is the library's. Also presetForShape's choices and ?maxData.
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { readDataFiles } from '../../demo/data-read';
import { decodeImageInto } from '../../src/data/image-decode-node';
import { splitImages } from '../../src/data/image-set';
import { decodeCheckpoint } from '../../src/model/checkpoint';
import { DEFAULT_CONFIG, resolveConfig } from '../../src/model/config';
import { LocalHost } from '../../demo/host';
import { initialTuneStatus } from '../../demo/tuning';
import { archOf, configFor, DEFAULT_SETTINGS, DEFAULT_TUNE, presetForShape, settingsFromUrl, settingsProblem } from '../../demo/settings';
import { useGpu } from '../gpu/harness';

const gpu = useGpu();

function png(i: number, w: number, h: number): Uint8Array {
  const p = new PNG({ width: w, height: h });
  for (let q = 0; q < w * h; q++) {
    p.data[4 * q] = 150 + ((q * 13 + i * 29) % 100); p.data[4 * q + 1] = (q * 7 + i * 3) % 90; p.data[4 * q + 2] = (i * 41) % 256; p.data[4 * q + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(p));
}

describe('own images in the page’s model service', () => {
  it('picks the preset that fits a shape', () => {
    expect(presetForShape({ height: 8, width: 8, channels: 3 }).arch).toBe('conv');
    expect(presetForShape({ height: 28, width: 28, channels: 1 }).fits).toEqual(['mlp', 'conv']);
    expect(presetForShape({ height: 12, width: 10, channels: 3 })).toMatchObject({ arch: 'mlp', fits: ['mlp'] });
    expect(settingsFromUrl('?maxData=64M').options.maxData).toBe(64 * 1024 * 1024);
    expect(settingsFromUrl('?maxData=lots').warnings.join(' ')).toMatch(/maxData="lots" ignored/);
  });

  it('trains the conv preset on 8×8×3 images read by the page’s reader, and saves a checkpoint that names them', async () => {
    const files = Array.from({ length: 40 }, (_, i) => ({ path: `c/${i}.png`, blob: new Blob([png(i, 8, 8) as BlobPart]) }));
    const { set } = await readDataFiles(files, { decode: decodeImageInto });
    const { train, test } = splitImages(set, 0.1);
    const { ctx, rt } = gpu();
    const host = new LocalHost(rt, ctx.adapterInfo, initialTuneStatus({ ...DEFAULT_TUNE, enabled: false }));
    const stopped = new Promise<string>((resolve) => { host.listener = { onStop: (reason) => resolve(reason) }; });
    expect(await host.call('setImages', train, test)).toEqual({ train: 36, test: 4, shape: '8×8×3' });
    const base = resolveConfig({ ...DEFAULT_CONFIG, inputDim: set.dim, image: set.shape });
    const config = configFor({ ...DEFAULT_SETTINGS, arch: presetForShape(set.shape).arch, latent: 3 }, base);
    expect(archOf(config)).toBe('conv');
    expect(settingsProblem(config, 12)).toBeNull();
    expect(config.encoder![0]).toEqual({ kind: 'reshape', shape: [8, 8, 3] });
    expect(config.decoder!.at(-1)).toMatchObject({ kind: 'conv_transpose2d', filters: 3 });
    const info = await host.call('create', config, 12);
    expect(info.batch).toBe(12);
    await host.call('start', 6);
    expect(await stopped).toBe('budget');
    const t = host.view.test;
    expect(t[0]!.elbo, 'an untrained Bernoulli VAE costs about 192 ln 2 = 133 nats').toBeGreaterThan(100);
    expect(t.at(-1)!.step).toBe(6);
    expect(t.at(-1)!.elbo).toBeLessThan(t[0]!.elbo);
    const x = Float32Array.from(test.pixels.subarray(0, 2 * 192), (v) => v / 255);
    const { mu, logvar } = await host.call('encode', x);
    expect(mu.length).toBe(6);
    expect(logvar.length).toBe(6);
    const recon = await host.call('decode', mu);
    expect(recon.length).toBe(2 * 192);
    const state = decodeCheckpoint(await host.call('save'), undefined, 'page.safetensors');
    expect(state.config.image).toEqual({ height: 8, width: 8, channels: 3 });
    expect(state.extra?.data).toMatch(/40 PNG images \(36 train \/ 4 test, 8×8×3\), from the demo page/);
    expect(state.extra?.dataSpec).toBeUndefined();
    await host.call('dispose');
  }, 120_000);

  it('gives the posterior and the bound of a model whose likelihood learns its scales (the discretized logistic)', async () => {
    const files = Array.from({ length: 24 }, (_, i) => ({ path: `c/${i}.png`, blob: new Blob([png(i, 8, 8) as BlobPart]) }));
    const { set } = await readDataFiles(files, { decode: decodeImageInto });
    const { train, test } = splitImages(set, 0.1);
    const { ctx, rt } = gpu();
    const host = new LocalHost(rt, ctx.adapterInfo, initialTuneStatus({ ...DEFAULT_TUNE, enabled: false }));
    await host.call('setImages', train, test);
    const config = resolveConfig({ ...DEFAULT_CONFIG, inputDim: set.dim, image: set.shape, encoderHidden: [16], decoderHidden: [16], latent: 3, likelihood: 'logistic' });
    await host.call('create', config, 8);
    const x = Float32Array.from(test.pixels.subarray(0, 192), (v) => v / 255);
    const post = await host.call('posterior', x, 4, 1);
    expect(Number.isFinite(post.rec) && post.rec > 0, `rec ${post.rec}`).toBe(true);
    const b = await host.call('bound', x, 20, 2);
    expect(b.lk.every((v) => Number.isFinite(v))).toBe(true);
    expect(Number.isFinite(b.rec) && b.rec > 0, `rec ${b.rec}`).toBe(true);
    await host.call('dispose');
  }, 120_000);
});

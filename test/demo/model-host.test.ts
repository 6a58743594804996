// The page's model host on its own thread (LocalHost over the model service, demo/host.ts and
// demo/service.ts), on the GPU in Node: the mirror follows the service's events through a short run
// (history, status, stop, all for the current model), and the queries the explanations make agree
// with the library: the posterior is GpuVae.encode's, its reconstruction GpuVae.decode(μ), and the
// one-digit −L_k from one pass of k samples agrees with GpuVae.evaluateLk on that digit (both are
// estimates of the same bound; the tolerance is a few times their Monte Carlo spread).
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEmbeddedMnist, type MnistSplit } from '../../src/data/mnist';
import { resolveConfig } from '../../src/model/config';
import { GpuVae } from '../../src/vae/gpu-vae';
import { LocalHost } from '../../demo/host';
import { initialTuneStatus } from '../../demo/tuning';
import { DEFAULT_TUNE } from '../../demo/settings';
import { expectClose } from '../util/compare';
import { useGpu } from '../gpu/harness';

const gpu = useGpu();
let data: MnistSplit;
beforeAll(async () => {
  data = await loadEmbeddedMnist();
});
const config = resolveConfig({ encoderHidden: [32], decoderHidden: [32], latent: 3, seed: 4 });

describe('the model host on the page’s thread', () => {
  it('mirrors a short run from the service’s events, and answers between its slices', async () => {
    const { ctx, rt } = gpu();
    const host = new LocalHost(rt, ctx.adapterInfo, initialTuneStatus({ ...DEFAULT_TUNE, enabled: false }));
    const seen: string[] = [];
    const stopped = new Promise<string>((resolve) => {
      host.listener = { onHistory: () => seen.push('history'), onStatus: () => seen.push('status'), onStop: (reason) => resolve(reason) };
    });
    await host.call('setData', data);
    const info = await host.call('create', config, 16);
    expect(host.view.info).toEqual(info);
    expect(info.params).toBe(784 * 32 + 32 + 32 * 6 + 6 + 3 * 32 + 32 + 32 * 784 + 784);
    await host.call('evaluateTest');
    expect(host.view.test.map((p) => p.step)).toEqual([0]);
    await host.call('start', 30);
    expect(host.view.running).toBe(true);
    // A query while it trains: answered between two slices.
    const x = data.test.images.slice(0, 784);
    const mid = await host.call('posterior', x, 4, 1);
    expect(mid.mu.length).toBe(3);
    expect(await stopped).toBe('budget');
    expect(host.view.running).toBe(false);
    expect(host.view.step).toBe(30);
    expect(host.view.train.map((p) => p.step)).toEqual([10, 20, 30]);
    expect(host.view.test.at(-1)!.step).toBe(30);
    expect(seen).toContain('history');
    expect(seen).toContain('status');
    // A checkpoint that does not load leaves the model (and the mirror) as they were.
    await expect(host.call('load', new Uint8Array(16), 16, 'junk.safetensors')).rejects.toThrow(/junk\.safetensors/);
    expect(host.view.info?.id).toBe(info.id);
    await host.call('dispose');
    expect(host.view.info).toBeNull();
  }, 120_000);

  it('posterior, reconstruction and the one-digit L_k of a trained model agree with GpuVae', async () => {
    const { ctx, rt } = gpu();
    const host = new LocalHost(rt, ctx.adapterInfo, initialTuneStatus({ ...DEFAULT_TUNE, enabled: false }));
    const stopped = new Promise<void>((resolve) => { host.listener = { onStop: () => resolve() }; });
    await host.call('setData', data);
    await host.call('create', config, 16);
    await host.call('start', 150);
    await stopped;
    const saved = await host.call('save');
    const vae = GpuVae.load(rt, saved, { maxBatch: 16 });
    try {
      const x = data.test.images.slice(5 * 784, 6 * 784);
      const p = await host.call('posterior', x, 8, 3);
      const want = await vae.encode(x);
      expectClose('μ', p.mu, want.mu, 1e-6, 1e-5);
      expectClose('log σ²', p.logvar, want.logvar, 1e-6, 1e-5);
      expectClose('decode(μ)', p.recon, await vae.decode(want.mu), 1e-6, 1e-5);
      expect(p.samples.length).toBe(8 * 784);
      const b = await host.call('bound', x, 1000, 2);
      expect(b.ks).toEqual([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]);
      // Six independent page estimates of L_1000 give its spread σ; GpuVae's (fixed noise) is one
      // more draw of the same estimator, so it lies within 3·σ·√(1 + 1/6) of their mean.
      const page = [b.lk.at(-1)!];
      for (let seed = 3; seed < 8; seed++) page.push((await host.call('bound', x, 1000, seed)).lk.at(-1)!);
      const mean = page.reduce((a, v) => a + v, 0) / page.length;
      const sd = Math.sqrt(page.reduce((a, v) => a + (v - mean) ** 2, 0) / (page.length - 1));
      const lk = -(await vae.evaluateLk(x, 1, 1000)); // evaluateLk gives −L_k (a loss, like evaluate's −ELBO)
      console.info(`one digit: −ELBO ${(b.rec + b.kl).toFixed(3)}, page −L_1 ${(-b.lk[0]!).toFixed(3)}, page −L_1000 ${(-mean).toFixed(3)} ± ${sd.toFixed(3)} (6 seeds), GpuVae −L_1000 ${(-lk).toFixed(3)}`);
      expect(Math.abs(mean - lk)).toBeLessThan(Math.max(0.05, 3 * sd * Math.sqrt(1 + 1 / 6)));
      expect(Math.abs(-b.lk[0]! - (b.rec + b.kl)), '−L_1 (MC KL) against rec + KL (closed form)').toBeLessThan(1);
      expect(b.lk.at(-1)!).toBeGreaterThan(b.lk[0]!);
    } finally {
      vae.dispose();
      await host.call('dispose');
    }
  }, 120_000);
});

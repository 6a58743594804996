// The learned-scale likelihoods in whole training steps, GPU against the CPU reference: the Gaussian
// with a learned per-channel σ and the discretized logistic, on 6×5×3 colour images of 8-bit values
// (0 and 1 included, so the logistic's edge bins are hit), MLP and a tiny conv model, ELBO and IWAE.
// 20 steps' losses within a relative 1e-4 (trainSideBySide), then the parameters, the learned
// log-scales among them, close; and the scales must have moved. Then a checkpoint keeps the scales:
// saved, loaded (and loaded for inference only) it evaluates as before.
import { describe, expect, it } from 'vitest';
import { GpuVae } from '../../src/vae/gpu-vae';
import { CpuVae } from '../../src/model/cpu-vae';
import { describeConfig, resolveConfig, type VaeConfigInput } from '../../src/model/config';
import { buildVaeGraph } from '../../src/model/vae-graph';
import { initParams } from '../../src/model/init';
import { fastRange } from '../../src/graph/graph';
import { CpuBackend } from '../../src/train/cpu-backend';
import { expectClose } from '../util/compare';
import { trainSideBySide } from '../util/train-agreement';
import { rng } from '../util/random';
import { scoped, useGpu } from '../gpu/harness';

const gpu = useGpu();
const image = { height: 6, width: 5, channels: 3 };
const D = 90;

// 64 images of smooth colour gradients with noise, quantized to k/255 and clamped (so some are 0 and 1).
const r = rng(23);
const data = new Float32Array(64 * D);
for (let n = 0; n < 64; n++) {
  const base = [r(), r(), r()], tilt = [r() - 0.5, r() - 0.5, r() - 0.5];
  for (let h = 0; h < 6; h++) for (let w = 0; w < 5; w++) for (let c = 0; c < 3; c++) {
    const v = base[c] + tilt[c] * (h - w) * 0.4 + 0.15 * (r() - 0.5);
    data[n * D + (h * 5 + w) * 3 + c] = Math.round(255 * Math.min(1, Math.max(0, v))) / 255;
  }
}
const batchAt = (start: number, b: number) => {
  const s = start % 56;
  return data.subarray(s * D, (s + b) * D);
};

const conv = {
  encoder: [
    { kind: 'reshape' as const, shape: [6, 5, 3] },
    { kind: 'conv2d' as const, filters: 4, kernel: 3, activation: 'relu' as const },
    { kind: 'flatten' as const },
    { kind: 'linear' as const, width: 6 },
  ],
  decoder: [
    { kind: 'linear' as const, width: 4 * 3 * 4, activation: 'relu' as const },
    { kind: 'reshape' as const, shape: [4, 3, 4] },
    { kind: 'conv_transpose2d' as const, filters: 3, kernel: 3 },
    { kind: 'flatten' as const },
  ],
};

describe('learned-scale likelihoods in the config and the graph', () => {
  it('places likelihood.log_scale (C values, a standard deviation of 0.1 to start, Adam at lr × 10) after every layer, leaving the other parameters where they were', () => {
    const base = { inputDim: D, image, encoderHidden: [24], decoderHidden: [20], latent: 3 };
    const plain = buildVaeGraph(resolveConfig({ ...base, likelihood: 'gaussian', sigma: 0.5 }));
    for (const lik of [{ likelihood: 'logistic' as const }, { likelihood: 'gaussian' as const, sigma: 'learned' as const }]) {
      const c = resolveConfig({ ...base, ...lik });
      const g = buildVaeGraph(c);
      expect(g.params.slice(0, -1)).toEqual(plain.params);
      const init = lik.likelihood === 'logistic' ? Math.log((0.1 * Math.sqrt(3)) / Math.PI) : Math.log(0.1);
      expect(g.params.at(-1)).toMatchObject({ name: 'likelihood.log_scale', shape: [3], offset: plain.arenaSize, init, lrScale: 10 });
      expect(fastRange(g)).toEqual({ begin: plain.arenaSize, end: g.arenaSize, scale: 10 });
      expect(fastRange(plain)).toBeUndefined();
      const arena = initParams(g, 1);
      expect(Array.from(arena.subarray(plain.arenaSize, plain.arenaSize + 3))).toEqual([0, 0, 0].map(() => Math.fround(init)));
      expect(arena.subarray(0, plain.arenaSize)).toEqual(initParams(plain, 1));
    }
    expect(describeConfig(resolveConfig({ ...base, likelihood: 'gaussian', sigma: 'learned' }))).toMatch(/\(6×5×3, relu, gaussian, σ learned per channel\)/);
    expect(describeConfig(resolveConfig({ ...base, likelihood: 'logistic' }))).toMatch(/\(6×5×3, relu, logistic\)/);
    expect(() => resolveConfig({ ...base, sigma: 'learnt' as never })).toThrow(/sigma must be a finite number > 0 or 'learned', got "learnt"/);
    expect(() => resolveConfig({ inputDim: 65, image: { height: 1, width: 1, channels: 65 }, likelihood: 'logistic' })).toThrow(/learns a scale per channel for at most 64 channels; image has 65/);
  });
});

describe('learned-scale likelihoods: GPU training against the CPU reference', () => {
  const mlp = { encoderHidden: [24], decoderHidden: [20], latent: 3 };
  const cases: [string, VaeConfigInput][] = [
    ['MLP, Gaussian with σ learned per channel', { ...mlp, likelihood: 'gaussian', sigma: 'learned', seed: 4, adam: { lr: 1e-2 } }],
    ['MLP, discretized logistic', { ...mlp, likelihood: 'logistic', seed: 5, adam: { lr: 1e-2 } }],
    ['MLP, discretized logistic, IWAE k = 3', { ...mlp, likelihood: 'logistic', objective: { kind: 'iwae', k: 3 }, seed: 6, adam: { lr: 1e-2 } }],
    ['MLP, Gaussian learned σ, IWAE-DReG k = 2, β = 0.5', { ...mlp, likelihood: 'gaussian', sigma: 'learned', objective: { kind: 'iwae-dreg', k: 2 }, beta: 0.5, seed: 8, adam: { lr: 1e-2 } }],
    ['tiny conv, discretized logistic', { ...conv, latent: 3, likelihood: 'logistic', seed: 7, adam: { lr: 1e-2 } }],
    ['tiny conv, Gaussian with σ learned per channel', { ...conv, latent: 3, likelihood: 'gaussian', sigma: 'learned', seed: 9, adam: { lr: 1e-2 } }],
  ];
  for (const [name, c] of cases) {
    it(`${name}: agrees over 20 steps`, async () => {
      const { device, rt } = gpu();
      const config: VaeConfigInput = { inputDim: D, image, ...c };
      const B = 7;
      const cpu = new CpuVae(config);
      const scale = cpu.graph.params.find((p) => p.name === 'likelihood.log_scale')!;
      expect(scale.shape).toEqual([3]);
      await scoped(device, async () => {
        const vae = new GpuVae(rt, config, { maxBatch: B });
        const worst = await trainSideBySide(vae, cpu, { steps: 20, batch: B, short: 4, batchAt });
        console.info(`${name}: worst relative loss/rec/kl difference over 20 steps ${worst.toExponential(2)}`);
        const params = await vae.readParams();
        expectClose(`${name}: parameters after 20 steps`, params, cpu.params, 2e-5, 1e-3);
        const s = (a: ArrayLike<number>) => Array.from(a).slice(scale.offset, scale.offset + 3);
        expectClose(`${name}: log-scales after 20 steps`, s(params), s(cpu.params), 1e-5, 1e-4);
        expect(Array.from(await vae.readParam(scale)), 'readParam reads the same floats as the arena').toEqual(s(params));
        await expect(vae.readParam({ offset: scale.offset, size: 1e9 })).rejects.toThrow(/not within the \d+-float parameter arena/);
        // 20 Adam steps at lr 1e-2 × 10 (the scales' fast range): each moves by up to 2, and surely by more than 0.05.
        const start = initParams(buildVaeGraph(cpu.config), cpu.config.seed);
        for (const [i, v] of s(cpu.params).entries()) expect(Math.abs(v - s(start)[i]!)).toBeGreaterThan(0.05);
        vae.dispose();
      });
    });
  }

  it('a checkpoint keeps the learned log-scales: loaded, and loaded for inference only, it evaluates the same', async () => {
    const { device, rt } = gpu();
    const config: VaeConfigInput = { inputDim: D, image, encoderHidden: [16], decoderHidden: [16], latent: 3, likelihood: 'logistic', seed: 2, adam: { lr: 2e-2 } };
    await scoped(device, async () => {
      const vae = new GpuVae(rt, config, { maxBatch: 8 });
      for (let s = 0; s < 5; s++) vae.trainStep(batchAt(8 * s, 8));
      const before = await vae.evaluate(data.subarray(0, 16 * D), 16);
      // Evaluation (test −ELBO, and L_k through iwae.wgsl's running sums) as the CPU reference computes it from the same weights.
      const cpu = new CpuBackend(resolveConfig(config), await vae.readParams(), 8);
      const cpuEval = await cpu.evaluate(data.subarray(0, 16 * D), 16);
      expect(Math.abs(before.loss - cpuEval.loss) / cpuEval.loss).toBeLessThan(1e-5);
      const [gpuLk, cpuLk] = [await vae.evaluateLk(data.subarray(0, 16 * D), 16, 4), await cpu.evaluateLk(data.subarray(0, 16 * D), 16, 4)];
      console.info(`logistic: test −ELBO GPU ${before.loss} CPU ${cpuEval.loss}; −L_4 GPU ${gpuLk} CPU ${cpuLk}`);
      expect(Math.abs(gpuLk - cpuLk) / cpuLk).toBeLessThan(1e-5);
      const bytes = await vae.save();
      const scale = vae.graph.params.find((p) => p.name === 'likelihood.log_scale')!;
      const want = Array.from((await vae.readParams()).subarray(scale.offset, scale.offset + 3));
      expect(Math.min(...want.map(Math.abs))).toBeGreaterThan(0.05);
      vae.dispose();
      for (const inference of [false, true]) {
        const back = GpuVae.load(rt, bytes, { maxBatch: 8, inference });
        expect(Array.from((await back.readParams()).subarray(scale.offset, scale.offset + 3))).toEqual(want);
        const after = await back.evaluate(data.subarray(0, 16 * D), 16);
        expect(after.loss, `inference ${inference}`).toBeCloseTo(before.loss, 4);
        back.dispose();
      }
    });
  });
});

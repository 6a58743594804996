// The evaluation protocol of the literature: active units (the encoder's means folded over batches
// on the host, src/eval/protocols.ts) on the GPU against the CPU reference, L_k's progress reports, and the fixed seeded binarization of
// a test set (the same binary digits every time, pixels kept at 0 and 1, Bernoulli(value) otherwise).
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import { subset, type Dataset } from '../../src/data/dataset';
import { binarizeFixed } from '../../src/data/fixed-binarize';
import { GpuVae } from '../../src/vae/gpu-vae';
import { CpuBackend } from '../../src/train/cpu-backend';
import { expectClose } from '../util/compare';
import { scoped, useGpu } from '../gpu/harness';

const gpu = useGpu();
let test: Dataset;
beforeAll(async () => {
  test = (await loadEmbeddedMnist()).test;
});

describe('evaluation as published', () => {
  it('active units and their variances: GPU against CPU over uneven batches', async () => {
    const config = { encoderHidden: [32], decoderHidden: [32], latent: 6, seed: 9 };
    const { device, rt } = gpu();
    const n = 45, maxBatch = 16;
    const x = test.images.subarray(0, n * 784);
    const want = await new CpuBackend(config, undefined, maxBatch).activeUnits(x, n);
    await scoped(device, async () => {
      const vae = new GpuVae(rt, config, { maxBatch });
      const got = await vae.activeUnits(x, n);
      const steps: [number, number][] = [];
      await vae.evaluateLk(x, n, 3, { onProgress: (d, t) => steps.push([d, t]) });
      vae.dispose();
      expectClose('active-unit variances', got.variances, want.variances, 1e-7, 1e-4);
      expect(got.active).toBe(want.active);
      // One report per batch at least, the last one complete.
      expect(steps.length).toBeGreaterThanOrEqual(3);
      expect(steps.at(-1)).toEqual([9, 9]);
    });
  });

  it('the fixed binarization of a test set is seeded, binary and unbiased', () => {
    const few = subset(test, Array.from({ length: 200 }, (_, i) => i));
    const a = binarizeFixed(few), b = binarizeFixed(few), c = binarizeFixed(few, 1);
    expect(Buffer.from(a.images.buffer).equals(Buffer.from(b.images.buffer))).toBe(true);
    expect(Buffer.from(a.images.buffer).equals(Buffer.from(c.images.buffer))).toBe(false);
    let mean = 0, grey = 0, wrong = 0;
    for (let i = 0; i < few.images.length; i++) {
      const v = few.images[i], w = a.images[i];
      if ((w !== 0 && w !== 1) || (v === 0 && w !== 0) || (v === 1 && w !== 1)) wrong++;
      mean += w - v;
      if (v > 0 && v < 1) grey++;
    }
    expect(wrong, 'pixels not binary, or 0 / 1 not kept').toBe(0);
    // Σ(w − v) over the grey pixels has sd ≤ ½√grey; allow 5 sd.
    expect(Math.abs(mean)).toBeLessThan(2.5 * Math.sqrt(grey));
    expect(a.count).toBe(few.count);
  });
});

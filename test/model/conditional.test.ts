// Conditional VAEs (issue 23): the label join (concat_label.wgsl) against its CPU twin on awkward
// shapes, forward and backward; a finite-difference check of a whole conditional model's gradient on
// the CPU (the ELBO, and the IWAE objective whose decoder rows repeat each label k times); GPU against
// CPU over 20 training steps for a conditional MLP (ELBO, and IWAE k = 3) and a tiny conv model; evaluation and sampling
// against the CPU; the checkpoint round trip; and the refusals.
import { describe, expect, it } from 'vitest';
import { readFloats, storageFrom } from '../../src/gpu/buffers';
import { prepareConcatLabel } from '../../src/kernels/concat-label';
import { concatLabelBackward, concatLabelForward } from '../../src/cpu/concat-label';
import { CpuVae } from '../../src/model/cpu-vae';
import { STREAMS } from '../../src/model/init';
import { resolveConfig, type VaeConfigInput } from '../../src/model/config';
import { buildVaeGraph } from '../../src/model/vae-graph';
import { presetConfig } from '../../src/model/presets';
import { GpuVae } from '../../src/vae/gpu-vae';
import { CpuBackend } from '../../src/train/cpu-backend';
import { checkConditionalData, labelClasses } from '../../src/train/labels';
import { datasetView } from '../../src/data/dataset';
import { makeImageSet } from '../../src/data/image-set';
import { expectClose } from '../util/compare';
import { numericGrad } from '../util/finite-diff';
import { rng, uniformArray } from '../util/random';
import { poisoned, scoped, submit, useGpu } from '../gpu/harness';

const gpu = useGpu();

const labelsFor = (n: number, classes: number, seed: number) => {
  const r = rng(seed);
  return Uint32Array.from({ length: n }, () => Math.floor(r() * classes));
};

describe('concat_label against its CPU twin', () => {
  // rows, D, C, R (rows per label): odd widths, one column, many classes, a repeat of 3 (IWAE's z).
  const shapes: [number, number, number, number][] = [[37, 13, 10, 1], [5, 1, 2, 1], [21, 20, 7, 3], [300, 64, 3, 1]];
  for (const [rows, D, C, R] of shapes) {
    it(`forward and backward on rows ${rows}, D ${D}, C ${C}, R ${R}`, async () => {
      const { device, rt } = gpu();
      const x = uniformArray(rows * D, 1), dy = uniformArray(rows * (D + C), 2);
      const labels = labelsFor(rows / R, C, 3);
      // A label out of range gives a zero one-hot (the host refuses such labels before they get here).
      labels[0] = C;
      const want = concatLabelForward(x, labels, rows, D, C, R), wantDx = concatLabelBackward(dy, rows, D, C);
      const got = await scoped(device, async () => {
        const X = storageFrom(device, x, 'x'), L = storageFrom(device, new Float32Array(labels.buffer), 'labels'), dY = storageFrom(device, dy, 'dy');
        const Y = poisoned(device, rows * (D + C), 'y'), dX = poisoned(device, rows * D, 'dx');
        const p = prepareConcatLabel(rt, { rows, width: D, classes: C, repeat: R }, { x: X, labels: L, y: Y, dy: dY, dx: dX });
        await submit(device, [p.forward, p.backward!]);
        const out = { y: await readFloats(device, Y, rows * (D + C)), dx: await readFloats(device, dX, rows * D) };
        p.destroy();
        [X, L, dY, Y, dX].forEach((b) => b.destroy());
        return out;
      });
      expectClose(`concat_label forward ${rows}×${D}+${C}`, got.y, want, 0, 0);
      expectClose(`concat_label backward ${rows}×${D}+${C}`, got.dx, wantDx, 0, 0);
      // The twin itself: x's columns kept, one 1 per row in the label's column.
      for (let r = 0; r < rows; r++) {
        const row = want.subarray(r * (D + C) + D, (r + 1) * (D + C));
        const l = labels[Math.floor(r / R)]!;
        expect(Array.from(row)).toEqual(Array.from({ length: C }, (_, c) => (c === l ? 1 : 0)));
      }
    });
  }

  it('refuses mismatched shapes naming the operand', () => {
    const { device, rt } = gpu();
    const small = storageFrom(device, new Float32Array(4), 'small');
    expect(() => prepareConcatLabel(rt, { rows: 6, width: 5, classes: 3, repeat: 4 }, { x: small, labels: small, y: small })).toThrow(/rows 6 is not a whole number of examples of 4 rows/);
    expect(() => prepareConcatLabel(rt, { rows: 2, width: 5, classes: 3 }, { x: small, labels: small, y: small })).toThrow(/concat_label: x is rows×D = 2×5/);
    small.destroy();
  });
});

const MLP: VaeConfigInput = { inputDim: 30, encoderHidden: [12], decoderHidden: [10], latent: 3, activation: 'tanh', seed: 4, conditional: { classes: 4 } };

describe('the conditional graph', () => {
  it('joins the one-hot before the first weighted layer on flat rows, each side', () => {
    const mlp = buildVaeGraph(resolveConfig(MLP));
    expect(mlp.ops.map((o) => o.name)).toEqual(['encoder.label', 'encoder.0', 'encoder.head', 'reparameterize', 'decoder.label', 'decoder.0', 'decoder.out', 'elbo']);
    expect(mlp.params.find((p) => p.name === 'encoder.0.weight')!.shape).toEqual([34, 12]);
    expect(mlp.params.find((p) => p.name === 'decoder.0.weight')!.shape).toEqual([7, 10]);
    const conv = buildVaeGraph(resolveConfig(CONV));
    // The conv encoder: after its flatten, before the dense head.
    expect(conv.ops.map((o) => o.name).slice(0, 5)).toEqual(['encoder.0', 'encoder.1', 'encoder.2', 'encoder.label', 'encoder.head']);
    // The presets: conv's head, and keras's Dense 16, each after the flatten; both decoders at z.
    for (const [arch, at] of [['conv', 'encoder.head'], ['keras', 'encoder.4']] as const) {
      const names = buildVaeGraph(resolveConfig({ ...presetConfig(arch), conditional: { classes: 10 } })).ops.map((o) => o.name);
      expect(names[names.indexOf('encoder.label') + 1], arch).toBe(at);
      expect(names[names.indexOf('encoder.label') - 1], arch).toBe('encoder.3');
      expect(names[names.indexOf('decoder.label') - 1], arch).toBe('reparameterize');
    }
    expect(() => buildVaeGraph(resolveConfig({ ...CONV, encoder: [{ kind: 'reshape', shape: [4, 4, 4] }, { kind: 'conv2d', filters: 2, kernel: 4, stride: 2, padding: 1 }] })))
      .toThrow(/conditional: the encoder has no layer with weights on flat rows to take the label's one-hot/);
  });

  it('validates config.conditional', () => {
    expect(() => resolveConfig({ conditional: { classes: 1 } })).toThrow(/conditional.classes must be an integer from 2 to 4096, got 1/);
    expect(() => resolveConfig({ conditional: { classes: 3, names: [] } as never })).toThrow(/conditional has unknown field names/);
    expect(() => resolveConfig({ conditional: 10 as never })).toThrow(/conditional must be \{ classes \}/);
  });
});

describe('finite differences through a conditional model (float64, CPU)', () => {
  for (const objective of [undefined, { kind: 'iwae', k: 3 }]) {
    it(`the gradient of every parameter: ${objective ? 'IWAE k=3 (each label on k decoder rows)' : 'ELBO'}`, () => {
      const config: VaeConfigInput = { ...MLP, inputDim: 6, encoderHidden: [5], decoderHidden: [4], ...(objective ? { objective } : {}) };
      const B = 3;
      const x = uniformArray(B * 6, 7, 0, 1), labels = Uint32Array.of(2, 0, 3);
      const p0 = new CpuVae(config).params;
      const analytic = new CpuVae(config, Float32Array.from(p0));
      analytic.trainStep(x, B, labels);
      const probe = new CpuVae(config, Float32Array.from(p0));
      const g = numericGrad(() => probe.forwardResult(x, B, 0, STREAMS.train, probe.trainSamples, labels).loss, probe.params, 1e-6);
      let worst = 0;
      for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(analytic.grads[i]! - g[i]!) / (1 + Math.abs(g[i]!)));
      console.info(`conditional ${objective?.kind ?? 'elbo'}: worst relative gradient error ${worst.toExponential(2)} over ${g.length} parameters`);
      expect(worst).toBeLessThan(1e-6);
      // The label rows of the first layers get gradient only for the classes in the batch (class 1 is absent).
      const graph = analytic.graph, w = graph.params.find((p) => p.name === 'encoder.0.weight')!;
      const row = (r: number) => Array.from(analytic.grads.subarray(w.offset + r * 5, w.offset + (r + 1) * 5));
      expect(row(6 + 1).every((v) => v === 0)).toBe(true);
      expect(row(6 + 2).some((v) => v !== 0)).toBe(true);
    });
  }
});

// A tiny conv model: 8×8×1 → conv 3 (4×4, s2, p1) → 4×4×3 → flatten → [48 + C] → head; decoder
// [z + C] → dense 48 → reshape → transposed conv → 8×8×1.
const CONV: VaeConfigInput = {
  inputDim: 64, latent: 3, seed: 2, conditional: { classes: 3 },
  encoder: [{ kind: 'reshape', shape: [8, 8, 1] }, { kind: 'conv2d', filters: 3, kernel: 4, stride: 2, padding: 1, activation: 'relu' }, { kind: 'flatten' }, { kind: 'linear', name: 'encoder.head', width: 6 }],
  decoder: [{ kind: 'linear', width: 48, activation: 'relu' }, { kind: 'reshape', shape: [4, 4, 3] }, { kind: 'conv_transpose2d', name: 'decoder.out', filters: 1, kernel: 4, stride: 2, padding: 1 }],
};

describe('GPU against the CPU reference, conditional', () => {
  // IWAE k = 3: the decoder's label join repeats each label over its example's 3 rows of z.
  for (const [name, config] of [['MLP', MLP], ['MLP, IWAE k=3', { ...MLP, objective: { kind: 'iwae', k: 3 } }], ['tiny conv', CONV]] as const) {
    it(`trains alike over 20 steps: ${name}`, async () => {
      const { device, rt } = gpu();
      const B = 9, D = config.inputDim!, C = config.conditional!.classes;
      const data = uniformArray(20 * B * D, 11, 0, 1), labels = labelsFor(20 * B, C, 12);
      const cpu = new CpuVae(config);
      await scoped(device, async () => {
        const vae = new GpuVae(rt, config, { maxBatch: B });
        let worst = 0;
        for (let step = 0; step < 20; step++) {
          // Every 7th batch short: the partial-batch pass.
          const b = step % 7 === 6 ? 4 : B;
          const x = data.subarray(step * B * D, (step * B + b) * D), l = labels.subarray(step * B, step * B + b);
          const want = cpu.trainStep(x, b, l);
          vae.trainStep(x, false, l);
          const got = await vae.readLoss();
          worst = Math.max(worst, Math.abs(got[0]! - want[0]!) / Math.abs(want[0]!));
          expect(Math.abs(got[0]! - want[0]!) / want[0]!, `step ${step}: gpu ${got[0]} cpu ${want[0]}`).toBeLessThan(1e-4);
        }
        console.info(`conditional ${name}: worst relative loss difference over 20 steps ${worst.toExponential(2)}`);
        expectClose(`conditional ${name} parameters after 20 steps`, await vae.readParams(), cpu.params, 2e-5, 1e-3);
        // Evaluation, encoding and sampling by class against the CPU model on the trained weights.
        const n = 13, x = data.subarray(0, n * D), l = labels.subarray(0, n);
        const ref = new CpuBackend(config, await vae.readParams(), B);
        const [gotEval, wantEval] = [await vae.evaluate(x, n, { labels: l }), await ref.evaluate(x, n, { labels: l })];
        expectClose(`conditional ${name} test loss`, [gotEval.loss], [wantEval.loss], 1e-4, 1e-5);
        const [gotLk, wantLk] = [await vae.evaluateLk(x, n, 4, { labels: l }), await ref.evaluateLk(x, n, 4, { labels: l })];
        expectClose(`conditional ${name} −L_4`, [gotLk], [wantLk], 1e-4, 1e-5);
        expectClose(`conditional ${name} samples of class 2`, await vae.sample(11, { seed: 5, class: 2 }), await ref.sample(11, { seed: 5, class: 2 }), 1e-5, 1e-4);
        // Another class gives other images from the same latents.
        const [s0, s1] = [await vae.sample(4, { seed: 5, class: 0 }), await vae.sample(4, { seed: 5, class: 1 })];
        expect(s0.some((v, i) => Math.abs(v - s1[i]!) > 1e-3)).toBe(true);
        vae.dispose();
      });
    });
  }
});

describe('conditional models: checkpoints and refusals', () => {
  it('round-trips through save and load, the config keeping its classes', async () => {
    const { device, rt } = gpu();
    await scoped(device, async () => {
      const vae = new GpuVae(rt, MLP, { maxBatch: 8 });
      const x = uniformArray(8 * 30, 21, 0, 1), l = labelsFor(8, 4, 22);
      for (let i = 0; i < 3; i++) vae.trainStep(x, false, l);
      const bytes = await vae.save();
      const back = GpuVae.load(rt, bytes);
      expect(back.config.conditional).toEqual({ classes: 4 });
      expect(back.step).toBe(3);
      expectClose('loaded weights', await back.readParams(), await vae.readParams(), 0, 0);
      expectClose('loaded decode', await back.decode(x.subarray(0, 2 * 3), { labels: [1, 3] }), await vae.decode(x.subarray(0, 2 * 3), { labels: [1, 3] }), 0, 0);
      const inference = GpuVae.load(rt, bytes, { inference: true });
      expectClose('inference-only reconstruct', await inference.reconstruct(x, { labels: l }), await vae.reconstruct(x, { labels: l }), 1e-6, 1e-6);
      [vae, back, inference].forEach((m) => m.dispose());
    });
  });

  it('refuses missing labels, classes out of range and classes on an unconditional model', async () => {
    const { device, rt } = gpu();
    await scoped(device, async () => {
      const vae = new GpuVae(rt, MLP, { maxBatch: 8 });
      const plain = new GpuVae(rt, { ...MLP, conditional: undefined }, { maxBatch: 8 });
      const x = uniformArray(2 * 30, 31, 0, 1), z = uniformArray(2 * 3, 32);
      expect(() => vae.trainStep(x)).toThrow(/trainStep: this model is conditional on 4 classes; give a label \(0 to 3\) for each example/);
      expect(() => vae.trainStep(x, false, Uint32Array.of(0, 4))).toThrow(/trainStep: label 1 is 4; expected an integer class from 0 to 3/);
      expect(() => plain.trainStep(x, false, Uint32Array.of(0, 1))).toThrow(/trainStep: labels given, but this model is not conditional/);
      await expect(vae.evaluate(x, 2)).rejects.toThrow(/evaluate: this model is conditional on 4 classes/);
      await expect(vae.evaluateLk(x, 2, 3, { labels: [0] })).rejects.toThrow(/evaluateLk: 1 labels for 2 examples; expected one label per example/);
      await expect(vae.encode(x)).rejects.toThrow(/encode: this model is conditional/);
      await expect(vae.decode(z, { labels: [0, 1.5] })).rejects.toThrow(/decode: label 1 is 1.5/);
      await expect(vae.reconstruct(x, { labels: [0, -1] })).rejects.toThrow(/reconstruct: label 1 is -1/);
      await expect(vae.sample(3)).rejects.toThrow(/sample: this model is conditional on 4 classes; give \{ class: k \} \(0 to 3\)/);
      await expect(vae.sample(3, { class: 4 })).rejects.toThrow(/sample: class must be an integer from 0 to 3, got 4/);
      await expect(vae.sample(2, { classes: [0, 9] })).rejects.toThrow(/sample: label 1 is 9/);
      await expect(plain.sample(3, { class: 0 })).rejects.toThrow(/sample: class given, but this model is not conditional/);
      await expect(plain.decode(z, { labels: [0, 1] })).rejects.toThrow(/decode: options.labels given, but this model is not conditional/);
      const train = datasetView(makeImageSet({ count: 4, shape: { height: 5, width: 6, channels: 1 }, pixels: new Uint8Array(120), source: 'PNG images in /tmp/unlabelled' }));
      await expect(vae.fit({ epochs: 1, batch: 2, train, test: train })).rejects.toThrow(/train: the training set \(PNG images in \/tmp\/unlabelled\) has no labels/);
      const labelled = datasetView(makeImageSet({ count: 4, shape: { height: 5, width: 6, channels: 1 }, pixels: new Uint8Array(120), labels: Uint8Array.of(0, 1, 5, 2), source: 'x.npz' }));
      expect(labelClasses(labelled, 'training')).toBe(6);
      expect(() => checkConditionalData(labelled, 4, 'test')).toThrow(/the test set \(x.npz\): image 2 has label 5, but the model is conditional on 4 classes/);
      vae.dispose();
      plain.dispose();
    });
  });
});

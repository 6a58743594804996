// Conv layers in a model's layer list: the graph of the `conv` preset (shapes, parameters, PyTorch's
// init bounds, reshape/flatten sharing their input's buffer), shape errors naming the layer, its input
// shape and what it expected, and whole CPU steps through every conv kind checked by finite differences.
import type { Conv2dSpec, ConvTranspose2dSpec } from '../../src/base/words';
import { describe, expect, it } from 'vitest';
import { buildVaeGraph } from '../../src/model/vae-graph';
import { storageOf, tensorSpec } from '../../src/graph/graph';
import { planLayout } from '../../src/graph/memory-plan';
import { describeConfig, resolveConfig } from '../../src/model/config';
import { initParams } from '../../src/model/init';
import { convLayers, presetConfig } from '../../src/model/presets';
import { CpuVae } from '../../src/model/cpu-vae';
import { encode } from '../../src/eval/inference';
import { evaluateLoss } from '../../src/eval/protocols';
import { STREAMS } from '../../src/model/init';
import type { CpuOpContext, ObjectiveValue } from '../../src/graph/op';
import type { Graph } from '../../src/graph/graph';

/** One CPU forward and backward over the graph's ops (the CPU trainer's step without the update). */
function lossAndGrads(g: Graph, params: Float64Array, x: ArrayLike<number>, batch: number, seed: number) {
  const grads = new Float64Array(g.arenaSize);
  let result: ObjectiveValue | undefined;
  const slice = (a: Float64Array) => (p: { offset: number; size: number }) => a.subarray(p.offset, p.offset + p.size);
  const ctx: CpuOpContext = {
    batch, samples: 1, noise: { seed, step: 0, stream: STREAMS.train },
    rows: () => batch,
    acts: new Map([[g.io.input, x]]), grads: new Map(),
    needsGrad: (t) => storageOf(g, t) !== g.io.input,
    param: slice(params), paramGrad: slice(grads), report: (v) => { result = v; },
  };
  for (const op of g.ops) op.kind.cpuForward(op, ctx);
  for (const op of [...g.ops].reverse()) op.kind.cpuBackward(op, ctx);
  return { loss: result!.loss, grads };
}

describe('conv layers in the layer list', () => {
  it('the conv preset: 28→14→7, flatten, the head, and back to 28×28×1 logits', () => {
    const g = buildVaeGraph(resolveConfig(presetConfig('conv')));
    expect(tensorSpec(g, 'encoder.1.out').shape).toEqual([14, 14, 32]);
    expect(tensorSpec(g, 'encoder.2.out').shape).toEqual([7, 7, 64]);
    expect(tensorSpec(g, 'encoder.3.out').shape).toEqual([3136]);
    expect(tensorSpec(g, 'stats').shape).toEqual([40]);
    expect(tensorSpec(g, 'decoder.1.out').shape).toEqual([7, 7, 64]);
    expect(tensorSpec(g, 'decoder.2.out').shape).toEqual([14, 14, 32]);
    expect(tensorSpec(g, 'logits').shape).toEqual([28, 28, 1]);
    const p = Object.fromEntries(g.params.map((s) => [s.name, s]));
    // HWIO for the conv, KH×KW×C_out×C_in for the transposed conv; dense rows in (h, w, c) order.
    expect(p['encoder.1.weight'].shape).toEqual([4, 4, 1, 32]);
    expect(p['encoder.2.weight'].shape).toEqual([4, 4, 32, 64]);
    expect(p['encoder.head.weight'].shape).toEqual([3136, 40]);
    expect(p['decoder.2.weight'].shape).toEqual([4, 4, 32, 64]);
    expect(p['decoder.out.weight'].shape).toEqual([4, 4, 1, 32]);
    // PyTorch: Conv2d fan_in = C_in·KH·KW; ConvTranspose2d fan_in = weight.size(1)·KH·KW = C_out·KH·KW.
    expect(p['encoder.1.weight'].initBound).toBeCloseTo(1 / Math.sqrt(16), 12);
    expect(p['encoder.2.bias'].initBound).toBeCloseTo(1 / Math.sqrt(32 * 16), 12);
    expect(p['decoder.2.weight'].initBound).toBeCloseTo(1 / Math.sqrt(32 * 16), 12);
    expect(p['decoder.out.bias'].initBound).toBeCloseTo(1 / Math.sqrt(16), 12);
    const w = initParams(g, 0).subarray(p['encoder.2.weight'].offset, p['encoder.2.weight'].offset + p['encoder.2.weight'].size);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(512));
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.95 / Math.sqrt(512));
    // No copies: reshape and flatten are their input's buffer.
    expect(storageOf(g, 'encoder.0.out')).toBe('x');
    expect(storageOf(g, 'encoder.3.out')).toBe('encoder.2.out');
    expect(storageOf(g, 'decoder.1.out')).toBe('decoder.0.out');
    const { slots } = planLayout(g, 8);
    const keys = slots.values.map((v) => v.key);
    expect(keys).not.toContain('act encoder.0.out');
    expect(keys).not.toContain('grad encoder.0.out');
    expect(keys).not.toContain('grad x');
    expect(keys).toContain('grad encoder.2.out');
    // The weight gradient's depth-split partial sums are the plan's scratch, live only in their op's
    // backward: at batch 128 Conv(64)'s dW takes the tiled schedule's 24 splits × 4·4·32·64 floats.
    const big = planLayout(g, 128).slots.values.find((v) => v.key === 'scratch encoder.2/dW partial sums')!;
    expect(big.floats).toBe(24 * 4 * 4 * 32 * 64);
    expect(big.start).toBe(big.end);
  });

  it('the Keras VAE example as a layer list: 3×3 kernels, Dense 16, three transposed convs', () => {
    const g = buildVaeGraph(resolveConfig(presetConfig('keras')));
    const kinds = g.ops.map((o) => o.kind.name);
    expect(kinds.filter((k) => k === 'conv2d')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'conv_transpose2d')).toHaveLength(3);
    expect(tensorSpec(g, 'encoder.4.out').shape).toEqual([16]);
    expect(tensorSpec(g, 'stats').shape).toEqual([4]);
    expect(tensorSpec(g, 'decoder.2.out').shape).toEqual([14, 14, 64]);
    expect(tensorSpec(g, 'decoder.3.out').shape).toEqual([28, 28, 32]);
    expect(tensorSpec(g, 'logits').shape).toEqual([28, 28, 1]);
    expect(g.params.find((s) => s.name === 'encoder.1.weight')!.shape).toEqual([3, 3, 1, 32]);
  });

  it('checks shapes when the model is made, naming the layer, its input shape and what it expected', () => {
    const { encoder, decoder } = convLayers({ latent: 4 });
    const make = (enc: unknown[], dec: unknown[] = decoder) => () => buildVaeGraph(resolveConfig({ latent: 4, encoder: enc as never, decoder: dec as never }));
    expect(make(encoder.slice(1))).toThrow(/layer encoder\.0 \(conv2d\): input shape \[784\]; expected \[height, width, channels\]/);
    expect(make([{ kind: 'reshape', shape: [28, 28, 2] }, ...encoder.slice(1)])).toThrow(/layer encoder\.0 \(reshape\): input shape \[784\] has 784 values per row; expected 1568 for \[28, 28, 2\]/);
    expect(make([{ kind: 'reshape', shape: [2, 2, 196] }, { kind: 'conv2d', filters: 3, kernel: 5 }])).toThrow(
      /layer encoder\.1 \(conv2d\): a 5×5 kernel does not fit the 2×2 input with padding 0×0.*\(input shape \[2, 2, 196\]\)/,
    );
    expect(make([encoder[0], { kind: 'conv2d', filters: 0 }])).toThrow(/layer encoder\.1 \(conv2d\): filters \(output channels\) must be an integer from 1/);
    expect(make([encoder[0], { kind: 'conv2d', filters: 2, stride: [2, 0] }])).toThrow(/layer encoder\.1 \(conv2d\): stride must be an integer from 1 to 4096 or a pair/);
    expect(make([encoder[0], { kind: 'conv2d', filters: 2, dilation: 2 }])).toThrow(/layer encoder\.1 \(conv2d\): unknown field dilation/);
    expect(make(encoder, [decoder[0], { kind: 'conv_transpose2d', filters: 2, stride: 2, outputPadding: 2 }])).toThrow(
      /layer decoder\.1 \(conv_transpose2d\): input shape \[3136\]; expected \[height, width, channels\]/,
    );
    expect(make(encoder, [decoder[0], decoder[1], { kind: 'conv_transpose2d', filters: 2, stride: 2, outputPadding: 2 }])).toThrow(
      /layer decoder\.2 \(conv_transpose2d\): outputPadding 2×2 must be smaller than the stride 2×2/,
    );
    // The decoder must end at the data's size.
    expect(make(encoder, decoder.slice(0, 3))).toThrow(/elbo: the decoder gives 6272 values per row; expected the data's 784/);
    expect(() => presetConfig('resnet')).toThrow(/arch must be one of mlp, conv, keras/);
  });

  it('the presets on any H×W×C: non-square colour images, widths from channels, the shape in the config and its description', () => {
    const shape = { height: 12, width: 20, channels: 3 };
    const conv = resolveConfig(presetConfig('conv', { latent: 3 }, { shape, channels: [4, 6] }));
    expect(conv.inputDim).toBe(720);
    expect(conv.image).toEqual(shape);
    const g = buildVaeGraph(conv);
    expect(tensorSpec(g, 'encoder.0.out').shape).toEqual([12, 20, 3]);
    expect(tensorSpec(g, 'encoder.2.out').shape).toEqual([3, 5, 6]);
    expect(tensorSpec(g, 'decoder.2.out').shape).toEqual([6, 10, 4]);
    expect(tensorSpec(g, 'logits').shape).toEqual([12, 20, 3]);
    expect(describeConfig(conv)).toMatch(/^720 → reshape \[12,20,3\] → .* \(12×20×3, bernoulli\)$/);
    const keras = resolveConfig(presetConfig('keras', {}, { shape: { height: 8, width: 16, channels: 1 }, channels: [2, 3] }));
    expect(keras.latent).toBe(2);
    expect(tensorSpec(buildVaeGraph(keras), 'logits').shape).toEqual([8, 16, 1]);
    // The mlp takes the flattened image; MNIST's default stays the 28×28×1 conv preset.
    const mlp = resolveConfig(presetConfig('mlp', {}, { shape }));
    expect([mlp.inputDim, mlp.encoder]).toEqual([720, undefined]);
    expect(describeConfig(mlp)).toBe('720-400-20 / 20-400-720 (12×20×3, relu, bernoulli)');
    expect(presetConfig('conv').encoder).toEqual(convLayers().encoder);
    expect(resolveConfig(presetConfig('conv')).image).toEqual({ height: 28, width: 28, channels: 1 });
    // Sides that two stride-2 layers cannot halve twice are refused naming the shape.
    expect(() => presetConfig('conv', {}, { shape: { height: 30, width: 32, channels: 3 } })).toThrow(/conv preset: the image's height and width must be multiples of 4 \(two stride-2 layers\), got 30×32×3/);
    expect(() => presetConfig('keras', { inputDim: 3072 })).toThrow(/keras preset: give the image shape .*inputDim 3072 is not a square/);
  });

  it('input-size errors name the image shape', async () => {
    const cpu = new CpuVae(presetConfig('conv', { latent: 2 }, { shape: { height: 4, width: 8, channels: 3 }, channels: [2, 2] }));
    await expect(encode(cpu, new Float32Array(7))).rejects.toThrow(/encode: x has 7 values, not a whole number \(≥ 1\) of rows of 96 pixels \(4×8×3 images\)/);
    await expect(evaluateLoss(cpu, new Float32Array(7), 1)).rejects.toThrow(/images has 7 values, fewer than count × dim = 1 × 96/);
    expect(() => cpu.trainStep(new Float32Array(7), 1)).toThrow(/trainStep: expected 1 × 96 values \(4×8×3 images\), got 7/);
  });

  it('CPU gradients of a whole conv VAE step through reshape, conv, flatten and convT match central differences', () => {
    // Tiny: 8×8 images, 2 and 3 channels, latent 2, batch 2; ELBO with the training noise of step 0.
    const config = { inputDim: 64, ...convLayers({ latent: 2, channels: [2, 3], side: 8 }), latent: 2, activation: 'tanh' as const, seed: 4 };
    (config.encoder[1] as Conv2dSpec).activation = 'tanh';
    (config.decoder[2] as ConvTranspose2dSpec).activation = 'sigmoid';
    const x = Float64Array.from({ length: 128 }, (_, i) => ((i * 37) % 11) / 10);
    const cpu = new CpuVae(config);
    const loss = () => lossAndGrads(cpu.graph, cpu.params, x, 2, config.seed);
    const base = loss();
    const grads = Float64Array.from(base.grads);
    let worst = 0, checked = 0;
    for (const p of cpu.graph.params) {
      for (const i of [0, Math.floor(p.size / 2), p.size - 1]) {
        const k = p.offset + i, h = 1e-5, keep = cpu.params[k];
        cpu.params[k] = keep + h;
        const up = loss().loss;
        cpu.params[k] = keep - h;
        const down = loss().loss;
        cpu.params[k] = keep;
        const fd = (up - down) / (2 * h);
        const err = Math.abs(fd - grads[k]) / Math.max(1e-3, Math.abs(fd));
        worst = Math.max(worst, err);
        checked++;
        expect(err, `${p.name}[${i}]: fd ${fd} analytic ${grads[k]}`).toBeLessThan(1e-5);
      }
    }
    console.info(`conv VAE CPU step: ${checked} parameter gradients against central differences, worst relative error ${worst.toExponential(2)}`);
  });
});

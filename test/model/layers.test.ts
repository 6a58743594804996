// Models as layer lists: the MLP shorthand (encoderHidden / decoderHidden / activation) means the
// layer list it always meant (same parameter names, shapes and arena layout, so checkpoints written
// from either load into the other), and shapes are checked as the graph is built, naming the layer.
import { customLayer } from '../../src/base/words';
import { describe, expect, it } from 'vitest';
import { buildVaeGraph } from '../../src/model/vae-graph';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/model/checkpoint';
import { describeConfig, modelLayers, resolveConfig } from '../../src/model/config';
import { initParams } from '../../src/model/init';

const shorthand = resolveConfig({ encoderHidden: [64, 32], decoderHidden: [48], latent: 4, activation: 'tanh', seed: 2 });
const lists = resolveConfig({
  latent: 4,
  seed: 2,
  encoder: [
    { kind: 'linear', width: 64, activation: 'tanh' },
    { kind: 'linear', width: 32, activation: 'tanh' },
    { kind: 'linear', name: 'encoder.head', width: 8, activation: 'identity' },
  ],
  decoder: [{ kind: 'linear', width: 48, activation: 'tanh' }, { kind: 'linear', name: 'decoder.out', width: 784, activation: 'identity' }],
});

describe('layer lists', () => {
  it('the shorthand is the layer list it names: same parameters, layout and initial weights', () => {
    expect(modelLayers(shorthand)).toEqual(modelLayers(lists));
    const a = buildVaeGraph(shorthand), b = buildVaeGraph(lists);
    expect(b.params).toEqual(a.params);
    expect(a.params.map((p) => p.name)).toEqual([
      'encoder.0.weight', 'encoder.0.bias', 'encoder.1.weight', 'encoder.1.bias', 'encoder.head.weight', 'encoder.head.bias',
      'decoder.0.weight', 'decoder.0.bias', 'decoder.out.weight', 'decoder.out.bias',
    ]);
    expect(initParams(b, lists.seed)).toEqual(initParams(a, shorthand.seed));
    expect(describeConfig(shorthand)).toBe('784-64-32-4 / 4-48-784 (tanh, bernoulli)');
  });

  it('a checkpoint written with the shorthand loads under the layer list', () => {
    const params = initParams(buildVaeGraph(shorthand), 2);
    const state = decodeCheckpoint(encodeCheckpoint({ config: shorthand, params, step: 3 }));
    expect(state.config).toEqual(shorthand);
    const again = decodeCheckpoint(encodeCheckpoint({ config: lists, params: state.params, step: 3 }));
    expect(again.params).toEqual(params);
    expect(again.config.encoder).toHaveLength(3);
  });

  it('checks shapes as the graph is built, naming the layer and what it expected', () => {
    const bad = resolveConfig({ ...lists, encoder: [{ kind: 'linear', width: 64, activation: 'relu' }, { kind: 'linear', width: 7 }] });
    expect(() => buildVaeGraph(bad)).toThrow(/reparameterize: the encoder gives 7 values per example; expected 2 × latent = 8/);
    const short = resolveConfig({ ...lists, decoder: [{ kind: 'linear', width: 100 }] });
    expect(() => buildVaeGraph(short)).toThrow(/elbo: the decoder gives 100 values per row; expected the data's 784/);
    const width = resolveConfig({ ...lists, decoder: [{ kind: 'linear', width: -3 }] });
    expect(() => buildVaeGraph(width)).toThrow(/layer decoder\.0 \(linear\): width must be an integer from 1 to 1048576, got -3/);
    expect(() => buildVaeGraph(resolveConfig({ ...lists, encoder: [customLayer('conv9')] }))).toThrow(/layer encoder\.0: unknown layer kind "conv9"; expected one of linear/);
    expect(() => resolveConfig({ encoder: [] })).toThrow(/config: encoder must be a non-empty array of layers/);
    expect(() => resolveConfig({ decoder: [{ width: 3 } as never] })).toThrow(/config: decoder\[0\] must be a layer such as/);
  });
});

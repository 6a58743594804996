// Our parameters in PyTorch's layout and back, without PyTorch: names and shapes of both module
// layouts, the transposition and the split of the μ | log σ² head checked element by element against
// the graph's own indexing, exact round trips, and a clear refusal of every tensor that does not fit.
import { describe, expect, it } from 'vitest';
import { resolveConfig, type VaeConfigInput } from '../../src/model/config';
import { buildVaeGraph } from '../../src/model/vae-graph';
import { initParams } from '../../src/model/init';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/model/checkpoint';
import { CheckpointError, decodeSafetensors, encodeSafetensors, type Tensor } from '../../src/model/safetensors';
import {
  decodeModelFile, decodePytorchModel, encodePytorchModel, fromPytorchStateDict, pytorchLayout, pytorchTensorSpecs, toPytorchStateDict,
} from '../../src/model/pytorch-layout';

const shapes: [string, VaeConfigInput, string[]][] = [
  ['default shape (vae/main.py)', { encoderHidden: [7], decoderHidden: [5], latent: 3, inputDim: 11 }, ['fc1', 'fc21', 'fc22', 'fc3', 'fc4']],
  ['two hidden layers, tanh, Gaussian', { encoderHidden: [9, 6], decoderHidden: [4, 8], latent: 2, inputDim: 10, activation: 'tanh', likelihood: 'gaussian', sigma: 0.5 },
    ['encoder.0', 'encoder.1', 'mu', 'logvar', 'decoder.0', 'decoder.1', 'out']],
  ['no hidden layers', { encoderHidden: [], decoderHidden: [], latent: 4, inputDim: 6 }, ['mu', 'logvar', 'out']],
  ['one hidden layer but softplus', { encoderHidden: [5], decoderHidden: [5], latent: 2, inputDim: 6, activation: 'softplus' }, ['encoder.0', 'mu', 'logvar', 'decoder.0', 'out']],
];

function arenaOf(config: VaeConfigInput, seed = 3) {
  const c = resolveConfig({ ...config, seed });
  return { c, g: buildVaeGraph(c), params: initParams(buildVaeGraph(c), seed) };
}

describe('PyTorch layout', () => {
  for (const [what, input, modules] of shapes) {
    it(`${what}: names, [out, in] shapes, values, exact round trip`, () => {
      const { c, g, params } = arenaOf(input);
      expect(pytorchLayout(c)).toBe(modules[0] === 'fc1' ? 'vae/main.py' : 'torch_vae.MlpVAE');
      const sd = toPytorchStateDict(c, params);
      expect(Object.keys(sd)).toEqual(modules.flatMap((m) => [`${m}.weight`, `${m}.bias`]));
      // Every element against the graph's [in, out] indexing: W_torch[o][i] = W_ours[i][o].
      for (const s of pytorchTensorSpecs(c)) {
        const p = g.params.find((q) => q.name === s.param)!;
        const t = sd[s.name];
        expect(t.shape).toEqual(s.shape);
        const [a, b] = s.cols;
        if (s.transpose) {
          const [inDim, outDim] = p.shape;
          expect(s.shape).toEqual([b - a, inDim]);
          for (let o = a; o < b; o++) for (let i = 0; i < inDim; i++) expect(t.data[(o - a) * inDim + i]).toBe(params[p.offset + i * outDim + o]);
        } else {
          for (let o = a; o < b; o++) expect(t.data[o - a]).toBe(params[p.offset + o]);
        }
      }
      // μ takes the head's first Z outputs, log σ² the last Z.
      const head = pytorchTensorSpecs(c).filter((s) => s.param === 'encoder.head.weight');
      expect(head.map((s) => s.cols)).toEqual([[0, c.latent], [c.latent, 2 * c.latent]]);
      const back = fromPytorchStateDict(c, sd);
      // The arena's alignment padding is zero in both.
      expect(Buffer.from(back.buffer).equals(Buffer.from(params.buffer))).toBe(true);
    });
  }

  it('encodes a state_dict file with our config, layout and step in its metadata, and reads it back weights-only', () => {
    const { c, params } = arenaOf(shapes[1][1]);
    const bytes = encodePytorchModel({ config: c, params, step: 17 }, { batch: '32' });
    const { metadata } = decodeSafetensors(bytes);
    expect(metadata).toMatchObject({ format: 'pt', layout: 'torch_vae.MlpVAE', step: '17', batch: '32' });
    expect(JSON.parse(metadata.config)).toEqual(c);
    const m = decodePytorchModel(bytes);
    expect(m.configFrom).toBe('metadata');
    expect(m.state.config).toEqual(c);
    expect(m.state.params).toEqual(params);
    expect(m.state.adam).toBeUndefined();
    expect(m.state.step).toBe(0);
    expect(m.state.extra).toEqual({ source: 'pytorch', pytorchStep: '17', batch: '32' });
    // As a checkpoint it loads like any other (weights only).
    const ckpt = decodeCheckpoint(encodeCheckpoint(m.state));
    expect(ckpt.params).toEqual(params);
    expect(decodeModelFile(bytes).from).toBe('torch_vae.MlpVAE');
    expect(decodeModelFile(encodeCheckpoint(m.state)).from).toBe('webgpu-vae');
  });

  it("reads vae/main.py's own state_dict (no metadata) off its shapes, or with a given config", () => {
    const { c, params } = arenaOf(shapes[0][1]);
    const bare = encodeSafetensors(toPytorchStateDict(c, params));
    const m = decodePytorchModel(bare);
    expect(m.configFrom).toBe('shapes');
    expect(m.state.config).toMatchObject({ inputDim: 11, encoderHidden: [7], decoderHidden: [5], latent: 3, activation: 'relu', likelihood: 'bernoulli' });
    expect(m.state.params).toEqual(params);
    const given = decodePytorchModel(bare, { config: { ...c, beta: 2 } });
    expect(given.configFrom).toBe('argument');
    expect(given.state.config.beta).toBe(2);
  });

  describe('refuses what does not fit, naming the tensor and what was expected', () => {
    const { c, params } = arenaOf(shapes[0][1]);
    const meta = { format: 'pt', config: JSON.stringify(c) };
    const good = () => toPytorchStateDict(c, params);
    const cases: [string, (sd: Record<string, Tensor>) => void, RegExp][] = [
      ['a missing tensor', (sd) => delete sd['fc22.bias'], /missing tensor fc22\.bias: expected F32 \[3\]/],
      ['an extra tensor', (sd) => (sd['fc5.weight'] = { dtype: 'F32', shape: [1], data: new Float32Array(1) }), /unexpected tensor fc5\.weight; the vae\/main\.py module of 11-7-3 .* has fc1\.weight, fc1\.bias/],
      ['a weight stored [in, out]', (sd) => (sd['fc1.weight'] = { ...sd['fc1.weight'], shape: [11, 7] }), /tensor fc1\.weight is F32 \[11, 7\]; expected F32 \[7, 11\] \(nn\.Linear stores \[out, in\]\)/],
      ['a wrong width', (sd) => (sd['fc3.bias'] = { dtype: 'F32', shape: [6], data: new Float32Array(6) }), /tensor fc3\.bias is F32 \[6\]; expected F32 \[5\]/],
      ['an integer tensor', (sd) => (sd['fc4.bias'] = { dtype: 'I32', shape: [11], data: new Int32Array(11) }), /tensor fc4\.bias is I32 \[11\]; expected F32 \[11\]/],
      ['a NaN', (sd) => ((sd['fc21.weight'].data as Float32Array)[4] = NaN), /tensor fc21\.weight holds a non-finite value \(NaN\) at index 4/],
    ];
    for (const [what, spoil, message] of cases) {
      it(what, () => {
        const sd = good();
        spoil(sd);
        const bytes = encodeSafetensors(sd, meta);
        expect(() => decodePytorchModel(bytes, { source: 'x.safetensors' })).toThrow(CheckpointError);
        expect(() => decodePytorchModel(bytes, { source: 'x.safetensors' })).toThrow(message);
      });
    }
    it('names every problem at once', () => {
      const sd = good();
      delete sd['fc1.bias'];
      sd['fc3.bias'] = { dtype: 'F32', shape: [6], data: new Float32Array(6) };
      expect(() => fromPytorchStateDict(c, sd, 'f')).toThrow(/missing tensor fc1\.bias.*; tensor fc3\.bias is F32 \[6\]/);
    });
    it('a state_dict of another model', () => {
      const other = arenaOf({ ...shapes[0][1], latent: 4 });
      const bytes = encodeSafetensors(toPytorchStateDict(other.c, other.params), meta);
      expect(() => decodePytorchModel(bytes)).toThrow(/tensor fc21\.weight is F32 \[4, 7\]; expected F32 \[3, 7\]/);
    });
    it('no config and not vae/main.py names', () => {
      const g = arenaOf(shapes[1][1]);
      const bytes = encodeSafetensors(toPytorchStateDict(g.c, g.params));
      expect(() => decodePytorchModel(bytes, { source: 'm.safetensors' })).toThrow(/m\.safetensors: has no config metadata and is not vae\/main\.py's VAE .* it holds .*encoder\.0\.weight.*Pass the config it was made with \(--config FILE\)/);
    });
    it('bad config metadata, a webgpu-vae checkpoint, and bytes that are not safetensors', () => {
      const bad = encodeSafetensors(good(), { format: 'pt', config: '{"latent": -1}' });
      expect(() => decodePytorchModel(bad, { source: 'b' })).toThrow(/b: its config metadata is invalid: config: latent must be an integer from 1/);
      const ckpt = encodeCheckpoint({ config: c, params, step: 0 });
      expect(() => decodePytorchModel(ckpt, { source: 'c' })).toThrow(/c: is a webgpu-vae checkpoint/);
      expect(() => decodePytorchModel(new Uint8Array([1, 2, 3]), { source: 'd' })).toThrow(/d: safetensors: file is 3 bytes/);
      expect(() => decodeModelFile(new Uint8Array(12), { source: 'e' })).toThrow(CheckpointError);
    });
    it('a parameter arena of the wrong size', () => {
      expect(() => toPytorchStateDict(c, new Float32Array(5))).toThrow(/expected a Float32Array of \d+ floats .* got 5/);
    });
  });
});

// Our parameters in PyTorch's layout and back. nn.Linear stores weight [out, in] (ours is [in, out])
// and the encoder's μ and log σ² heads are two Linears (ours is one [in, 2Z] head, μ first). The
// default MLP shape takes pytorch/examples vae/main.py's names (fc1, fc21, fc22, fc3, fc4); any
// other takes those of scripts/torch_vae.py's MlpVAE (encoder.i, mu, logvar, decoder.i, out).
// Browser-safe: bytes in, bytes out; the file's metadata carries our config.
import { describeConfig, resolveConfig, type VaeConfig, type VaeConfigInput } from './config';
import { buildVaeGraph } from './vae-graph';
import { type Graph, type ParamSpec } from '../graph/graph';
import { CHECKPOINT_FORMAT, decodeCheckpoint, type TrainingState } from './checkpoint';
import { CheckpointError, decodeSafetensors, encodeSafetensors, type Tensor } from './safetensors';

/** vae/main.py's VAE, or torch_vae.py's MlpVAE for every other shape. */
export type PytorchLayout = 'vae/main.py' | 'torch_vae.MlpVAE';

/** The metadata `format` Hugging Face's tools write for PyTorch state_dicts. */
export const PYTORCH_FORMAT = 'pt';

/** One tensor of the PyTorch state_dict: where its values sit in our graph's parameters. */
export interface PytorchTensorSpec {
  name: string;
  /** [out, in] for weights, [out] for biases. */
  shape: number[];
  /** Our parameter (graph name) it comes from. */
  param: string;
  /** The output columns of ours it holds: [start, end). */
  cols: [number, number];
  transpose: boolean;
}

/** vae/main.py's names fit one hidden layer each way with ReLU and a Bernoulli decoder. */
export function pytorchLayout(config: VaeConfig): PytorchLayout {
  const c = config;
  return c.encoderHidden.length === 1 && c.decoderHidden.length === 1 && c.activation === 'relu' && c.likelihood === 'bernoulli'
    ? 'vae/main.py'
    : 'torch_vae.MlpVAE';
}

/** The PyTorch state_dict the config's module has, in the module's order. */
export function pytorchTensorSpecs(config: VaeConfig): PytorchTensorSpec[] {
  if (config.encoder || config.decoder) {
    throw new Error(`PyTorch layout: only MLP configs (encoderHidden / decoderHidden) have one; this model is given as layer lists (${describeConfig(config)})`);
  }
  const g = buildVaeGraph(config);
  const main = pytorchLayout(config) === 'vae/main.py';
  const Z = config.latent;
  const specs: PytorchTensorSpec[] = [];
  const linear = (torchName: string, ours: string, cols?: [number, number]) => {
    const w = paramOf(g, `${ours}.weight`);
    const [inDim, outDim] = w.shape;
    const [a, b] = cols ?? [0, outDim];
    specs.push({ name: `${torchName}.weight`, shape: [b - a, inDim], param: w.name, cols: [a, b], transpose: true });
    specs.push({ name: `${torchName}.bias`, shape: [b - a], param: `${ours}.bias`, cols: [a, b], transpose: false });
  };
  config.encoderHidden.forEach((_, i) => linear(main ? 'fc1' : `encoder.${i}`, `encoder.${i}`));
  linear(main ? 'fc21' : 'mu', 'encoder.head', [0, Z]);
  linear(main ? 'fc22' : 'logvar', 'encoder.head', [Z, 2 * Z]);
  config.decoderHidden.forEach((_, i) => linear(main ? 'fc3' : `decoder.${i}`, `decoder.${i}`));
  linear(main ? 'fc4' : 'out', 'decoder.out');
  return specs;
}

function paramOf(g: Graph, name: string): ParamSpec {
  const p = g.params.find((q) => q.name === name);
  if (!p) throw new Error(`pytorch layout: the graph has no parameter ${name}`);
  return p;
}

/** The state_dict tensors (F32, PyTorch's layout) of a parameter arena. */
export function toPytorchStateDict(config: VaeConfig, params: Float32Array): Record<string, Tensor> {
  const c = resolveConfig(config);
  const g = buildVaeGraph(c);
  if (!(params instanceof Float32Array) || params.length !== g.arenaSize) {
    throw new Error(`toPytorchStateDict: expected a Float32Array of ${g.arenaSize} floats (the parameter arena of ${describeConfig(c)}), got ${params?.length}`);
  }
  const out: Record<string, Tensor> = {};
  for (const s of pytorchTensorSpecs(c)) {
    const p = paramOf(g, s.param);
    const [a, b] = s.cols;
    const data = new Float32Array(s.shape.reduce((x, y) => x * y, 1));
    if (s.transpose) {
      const [inDim, outDim] = p.shape;
      for (let o = a; o < b; o++) for (let i = 0; i < inDim; i++) data[(o - a) * inDim + i] = params[p.offset + i * outDim + o];
    } else {
      data.set(params.subarray(p.offset + a, p.offset + b));
    }
    out[s.name] = { dtype: 'F32', shape: s.shape, data };
  }
  return out;
}

/** The parameter arena of a PyTorch state_dict; every tensor's name, dtype, shape and values are checked. */
export function fromPytorchStateDict(config: VaeConfig, tensors: Record<string, Tensor>, source = 'state_dict'): Float32Array {
  const c = resolveConfig(config);
  const g = buildVaeGraph(c);
  const specs = pytorchTensorSpecs(c);
  const layout = `${pytorchLayout(c)} module of ${describeConfig(c)}`;
  const problems: string[] = [];
  const expected = new Set(specs.map((s) => s.name));
  for (const name of Object.keys(tensors)) {
    if (!expected.has(name)) problems.push(`unexpected tensor ${name}; the ${layout} has ${specs.map((s) => s.name).join(', ')}`);
  }
  const arena = new Float32Array(g.arenaSize);
  for (const s of specs) {
    const t = Object.prototype.hasOwnProperty.call(tensors, s.name) ? tensors[s.name] : undefined;
    if (!t) {
      problems.push(`missing tensor ${s.name}: expected F32 [${s.shape.join(', ')}]`);
      continue;
    }
    if ((t.dtype !== 'F32' && t.dtype !== 'F64') || t.shape.join(',') !== s.shape.join(',')) {
      problems.push(`tensor ${s.name} is ${t.dtype} [${t.shape.join(', ')}]; expected F32 [${s.shape.join(', ')}]${s.transpose ? ' (nn.Linear stores [out, in])' : ''}`);
      continue;
    }
    const bad = Array.prototype.findIndex.call(t.data, (v: number) => !Number.isFinite(v));
    if (bad >= 0) {
      problems.push(`tensor ${s.name} holds a non-finite value (${t.data[bad]}) at index ${bad}`);
      continue;
    }
    const p = paramOf(g, s.param);
    const [a, b] = s.cols;
    if (s.transpose) {
      const [inDim, outDim] = p.shape;
      for (let o = a; o < b; o++) for (let i = 0; i < inDim; i++) arena[p.offset + i * outDim + o] = t.data[(o - a) * inDim + i];
    } else {
      for (let o = a; o < b; o++) arena[p.offset + o] = t.data[o - a];
    }
  }
  if (problems.length) {
    const shown = problems.slice(0, 6).join('; ') + (problems.length > 6 ? `; and ${problems.length - 6} more` : '');
    throw new CheckpointError(`${source}: does not fit the ${layout}: ${shown}`);
  }
  return arena;
}

/**
 * A safetensors state_dict for PyTorch (`model.load_state_dict(load(path), strict=True)` on the module
 * scripts/torch_vae.py builds from the config in its metadata). Adam's moments are not carried:
 * PyTorch keeps optimizer state outside the state_dict.
 */
export function encodePytorchModel(state: Pick<TrainingState, 'config' | 'params'> & { step?: number }, extra: Record<string, string> = {}): Uint8Array {
  const config = resolveConfig(state.config);
  return encodeSafetensors(toPytorchStateDict(config, state.params), {
    ...extra,
    format: PYTORCH_FORMAT,
    layout: pytorchLayout(config),
    config: JSON.stringify(config),
    step: String(state.step ?? 0),
  });
}

export interface PytorchModel {
  /** Weights only, at step 0: Adam starts fresh when this is trained on. */
  state: TrainingState;
  layout: PytorchLayout;
  /** Where the config came from. */
  configFrom: 'argument' | 'metadata' | 'shapes';
}

/**
 * Reads a PyTorch state_dict in safetensors form into weights-only training state. The config is
 * the one given, else the file's metadata, else (vae/main.py's names only) read off the shapes with
 * vae/main.py's ReLU and Bernoulli decoder. The file's `step` is kept as `extra.pytorchStep`, its
 * training `batch` as `extra.batch`.
 */
export function decodePytorchModel(bytes: Uint8Array, options: { config?: VaeConfigInput; source?: string } = {}): PytorchModel {
  const source = options.source ?? 'state_dict';
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (e) {
    throw new CheckpointError(`${source}: ${(e as Error).message}`);
  }
  const { tensors, metadata } = decoded;
  if (metadata.format === CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${source}: is a webgpu-vae checkpoint (format ${CHECKPOINT_FORMAT}), not a PyTorch state_dict; load it as it is`);
  }
  let config: VaeConfig;
  let configFrom: PytorchModel['configFrom'];
  try {
    if (options.config) {
      configFrom = 'argument';
      config = resolveConfig(options.config);
    } else if (metadata.config !== undefined) {
      configFrom = 'metadata';
      config = resolveConfig(JSON.parse(metadata.config));
    } else {
      configFrom = 'shapes';
      config = configFromMainPyShapes(tensors, source);
    }
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(`${source}: its config ${configFrom! === 'argument' ? '(given)' : 'metadata'} is invalid: ${(e as Error).message}`);
  }
  const params = fromPytorchStateDict(config, tensors, source);
  const extra: Record<string, string> = { source: 'pytorch' };
  const step = Number(metadata.step);
  if (Number.isSafeInteger(step) && step > 0) extra.pytorchStep = String(step);
  // The training batch fixes the evaluation batches (and so their noise) of the CLI and the demo.
  const batch = Number(metadata.batch);
  if (Number.isSafeInteger(batch) && batch >= 1) extra.batch = String(batch);
  return { state: { config, params, step: 0, extra }, layout: pytorchLayout(config), configFrom };
}

function configFromMainPyShapes(tensors: Record<string, Tensor>, source: string): VaeConfig {
  const shape = (name: string) => tensors[name]?.shape;
  const fc1 = shape('fc1.weight'), fc21 = shape('fc21.weight'), fc3 = shape('fc3.weight');
  if (!fc1 || !fc21 || !fc3 || fc1.length !== 2 || fc21.length !== 2 || fc3.length !== 2) {
    const names = Object.keys(tensors).slice(0, 8).join(', ');
    throw new CheckpointError(`${source}: has no config metadata and is not vae/main.py's VAE (fc1, fc21, fc22, fc3, fc4 weights [out, in]); it holds ${names || 'no tensors'}. Pass the config it was made with (--config FILE)`);
  }
  return resolveConfig({ inputDim: fc1[1], encoderHidden: [fc1[0]], latent: fc21[0], decoderHidden: [fc3[0]], activation: 'relu', likelihood: 'bernoulli' });
}

/**
 * Either kind of model file: a webgpu-vae checkpoint as it is, or a PyTorch state_dict converted
 * (weights only). For the demo's and `npm run evaluate`'s "load a model".
 */
export function decodeModelFile(bytes: Uint8Array, options: { config?: VaeConfigInput; source?: string } = {}): { state: TrainingState; from: 'webgpu-vae' | PytorchLayout } {
  const source = options.source ?? 'model';
  let format: string | undefined;
  try {
    format = decodeSafetensors(bytes).metadata.format;
  } catch (e) {
    throw new CheckpointError(`${source}: ${(e as Error).message}`);
  }
  if (format === CHECKPOINT_FORMAT) return { state: decodeCheckpoint(bytes, undefined, source), from: 'webgpu-vae' };
  const m = decodePytorchModel(bytes, options);
  return { state: m.state, from: m.layout };
}

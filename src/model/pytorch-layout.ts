// Our parameters in PyTorch's layout and back. nn.Linear stores weight [out, in] (ours is [in, out])
// and the encoder's μ and log σ² heads are two Linears (ours is one [in, 2Z] head, μ first). The
// default MLP shape takes pytorch/examples vae/main.py's names (fc1, fc21, fc22, fc3, fc4); any
// other takes those of scripts/torch_vae.py's MlpVAE (encoder.i, mu, logvar, decoder.i, out). A
// model given as layer lists (the conv presets) is torch_vae.py's LayersVAE (encoder.i, decoder.i by
// list position), each layer's tensors permuted as its kind's `pytorch` axes say. A likelihood's learned
// per-channel scales (likelihood.log_scale) are the module's parameter `log_scale`.
// Browser-safe: bytes in, bytes out; the file's metadata carries our config.
import { describeConfig, resolveConfig, type VaeConfig, type VaeConfigInput } from './config';
import { buildVaeGraph } from './vae-graph';
import { type Graph, type ParamSpec } from '../graph/graph';
import type { LayerKind } from '../graph/op';
import { BUILTIN_OPS, type OpRegistry } from '../ops/registry';
import { CHECKPOINT_FORMAT, decodeCheckpoint, type TrainingState } from './checkpoint';
import { CheckpointError, decodeSafetensors, encodeSafetensors, type Tensor } from './safetensors';

/** vae/main.py's VAE, torch_vae.py's MlpVAE for every other MLP, its LayersVAE for layer lists. */
export type PytorchLayout = 'vae/main.py' | 'torch_vae.MlpVAE' | 'torch_vae.LayersVAE';

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
  /** Layer lists: PyTorch's axes as ours permuted (shape[j] = ours[axes[j]]); cols then span all of it. */
  axes?: number[];
}

/** vae/main.py's names fit one hidden layer each way with ReLU and a Bernoulli decoder. */
export function pytorchLayout(config: VaeConfig): PytorchLayout {
  const c = config;
  if (c.encoder || c.decoder) return 'torch_vae.LayersVAE';
  return c.encoderHidden.length === 1 && c.decoderHidden.length === 1 && c.activation === 'relu' && c.likelihood === 'bernoulli'
    ? 'vae/main.py'
    : 'torch_vae.MlpVAE';
}

/** The PyTorch state_dict the config's module has, in the module's order (`registry`: the model's op kinds). */
export function pytorchTensorSpecs(config: VaeConfig, registry: OpRegistry = BUILTIN_OPS): PytorchTensorSpec[] {
  const specs = config.encoder || config.decoder ? layerListSpecs(config, registry) : mlpSpecs(config);
  // A likelihood's learned per-channel scales: the module's own parameter `log_scale` (torch_vae.py).
  const scale = buildVaeGraph(config, registry).params.find((p) => p.name === 'likelihood.log_scale');
  if (scale) specs.push({ name: 'log_scale', shape: [...scale.shape], param: scale.name, cols: [0, scale.size], transpose: false });
  return specs;
}

function mlpSpecs(config: VaeConfig): PytorchTensorSpec[] {
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

/** LayersVAE: layer i of the encoder (decoder) is `encoder.i` (`decoder.i`), its tensors in its kind's axes. */
function layerListSpecs(config: VaeConfig, registry: OpRegistry): PytorchTensorSpec[] {
  const g = buildVaeGraph(config, registry);
  const specs: PytorchTensorSpec[] = [];
  for (const stage of ['encoder', 'decoder'] as const) {
    g.ops.filter((op) => op.stage === stage).forEach((op, i) => {
      const torch = (op.kind as Partial<LayerKind<unknown>>).pytorch;
      if (!torch) {
        throw new Error(`PyTorch layout: layer ${op.name} (${op.kind.name}) has no PyTorch equivalent (its kind declares no \`pytorch\` module and axes), so ${describeConfig(config)} has no PyTorch layout`);
      }
      for (const [role, p] of Object.entries(op.params)) {
        const axes = torch.axes[role];
        if (!axes || [...axes].sort().join() !== p.shape.map((_, d) => d).join()) {
          throw new Error(`PyTorch layout: layer ${op.name} (${op.kind.name}): its pytorch axes for '${role}' must be a permutation of its ${p.shape.length} axes, got ${JSON.stringify(axes)}`);
        }
        specs.push({ name: `${stage}.${i}.${role}`, shape: axes.map((a) => p.shape[a]!), param: p.name, cols: [0, p.size], transpose: false, axes: [...axes] });
      }
    });
  }
  return specs;
}

/**
 * Copies between ours (row-major, `shape`) and PyTorch's order (axes permuted): toTorch
 * dst[t] = src[s], else dst[s] = src[t], where s[axes[j]] = t[j].
 */
function permuteCopy(src: ArrayLike<number>, srcOffset: number, dst: Float32Array, dstOffset: number, shape: number[], axes: number[], toTorch: boolean): void {
  const n = shape.length;
  const stride = new Array<number>(n);
  for (let d = n - 1, acc = 1; d >= 0; d--) { stride[d] = acc; acc *= shape[d]!; }
  const dims = axes.map((a) => shape[a]!), step = axes.map((a) => stride[a]!);
  const t = new Array<number>(n).fill(0);
  const total = dims.reduce((a, b) => a * b, 1);
  for (let flat = 0, ours = 0; flat < total; flat++) {
    if (toTorch) dst[dstOffset + flat] = src[srcOffset + ours]!;
    else dst[dstOffset + ours] = src[srcOffset + flat]!;
    // The next torch index, in row-major order; ours moves by the matching stride.
    for (let j = n - 1; j >= 0; j--) {
      ours += step[j]!;
      if (++t[j]! < dims[j]!) break;
      ours -= step[j]! * dims[j]!;
      t[j] = 0;
    }
  }
}

function paramOf(g: Graph, name: string): ParamSpec {
  const p = g.params.find((q) => q.name === name);
  if (!p) throw new Error(`pytorch layout: the graph has no parameter ${name}`);
  return p;
}

/** The state_dict tensors (F32, PyTorch's layout) of a parameter arena. */
export function toPytorchStateDict(config: VaeConfig, params: Float32Array, registry: OpRegistry = BUILTIN_OPS): Record<string, Tensor> {
  const c = resolveConfig(config);
  const g = buildVaeGraph(c, registry);
  if (!(params instanceof Float32Array) || params.length !== g.arenaSize) {
    throw new Error(`toPytorchStateDict: expected a Float32Array of ${g.arenaSize} floats (the parameter arena of ${describeConfig(c)}), got ${params?.length}`);
  }
  const out: Record<string, Tensor> = {};
  for (const s of pytorchTensorSpecs(c, registry)) {
    const p = paramOf(g, s.param);
    const [a, b] = s.cols;
    const data = new Float32Array(s.shape.reduce((x, y) => x * y, 1));
    if (s.axes) {
      permuteCopy(params, p.offset, data, 0, p.shape, s.axes, true);
    } else if (s.transpose) {
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
export function fromPytorchStateDict(config: VaeConfig, tensors: Record<string, Tensor>, source = 'state_dict', registry: OpRegistry = BUILTIN_OPS): Float32Array {
  const c = resolveConfig(config);
  const g = buildVaeGraph(c, registry);
  const specs = pytorchTensorSpecs(c, registry);
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
      const why = s.transpose ? ' (nn.Linear stores [out, in])' : s.axes && s.axes.length > 1 ? ` (ours [${paramOf(g, s.param).shape.join(', ')}] in PyTorch's axis order)` : '';
      problems.push(`tensor ${s.name} is ${t.dtype} [${t.shape.join(', ')}]; expected F32 [${s.shape.join(', ')}]${why}`);
      continue;
    }
    const bad = Array.prototype.findIndex.call(t.data, (v: number) => !Number.isFinite(v));
    if (bad >= 0) {
      problems.push(`tensor ${s.name} holds a non-finite value (${t.data[bad]}) at index ${bad}`);
      continue;
    }
    const p = paramOf(g, s.param);
    const [a, b] = s.cols;
    if (s.axes) {
      permuteCopy(t.data, 0, arena, p.offset, p.shape, s.axes, false);
    } else if (s.transpose) {
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
export function encodePytorchModel(state: Pick<TrainingState, 'config' | 'params'> & { step?: number }, extra: Record<string, string> = {}, registry: OpRegistry = BUILTIN_OPS): Uint8Array {
  const config = resolveConfig(state.config);
  return encodeSafetensors(toPytorchStateDict(config, state.params, registry), {
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
export function decodePytorchModel(bytes: Uint8Array, options: { config?: VaeConfigInput; source?: string; registry?: OpRegistry } = {}): PytorchModel {
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
  const params = fromPytorchStateDict(config, tensors, source, options.registry);
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
export function decodeModelFile(bytes: Uint8Array, options: { config?: VaeConfigInput; source?: string; registry?: OpRegistry } = {}): { state: TrainingState; from: 'webgpu-vae' | PytorchLayout } {
  const source = options.source ?? 'model';
  let format: string | undefined;
  try {
    format = decodeSafetensors(bytes).metadata.format;
  } catch (e) {
    throw new CheckpointError(`${source}: ${(e as Error).message}`);
  }
  if (format === CHECKPOINT_FORMAT) return { state: decodeCheckpoint(bytes, undefined, source, options.registry), from: 'webgpu-vae' };
  const m = decodePytorchModel(bytes, options);
  return { state: m.state, from: m.layout };
}

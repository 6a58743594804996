// model.safetensors as this project writes it (CLI, demo and library alike): each parameter as an F32
// tensor under its graph name (weights stored in×out), Adam's moments under adam.m.* / adam.v.*, and
// the config, step and training position as string metadata. Loading checks every tensor against
// the graph the config builds, so a corrupt file or one made for another model is refused clearly.
// A model with op kinds of its own is written and read with the registry that knows them.
import { describeConfig, resolveConfig, type VaeConfig } from './config';
import { buildVaeGraph } from './vae-graph';
import { type Graph } from '../graph/graph';
import { BUILTIN_OPS, type OpRegistry } from '../ops/registry';
import { CheckpointError, decodeSafetensors, encodeSafetensors, type Tensor } from './safetensors';

export const CHECKPOINT_FORMAT = 'webgpu-vae/1';

export interface TrainingState {
  config: VaeConfig;
  /** Parameter arena (graph layout). */
  params: Float32Array;
  /** Adam moments (graph layout); absent in a weights-only checkpoint. */
  adam?: { m: Float32Array; v: Float32Array };
  /** Optimiser steps taken. */
  step: number;
  /** Anything else to keep (epoch, data seed, metrics), as strings. */
  extra?: Record<string, string>;
}

function gather(g: Graph, arena: Float32Array, prefix: string, out: Record<string, Tensor>) {
  for (const p of g.params) {
    out[prefix + p.name] = { dtype: 'F32', shape: p.shape, data: arena.slice(p.offset, p.offset + p.size) };
  }
}

/** The safetensors bytes of a state; `registry` must know every op kind its config names. */
export function encodeCheckpoint(state: TrainingState, registry: OpRegistry = BUILTIN_OPS): Uint8Array {
  const g = buildVaeGraph(state.config, registry);
  if (state.params.length !== g.arenaSize) throw new Error(`checkpoint: params have ${state.params.length} floats, the model needs ${g.arenaSize}`);
  const tensors: Record<string, Tensor> = {};
  gather(g, state.params, '', tensors);
  if (state.adam) {
    gather(g, state.adam.m, 'adam.m.', tensors);
    gather(g, state.adam.v, 'adam.v.', tensors);
  }
  const reserved = ['format', 'config', 'step'];
  for (const k of Object.keys(state.extra ?? {})) {
    if (reserved.includes(k)) throw new Error(`checkpoint: extra metadata may not use the reserved key '${k}'`);
  }
  return encodeSafetensors(tensors, {
    ...(state.extra ?? {}),
    format: CHECKPOINT_FORMAT,
    config: JSON.stringify(state.config),
    step: String(state.step),
  });
}

/**
 * Decodes and checks a checkpoint. With `expect`, the architecture (dimensions, depth, activation,
 * likelihood) must match it; hyperparameters such as the learning rate may differ. `registry` must
 * know every op kind its config names (a model with layers of its own: the registry it was made with).
 */
export function decodeCheckpoint(bytes: Uint8Array, expect?: VaeConfig, source = 'checkpoint', registry: OpRegistry = BUILTIN_OPS): TrainingState {
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (e) {
    throw new CheckpointError(`${source}: ${(e as Error).message}`);
  }
  const { tensors, metadata } = decoded;
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${source}: metadata format is ${JSON.stringify(metadata.format)}; expected "${CHECKPOINT_FORMAT}" (a model.safetensors written by webgpu-vae)`);
  }
  let config: VaeConfig;
  try {
    config = resolveConfig(JSON.parse(metadata.config ?? 'null') ?? undefined);
  } catch (e) {
    throw new CheckpointError(`${source}: its config metadata is invalid: ${(e as Error).message}`);
  }
  if (expect) {
    const arch = (c: VaeConfig) => describeConfig({ ...c, beta: 1 });
    if (arch(config) !== arch(expect)) {
      throw new CheckpointError(`${source}: made for the model ${arch(config)}, but this run is ${arch(expect)}`);
    }
  }
  const step = Number(metadata.step);
  if (typeof metadata.step !== 'string' || !/^(0|[1-9][0-9]*)$/.test(metadata.step) || !Number.isSafeInteger(step) || step > 0xffffffff) {
    throw new CheckpointError(`${source}: step metadata ${JSON.stringify(metadata.step)} is not an integer from 0 to 2^32 − 1`);
  }
  let g: Graph;
  try {
    g = buildVaeGraph(config, registry);
  } catch (e) {
    const hint = /unknown (layer kind|objective)/.test((e as Error).message) ? ' (a model with op kinds of its own loads with { registry: BUILTIN_OPS.with(...) } naming them)' : '';
    throw new CheckpointError(`${source}: its config describes no model this runtime can build: ${(e as Error).message}${hint}`);
  }
  // Before anything is allocated for it: a config claiming enormous layers must be backed by tensors
  // in the file (whose size the reader bounded), else it is corrupt.
  let stored = 0;
  for (const t of Object.values(tensors)) if (t.dtype === 'F32') stored += t.data.length;
  const needed = g.params.reduce((n, p) => n + p.size, 0);
  if (needed > stored) {
    throw new CheckpointError(`${source}: its config metadata describes the model ${describeConfig(config)} with ${needed} parameters, ` +
      `but the file's F32 tensors hold only ${stored} values; the metadata or the file is corrupt`);
  }
  const read = (prefix: string, required: boolean): Float32Array | undefined => {
    let found = 0;
    for (const p of g.params) {
      const t = tensors[prefix + p.name];
      if (!t) continue;
      found++;
      if (t.dtype !== 'F32' || t.shape.join('×') !== p.shape.join('×')) {
        throw new CheckpointError(`${source}: tensor ${prefix + p.name} is ${t.dtype} [${t.shape.join('×')}]; expected F32 [${p.shape.join('×')}]`);
      }
      const data = t.data as Float32Array;
      for (let i = 0; i < data.length; i++) {
        if (!Number.isFinite(data[i])) throw new CheckpointError(`${source}: tensor ${prefix + p.name} holds a non-finite value (${data[i]}) at index ${i}`);
      }
    }
    if (found === 0 && !required) return undefined;
    if (found !== g.params.length) {
      const missing = g.params.filter((p) => !tensors[prefix + p.name]).map((p) => prefix + p.name);
      throw new CheckpointError(`${source}: missing tensors ${missing.join(', ')}`);
    }
    const arena = new Float32Array(g.arenaSize);
    for (const p of g.params) arena.set(tensors[prefix + p.name]!.data as Float32Array, p.offset);
    return arena;
  };
  const params = read('', true)!;
  const m = read('adam.m.', false);
  const v = read('adam.v.', false);
  if (!!m !== !!v) throw new CheckpointError(`${source}: has only one of Adam's two moment sets`);
  const extra: Record<string, string> = {};
  for (const [k, val] of Object.entries(metadata)) if (!['format', 'config', 'step'].includes(k)) extra[k] = val;
  return { config, params, adam: m && v ? { m, v } : undefined, step, extra };
}

/** What a restored model must accept: its Adam state and step. */
export interface Restorable {
  step: number;
  writeOptimizer(m: Float32Array, v: Float32Array, step: number): void;
}

/**
 * The one restore of a decoded checkpoint (CLI, GpuVae.load, the demo): `make` builds the model from
 * the checkpoint's config and weights, then Adam's moments and the step are restored; a weights-only
 * checkpoint still sets the step, so the data order and noise continue where it stopped.
 */
export function restoreState<M extends Restorable>(state: TrainingState, make: (config: VaeConfig, params: Float32Array) => M): M {
  const model = make(state.config, state.params);
  if (state.adam) model.writeOptimizer(state.adam.m, state.adam.v, state.step);
  else model.step = state.step;
  return model;
}

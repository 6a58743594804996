// The op graph of an MLP VAE: a chain of linear layers (with activation), the reparameterization and
// the fused ELBO, over named tensors. Parameters live in one arena, each tensor 64-float aligned so it
// can be bound on its own (256-byte storage offsets) and updated by one Adam dispatch over the arena.
import type { Activation } from '../kernels/activation';
import type { VaeConfig } from '../model/config';

/** An activation tensor: `width` floats per example. */
export interface TensorSpec {
  name: string;
  width: number;
}

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Offset in floats inside the parameter arena (a multiple of PARAM_ALIGN). */
  offset: number;
  size: number;
  /** nn.Linear's default init bound: U(−1/√fan_in, 1/√fan_in). */
  initBound: number;
}

export type Op =
  | { kind: 'linear'; name: string; input: string; output: string; inDim: number; outDim: number; activation: Activation; weight: ParamSpec; bias: ParamSpec }
  | { kind: 'reparameterize'; name: string; input: string; output: string; latent: number }
  | { kind: 'elbo'; name: string; logits: string; target: string; stats: string };

export interface Graph {
  ops: Op[];
  tensors: TensorSpec[];
  params: ParamSpec[];
  /** Floats in the parameter arena (a multiple of 4). */
  arenaSize: number;
  /** The tensors that name the encoder's μ | logvar and the latent sample. */
  stats: string;
  z: string;
  logits: string;
  input: string;
}

/** Floats: 64 × 4 bytes = 256, the largest minStorageBufferOffsetAlignment WebGPU allows. */
export const PARAM_ALIGN = 64;

export function buildVaeGraph(c: VaeConfig): Graph {
  const ops: Op[] = [];
  const tensors: TensorSpec[] = [{ name: 'x', width: c.inputDim }];
  const params: ParamSpec[] = [];
  let arena = 0;
  const param = (name: string, shape: number[], fanIn: number): ParamSpec => {
    const size = shape.reduce((a, b) => a * b, 1);
    const p = { name, shape, offset: arena, size, initBound: 1 / Math.sqrt(fanIn) };
    arena += Math.ceil(size / PARAM_ALIGN) * PARAM_ALIGN;
    params.push(p);
    return p;
  };
  const linear = (name: string, input: string, inDim: number, output: string, outDim: number, activation: Activation) => {
    tensors.push({ name: output, width: outDim });
    ops.push({
      kind: 'linear', name, input, output, inDim, outDim, activation,
      weight: param(`${name}.weight`, [inDim, outDim], inDim),
      bias: param(`${name}.bias`, [outDim], inDim),
    });
  };
  let prev = 'x', width = c.inputDim;
  c.encoderHidden.forEach((h, i) => {
    linear(`encoder.${i}`, prev, width, `encoder.${i}.out`, h, c.activation);
    prev = `encoder.${i}.out`; width = h;
  });
  linear('encoder.head', prev, width, 'stats', 2 * c.latent, 'identity');
  tensors.push({ name: 'z', width: c.latent });
  ops.push({ kind: 'reparameterize', name: 'reparameterize', input: 'stats', output: 'z', latent: c.latent });
  prev = 'z'; width = c.latent;
  c.decoderHidden.forEach((h, i) => {
    linear(`decoder.${i}`, prev, width, `decoder.${i}.out`, h, c.activation);
    prev = `decoder.${i}.out`; width = h;
  });
  linear('decoder.out', prev, width, 'logits', c.inputDim, 'identity');
  ops.push({ kind: 'elbo', name: 'elbo', logits: 'logits', target: 'x', stats: 'stats' });
  return { ops, tensors, params, arenaSize: arena, stats: 'stats', z: 'z', logits: 'logits', input: 'x' };
}

export function tensorWidth(g: Graph, name: string): number {
  const t = g.tensors.find((s) => s.name === name);
  if (!t) throw new Error(`graph: no tensor '${name}'`);
  return t.width;
}

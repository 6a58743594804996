// What the conv benchmark runs on: the `conv` preset (Conv 32 → Conv 64 → Dense μ | log σ²; Dense
// 7·7·64 → ConvT 32 → ConvT 1, Bernoulli logits, latent 20), each conv layer's relation geometry,
// the FLOPs of one training step, and the layout changes a NCHW peer (jax-js) needs to run our
// weights as the same function.
import { conv2dGeometry, convTranspose2dGeometry, type ConvGeometry } from '../src/kernels/conv-shape';
import type { Graph } from '../src/graph/graph';
import { presetConfig } from '../src/model/presets';
import type { VaeConfigInput } from '../src/model/config';

/** The `conv` preset as the benchmark trains it (everything else the library's defaults). */
export const convConfig = (): VaeConfigInput => presetConfig('conv');

/** The preset's sizes, which the peers' hand-written models spell out (checked against our graph by a test). */
export const CONV_DIMS = { side: 28, c1: 32, c2: 64, q: 7, Z: 20, k: 4, stride: 2, pad: 1 } as const;

interface ConvAttrsLike {
  inH: number; inW: number; inC: number; outC: number;
  kernel: [number, number]; stride: [number, number]; padding: [number, number]; outputPadding: [number, number];
}

export interface ConvLayerInfo {
  /** The op's name, e.g. 'encoder.1'; its dispatches are labelled '<name> forward', '<name> dW', ... */
  name: string;
  transposed: boolean;
  /** Its convolution relation at the batch (for a transposed conv, its output is the relation's `in` side). */
  g: ConvGeometry;
  /** Whether its input is the data (no input gradient is computed). */
  first: boolean;
}

/** The conv and transposed-conv layers of a graph, with their relation geometry at `batch`. */
export function convLayers(graph: Graph, batch: number): ConvLayerInfo[] {
  const out: ConvLayerInfo[] = [];
  for (const op of graph.ops) {
    const kind = op.kind.name;
    if (kind !== 'conv2d' && kind !== 'conv_transpose2d') continue;
    const a = op.attrs as ConvAttrsLike;
    const shape = { batch, inH: a.inH, inW: a.inW, inC: a.inC, outC: a.outC, kernel: a.kernel, stride: a.stride, padding: a.padding };
    const transposed = kind === 'conv_transpose2d';
    const g = transposed ? convTranspose2dGeometry(op.name, { ...shape, outputPadding: a.outputPadding }) : conv2dGeometry(op.name, shape);
    out.push({ name: op.name, transposed, g, first: op.inputs.x === graph.io.input || isReshapeOfInput(graph, op.inputs.x) });
  }
  return out;
}

function isReshapeOfInput(graph: Graph, tensor: string): boolean {
  const producer = graph.ops.find((o) => Object.values(o.outputs).includes(tensor));
  return !!producer && (producer.kind.name === 'reshape' || producer.kind.name === 'flatten') && producer.inputs.x === graph.io.input;
}

/** Multiply-adds × 2 of one relation pass (every tap of the kernel, padding taps included): forward, dX and dW each cost this. */
export function relationFlops(g: ConvGeometry): number {
  return 2 * g.batch * g.outH * g.outW * g.outC * g.kH * g.kW * g.inC;
}

/** FLOPs of one training step: every conv and dense layer forward, its weight gradient, and its input gradient unless it reads the data. */
export function convStepFlops(graph: Graph, batch: number): number {
  let flops = 0;
  for (const l of convLayers(graph, batch)) flops += relationFlops(l.g) * (l.first ? 2 : 3);
  for (const op of graph.ops) {
    if (op.kind.name !== 'linear') continue;
    const a = op.attrs as { inDim: number; outDim: number };
    flops += 2 * batch * a.inDim * a.outDim * 3;
  }
  return flops;
}

/**
 * `data` (row-major, `shape`) with its axes permuted: out's axis i is in's axis perm[i] (numpy's
 * transpose). For the peers' layouts; small tensors, once per model.
 */
export function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const n = shape.length;
  const strides = new Array<number>(n);
  for (let i = n - 1, s = 1; i >= 0; s *= shape[i], i--) strides[i] = s;
  const outShape = perm.map((p) => shape[p]);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(n).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < n; i++) src += idx[i] * strides[perm[i]];
    out[o] = data[src];
    for (let i = n - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

/** Reverses the first two (spatial) axes of a KH×KW×… tensor. */
export function flipSpatial(data: Float32Array, shape: readonly number[]): Float32Array {
  const [kh, kw] = shape;
  const inner = data.length / (kh * kw);
  const out = new Float32Array(data.length);
  for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) {
    out.set(data.subarray(((kh - 1 - a) * kw + (kw - 1 - b)) * inner, ((kh - 1 - a) * kw + (kw - 1 - b) + 1) * inner), (a * kw + b) * inner);
  }
  return out;
}

// The conv and transposed-conv layers, y = f(conv(x, W) + b) and y = f(convᵀ(x, W) + b), on NHWC
// activations (a row is H×W×C, channels fastest) and HWIO weights (docs/CONV.md). Forward:
// conv2d.wgsl / conv2d_transpose.wgsl with bias and activation fused. Backward: bias_grad.wgsl on the
// (B·H·W)×C output (dPre = dY ⊙ f'(y), db), the weight gradient, then the input gradient (not for
// the data). CPU twins: src/cpu/conv-layer.ts. Init as PyTorch's default: U(±1/√fan_in) for weights
// and bias, fan_in = C_in·KH·KW for Conv2d and C_out·KH·KW for ConvTranspose2d (PyTorch takes it
// from weight dimension 1, which is C_out there).
import { ACTIVATIONS, type Activation } from '../kernels/activation';
import { conv2dGeometry, convTranspose2dGeometry, type Conv2dShape, type ConvGeometry, type ConvTranspose2dShape } from '../kernels/conv-shape';
import { prepareConv2d, prepareConv2dInputGrad, prepareConvTranspose2d, prepareConvTranspose2dInputGrad } from '../kernels/conv2d';
import { prepareConv2dWeightGrad, prepareConvBiasGrad, prepareConvTranspose2dWeightGrad, weightGradScratchFloats } from '../kernels/conv2d-grad';
import type { PreparedOp } from '../kernels/matmul';
import type { Dispatch } from '../gpu/runtime';
import { convBackward, convForward, convTransposeBackward, convTransposeForward } from '../cpu/conv-layer';
import { defineLayer, type LayerKind, type LayerFields, type OpNode, type TensorShape } from '../graph/op';

type Pair = [number, number];

export interface ConvAttrs {
  /** Input H, W, C of one example. */
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kernel: Pair;
  stride: Pair;
  padding: Pair;
  /** Transposed conv only. */
  outputPadding: Pair;
  activation: Activation;
}

const MAX_CHANNELS = 65536;

function pairField(label: string, spec: LayerFields, field: string, fallback: number, min: number): Pair {
  const v = spec[field] ?? fallback;
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= min && x <= 4096)) {
    throw new Error(`${label}: ${field} must be an integer from ${min} to 4096 or a pair [h, w] of them, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}

const shapeText = (t: TensorShape) => `[${t.shape.join(', ')}]`;

function makeConvLayer(transposed: boolean): LayerKind<ConvAttrs> {
  const kindName = transposed ? 'conv_transpose2d' : 'conv2d';
  const shapeOf = (a: ConvAttrs, batch: number): ConvTranspose2dShape => ({
    batch, inH: a.inH, inW: a.inW, inC: a.inC, outC: a.outC, kernel: a.kernel, stride: a.stride, padding: a.padding,
    activation: a.activation, ...(transposed ? { outputPadding: a.outputPadding } : {}),
  });
  const geometry = (label: string, s: Conv2dShape): ConvGeometry => (transposed ? convTranspose2dGeometry(label, s) : conv2dGeometry(label, s));
  return defineLayer<ConvAttrs>({
    name: kindName,
    // Ours KH×KW×C_in×C_out (conv) or KH×KW×C_out×C_in (transposed); PyTorch's [C_out, C_in, KH, KW] or [C_in, C_out, KH, KW].
    pytorch: { module: transposed ? 'ConvTranspose2d' : 'Conv2d', axes: { weight: [3, 2, 0, 1], bias: [0] } },
    layer(spec, input, name) {
      const label = `layer ${name} (${kindName})`;
      if (input.shape.length !== 3) {
        throw new Error(`${label}: input shape ${shapeText(input)}; expected [height, width, channels] (put a reshape layer before it, e.g. { "kind": "reshape", "shape": [28, 28, 1] })`);
      }
      const [inH, inW, inC] = input.shape;
      const filters = spec.filters;
      if (typeof filters !== 'number' || !Number.isInteger(filters) || filters < 1 || filters > MAX_CHANNELS) {
        throw new Error(`${label}: filters (output channels) must be an integer from 1 to ${MAX_CHANNELS}, got ${JSON.stringify(filters)}`);
      }
      const activation = (spec.activation ?? 'identity') as Activation;
      if (!ACTIVATIONS.includes(activation)) {
        throw new Error(`${label}: activation must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(spec.activation)}`);
      }
      const kernel = pairField(label, spec, 'kernel', 3, 1);
      const stride = pairField(label, spec, 'stride', 1, 1);
      const padding = pairField(label, spec, 'padding', 0, 0);
      const outputPadding = transposed ? pairField(label, spec, 'outputPadding', 0, 0) : ([0, 0] as Pair);
      const known = new Set(['kind', 'name', 'filters', 'kernel', 'stride', 'padding', 'activation', ...(transposed ? ['outputPadding'] : [])]);
      const unknown = Object.keys(spec).filter((k) => !known.has(k));
      if (unknown.length) throw new Error(`${label}: unknown field ${unknown.join(', ')}; expected ${[...known].join(', ')}`);
      const attrs: ConvAttrs = { inH, inW, inC, outH: 0, outW: 0, outC: filters, kernel, stride, padding, outputPadding, activation };
      let g: ConvGeometry;
      try {
        g = geometry(label, shapeOf(attrs, 1));
      } catch (e) {
        throw new Error(`${(e as Error).message} (input shape ${shapeText(input)})`);
      }
      // The transposed conv's output is its relation's `in` side.
      [attrs.outH, attrs.outW] = transposed ? [g.inH, g.inW] : [g.outH, g.outW];
      const [kH, kW] = kernel;
      const fanIn = (transposed ? filters : inC) * kH * kW;
      return {
        attrs,
        params: [
          { role: 'weight', shape: transposed ? [kH, kW, filters, inC] : [kH, kW, inC, filters], fanIn },
          { role: 'bias', shape: [filters], fanIn },
        ],
      };
    },
    shape(name, a, inputs) {
      const s = inputs.x.shape;
      if (s.length !== 3 || s[0] !== a.inH || s[1] !== a.inW || s[2] !== a.inC) {
        throw new Error(`${name} (${kindName}): input shape ${shapeText(inputs.x)}; expected [${a.inH}, ${a.inW}, ${a.inC}]`);
      }
      return { y: { shape: [a.outH, a.outW, a.outC], perSample: inputs.x.perSample } };
    },
    buffers(op) {
      const identity = op.attrs.activation === 'identity';
      const a = op.attrs;
      // The weight gradient's depth-split partial sums (as many splits as either schedule may take).
      const partial = (rows: number) => weightGradScratchFloats(geometry(op.name, shapeOf(a, rows)));
      return {
        // The weight gradient reads x; the activation backward reads y.
        saved: identity ? [op.inputs.x] : [op.inputs.x, op.outputs.y],
        grads: [{ tensor: op.inputs.x, phase: 'backward', mode: 'write' }],
        scratch: [
          ...(identity ? [] : [{ name: 'dPre', floats: (rows: number) => rows * a.outH * a.outW * a.outC, perSample: true }]),
          { name: 'dW partial sums', floats: partial, perSample: true },
        ],
        persistent: [],
      };
    },
    gpu(op: OpNode<ConvAttrs>, ctx) {
      const a = op.attrs;
      const x = op.inputs.x, y = op.outputs.y;
      const shape = shapeOf(a, ctx.rows(x));
      const { weight, bias } = op.params;
      const owned: { destroy(): void }[] = [];
      const keep = (p: PreparedOp) => (owned.push(p), p.dispatches);
      try {
        const fwd = transposed ? prepareConvTranspose2d : prepareConv2d;
        const forward = keep(fwd(ctx.rt, shape, { x: ctx.tensor(x), w: ctx.param(weight), bias: ctx.param(bias), y: ctx.tensor(y) }, `${op.name} forward`));
        // An inference-only model: no backward to prepare.
        if (!ctx.backward) return { forward, backward: [], destroy: () => owned.forEach((o) => o.destroy()) };
        const identity = a.activation === 'identity';
        const dY = ctx.grad(y);
        const dPre = identity ? dY : ctx.scratch('dPre');
        const backward: Dispatch[] = [];
        backward.push(...keep(prepareConvBiasGrad(
          ctx.rt,
          { batch: shape.batch, h: a.outH, w: a.outW, c: a.outC, activation: a.activation },
          { dY, y: identity ? undefined : ctx.tensor(y), dPre: identity ? undefined : dPre, dBias: ctx.paramGrad(bias) },
          `${op.name} bias grad`,
        )));
        const dW = transposed ? prepareConvTranspose2dWeightGrad : prepareConv2dWeightGrad;
        const partial = ctx.scratch('dW partial sums');
        backward.push(...keep(dW(ctx.rt, { ...shape, partial }, { x: ctx.tensor(x), dPre, dW: ctx.paramGrad(weight) }, `${op.name} dW`)));
        if (ctx.needsGrad(x)) {
          const dx = transposed ? prepareConvTranspose2dInputGrad : prepareConv2dInputGrad;
          backward.push(...keep(dx(ctx.rt, shape, { dPre, w: ctx.param(weight), dx: ctx.grad(x) }, `${op.name} dX`)));
        }
        return { forward, backward, destroy: () => owned.forEach((o) => o.destroy()) };
      } catch (e) {
        owned.forEach((o) => o.destroy());
        throw e;
      }
    },
    cpuForward(op, ctx) {
      const x = op.inputs.x;
      const f = transposed ? convTransposeForward : convForward;
      ctx.acts.set(op.outputs.y, f(ctx.acts.get(x)!, ctx.param(op.params.weight), ctx.param(op.params.bias), shapeOf(op.attrs, ctx.rows(x))));
    },
    cpuBackward(op, ctx) {
      const x = op.inputs.x, y = op.outputs.y;
      const b = transposed ? convTransposeBackward : convBackward;
      const g = b(ctx.acts.get(x)!, ctx.param(op.params.weight), ctx.acts.get(y)!, ctx.grads.get(y)!, shapeOf(op.attrs, ctx.rows(x)));
      ctx.paramGrad(op.params.weight).set(g.dW);
      ctx.paramGrad(op.params.bias).set(g.db);
      if (ctx.needsGrad(x)) ctx.grads.set(x, g.dx);
    },
  });
}

export const CONV2D_LAYER = makeConvLayer(false);
export const CONV_TRANSPOSE2D_LAYER = makeConvLayer(true);
